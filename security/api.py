"""Thin DRF views: audit log, signed downloads and SSL files (logic in the service modules)."""

from __future__ import annotations

from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasPermission, IsAdminRole
from kasamonitor.ranges import RangeBoundField, check_order

from . import certificates, selectors, signed_urls
from .models import AuditLog


def validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# AUDIT LOG
# ------------------------------------------------------------------------------
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


def _audit_query(params) -> dict:
    data = params.dict()
    for alias, name in (("start_date", "start"), ("end_date", "end"), ("page_size", "per_page")):
        if alias in data:
            data.setdefault(name, data.pop(alias))
    return data


class AuditLogListApi(APIView):
    permission_classes = [HasPermission("system.logs")]

    @extend_schema(
        summary="List audit log entries (admins)",
        parameters=[AuditLogFilters],
        responses=AuditLogPage,
    )
    def get(self, request):
        filters = validated(AuditLogFilters, _audit_query(request.query_params))
        page, per_page = filters.pop("page"), filters.pop("per_page")
        entries = selectors.audit_log_list(**filters)
        total = entries.count()
        rows = entries.select_related(None)[(page - 1) * per_page : page * per_page]
        pages = (total + per_page - 1) // per_page
        return Response(
            {
                "logs": AuditLogOutput(rows, many=True).data,
                "pagination": {"page": page, "pages": pages, "per_page": per_page, "total": total},
            }
        )


# SIGNED DOWNLOADS
# ------------------------------------------------------------------------------
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


class GenerateSignedUrlApi(APIView):
    @extend_schema(
        summary="Make a time-limited download link to an export or backup file",
        request=SignedUrlInput,
        responses=SignedUrlOutput,
    )
    def post(self, request):
        data = validated(SignedUrlInput, request.data)
        link = signed_urls.signed_download_create(
            data["filePath"],
            request.user,
            expiry_minutes=data.get("expiryMinutes"),
            one_time=data["oneTime"],
            file_type=data["fileType"],
            relative_only=True,
            request=request,
        )
        return Response(
            {
                "signedUrl": link.signature,
                "url": request.build_absolute_uri(link.url_path),
                "expires_at": link.expires_at,
                "one_time": link.one_time,
            }
        )


class SignedDownloadApi(APIView):
    authentication_classes: list = []  # the signature is the credential
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Download a file with a signed link (no login needed)",
        responses={(200, mime): OpenApiTypes.BINARY for mime in signed_urls.media_types()},
    )
    def get(self, request, signature: str = ""):
        path, content_type = signed_urls.signed_download_open(signature, request=request)
        response = FileResponse(
            path.open("rb"), as_attachment=True, filename=path.name, content_type=content_type
        )
        response["Cache-Control"] = "private, no-store"
        return response


class SignatureMissingApi(SignedDownloadApi):
    """GET /download/ without a signature: a 400 (spec), kept out of the schema."""

    @extend_schema(exclude=True)
    def get(self, request, signature: str = ""):
        return super().get(request, signature)


# SSL
# ------------------------------------------------------------------------------
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


class SslFilesApi(APIView):
    permission_classes = [IsAdminRole()]

    @extend_schema(summary="SSL files and certificate details (admins)", responses=SslStatus)
    def get(self, request):
        return Response(SslStatus(certificates.ssl_status()).data)


class GenerateCsrApi(APIView):
    permission_classes = [IsAdminRole()]

    @extend_schema(summary="Make a new key and CSR (admins)", request=CsrInput, responses=CsrOutput)
    def post(self, request):
        data = dict(validated(CsrInput, request.data))
        if data["country"]:
            data["country"] = data["country"].upper()
        options = {k: data.pop(k) for k in ("alt_names", "key_size", "self_signed")}
        result = certificates.ssl_generate_csr(fields=data, request=request, **options)
        return Response(CsrOutput(result).data)


class SslDownloadApi(APIView):
    permission_classes = [IsAdminRole()]

    @extend_schema(
        summary="Download cert.pem, key.pem or csr.pem (admins)",
        parameters=[
            OpenApiParameter("filename", str, "path", enum=sorted(certificates.DOWNLOADABLE))
        ],
        responses={
            (200, mime): OpenApiTypes.BINARY
            for mime in sorted(set(certificates.DOWNLOADABLE.values()))
        },
    )
    def get(self, request, filename: str):
        data, content_type = certificates.ssl_read_file(filename)
        if filename == certificates.KEY:
            from .services import audit_record

            audit_record("ssl.key_downloaded", request=request, target_type="ssl",
                         target_id=filename, severity="warning")  # fmt: skip
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


class UploadCertApi(APIView):
    permission_classes = [IsAdminRole()]
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Upload the certificate (PEM; optional matching key) (admins)",
        request={"multipart/form-data": CertUploadInput},
        responses=SslStatus,
    )
    def post(self, request):
        data = validated(CertUploadInput, request.data)
        status = certificates.ssl_upload_cert(
            data["file"], key_upload=data.get("key"), request=request
        )
        return Response(SslStatus(status).data)


class UploadKeyApi(APIView):
    permission_classes = [IsAdminRole()]
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Upload the private key (PEM, must match the certificate) (admins)",
        request={"multipart/form-data": UploadInput},
        responses=SslStatus,
    )
    def post(self, request):
        data = validated(UploadInput, request.data)
        return Response(SslStatus(certificates.ssl_upload_key(data["file"], request=request)).data)
