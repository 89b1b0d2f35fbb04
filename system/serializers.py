"""The system configuration as the API reads and writes it."""

from __future__ import annotations

from rest_framework import serializers

from .models import SystemConfig


class SystemConfigSerializer(serializers.ModelSerializer):
    polling_interval = serializers.IntegerField(min_value=5, max_value=86400)
    data_retention_days = serializers.IntegerField(min_value=1, max_value=36500)

    class Meta:
        model = SystemConfig
        fields = [
            "polling_interval",
            "data_retention_days",
            "allow_device_control",
            "require_https",
            "allow_registration",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]
