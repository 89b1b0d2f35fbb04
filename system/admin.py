"""Admin for the system configuration: saves go through the same service as the API.

services is imported inside the methods: admin autodiscovery runs early, and importing the
API error module then would pull DRF's settings (and the auth classes) in mid-setup.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin

from .models import SystemConfig


@admin.register(SystemConfig)
class SystemConfigAdmin(admin.ModelAdmin):
    list_display = ["__str__", "polling_interval", "data_retention_days", "allow_device_control"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request):
        return not SystemConfig.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, **kwargs):
        base = super().get_form(request, obj, **kwargs)

        class Form(base):
            def clean_require_https(self):
                # The service's rule, as a form error rather than a failed save.
                from kasamonitor.errors import ApiError

                from . import services

                value = self.cleaned_data["require_https"]
                config = SystemConfig.load()
                try:
                    services.https_switch_check(config, {"require_https": value}, request)
                except ApiError as exc:
                    raise forms.ValidationError(exc.message) from None
                return value

        return Form

    def save_model(self, request, obj, form, change):
        # Through the service, so the beat schedule follows polling_interval.
        from . import services

        data = {f: form.cleaned_data[f] for f in form.changed_data}
        services.system_config_update(data=data, actor=request.user, request=request)
