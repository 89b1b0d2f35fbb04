"""Serializers of the security API: audit log, signed downloads, SSL files."""

from __future__ import annotations

from rest_framework import serializers

from kasamonitor.ranges import RangeBoundField, check_order

from .models import AuditLog


class AuditLogOutput(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_username")
    # Plain strings in the schema: an enum named "severity" would collide with other apps'.
    severity = serializers.CharField(help_text="info, warning, error or critical")
    outcome = serializers.CharField(help_text="success or failure")
    actor_id = serializers.IntegerField(allow_null=True)
    timestamp = serializers.DateTimeField(source="created_at")

    class Meta:
        model = AuditLog
        fields = ["id", "timestamp", "actor", "actor_id", "action", "severity", "outcome",
                  "target_type", "target_id", "target_repr", "ip_address", "user_agent",
                  "details"]  # fmt: skip


class AuditLogFilters(serializers.Serializer):
    action = serializers.CharField(required=False, help_text='Name, "prefix.*", comma list')
    actor = serializers.CharField(required=False, help_text="Username or user id")
    outcome = serializers.ChoiceField(choices=AuditLog.Outcome.choices, required=False)
    severity = serializers.CharField(required=False, help_text="One or a comma list")
    target = serializers.CharField(required=False, help_text='"type:id" or text')
    start = RangeBoundField(required=False, help_text="also start_date")
    end = RangeBoundField(required=False, end=True, help_text="also end_date")
    page = serializers.IntegerField(required=False, min_value=1, default=1)
    per_page = serializers.IntegerField(required=False, min_value=1, max_value=500, default=50)

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end"):
            check_order(attrs["start"], attrs["end"], field="start", end_field="end")
        return attrs


class AuditLogPage(serializers.Serializer):
    logs = AuditLogOutput(many=True)
    pagination = serializers.DictField(help_text="page, pages, per_page, total")


class SignedUrlInput(serializers.Serializer):
    filePath = serializers.CharField(max_length=1024)  # noqa: N815 (spec's field names)
    fileType = serializers.CharField(max_length=20)  # noqa: N815
    expiryMinutes = serializers.IntegerField(required=False, min_value=1)  # noqa: N815
    oneTime = serializers.BooleanField(  # noqa: N815
        required=False,
        allow_null=True,
        default=None,
        help_text="Default: true for backups, false for exports.",
    )

    def validate_expiryMinutes(self, value):  # noqa: N802
        from django.conf import settings

        if value > settings.SIGNED_URL_MAX_MINUTES:
            raise serializers.ValidationError(f"At most {settings.SIGNED_URL_MAX_MINUTES} minutes.")
        return value


class SignedUrlOutput(serializers.Serializer):
    signedUrl = serializers.CharField(help_text="The signature for GET /download/{signature}")  # noqa: N815
    url = serializers.URLField()
    expires_at = serializers.DateTimeField()
    one_time = serializers.BooleanField()


class CertInfo(serializers.Serializer):
    subject = serializers.CharField()
    issuer = serializers.CharField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    not_before = serializers.DateTimeField()
    not_after = serializers.DateTimeField()
    serial_number = serializers.CharField()
    fingerprint_sha256 = serializers.CharField()
    subject_alt_names = serializers.ListField(child=serializers.CharField())
    self_signed = serializers.BooleanField()
    expired = serializers.BooleanField()
    days_remaining = serializers.IntegerField()


class SslStatus(serializers.Serializer):
    cert_exists = serializers.BooleanField()
    key_exists = serializers.BooleanField()
    csr_exists = serializers.BooleanField()
    cert_info = CertInfo(allow_null=True)
    key_matches = serializers.BooleanField(allow_null=True)
    https_on_restart = serializers.BooleanField()


class CsrInput(serializers.Serializer):
    common_name = serializers.CharField(max_length=64)
    organization = serializers.CharField(max_length=64, required=False, default="")
    organizational_unit = serializers.CharField(max_length=64, required=False, default="")
    country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False, default="")
    state = serializers.CharField(max_length=128, required=False, default="")
    locality = serializers.CharField(max_length=128, required=False, default="")
    email = serializers.EmailField(required=False, default="")
    alt_names = serializers.ListField(
        child=serializers.RegexField(r"^[A-Za-z0-9*.:-]{1,253}$"), required=False, default=list
    )
    key_size = serializers.ChoiceField(choices=[2048, 3072, 4096], required=False, default=2048)
    self_signed = serializers.BooleanField(required=False, default=False)


class CsrOutput(SslStatus):
    csr = serializers.CharField()


class UploadInput(serializers.Serializer):
    file = serializers.FileField()


class CertUploadInput(UploadInput):
    key = serializers.FileField(required=False, help_text="Its private key, replaced together")
