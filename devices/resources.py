"""django-import-export resources for the devices admin: devices (import + export) and
readings (export only)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from import_export import fields
from import_export.widgets import ForeignKeyWidget

from kasamonitor.spreadsheet import FormulaSafeResource

from .models import Device, Reading


class DeviceResource(FormulaSafeResource):
    """Devices by device_id: importing updates existing rows and adds new ones."""

    parent = fields.Field(attribute="parent", column_name="parent",
                          widget=ForeignKeyWidget(Device, field="device_id"))  # fmt: skip

    class Meta:
        model = Device
        import_id_fields = ("device_id",)
        fields = ("device_id", "mac", "parent", "child_id", "host", "port", "alias", "model",
                  "device_type", "hw_version", "fw_version", "has_emeter", "enabled", "notes")  # fmt: skip
        export_order = fields
        skip_unchanged = True
        report_skipped = False
        clean_model_instances = True
        # credentials (encrypted) and live state are never imported or exported

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk:  # an import that moves a device must not take its credentials along
            from .services import device_address_changed

            old = Device.objects.filter(pk=instance.pk).values_list("host", "port").first()
            if old:
                device_address_changed(
                    instance, old_host=old[0], old_port=old[1], actor=kwargs.get("user")
                )

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Validate the fields a file sets; live state (is_on, power...) belongs to the poller."""
        imported = set(self._meta.fields)
        skipped = [f.name for f in Device._meta.fields if f.name not in imported]
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(exclude=skipped, validate_unique=validate_unique)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


class ExportOnlyError(Exception):
    pass


class ReadingResource(FormulaSafeResource):
    """Readings, with the device's id and IP; export only (history is never rewritten by hand)."""

    device = fields.Field(attribute="device", column_name="device",
                          widget=ForeignKeyWidget(Device, field="device_id"))  # fmt: skip
    device_ip = fields.Field(attribute="device__host", column_name="device_ip", readonly=True)

    class Meta:
        model = Reading
        fields = ("id", "device", "device_ip", "timestamp", "is_on", "power_w", "voltage", "current",
                  "energy_total_kwh", "energy_delta_kwh")  # fmt: skip
        export_order = fields
        use_bulk = False

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("device")

    def before_import(self, dataset, **kwargs):
        raise ExportOnlyError("Readings can be exported, not imported.")
