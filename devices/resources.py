"""django-import-export resources for the devices admin: devices (import + export) and
readings (export only)."""

from __future__ import annotations

from import_export import fields, resources
from import_export.widgets import ForeignKeyWidget

from .models import Device, Reading


class DeviceResource(resources.ModelResource):
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
        # credentials (encrypted) and live state are never imported or exported


class ExportOnlyError(Exception):
    pass


class ReadingResource(resources.ModelResource):
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
