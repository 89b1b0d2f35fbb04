"""Thin DRF views: audit log, signed downloads and SSL files (logic in the service modules)."""

from __future__ import annotations

from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasPermission, IsAdminRole
from kasamonitor.drf import page_of, validated

from . import certificates, selectors, signed_urls
from .serializers import (
    AuditLogFilters,
    AuditLogOutput,
    AuditLogPage,
    CertUploadInput,
    CsrInput,
    CsrOutput,
    SignedUrlInput,
    SignedUrlOutput,
    SslStatus,
    UploadInput,
)

# AUDIT LOG
# ------------------------------------------------------------------------------


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
        entries = selectors.audit_log_list(**filters).select_related(None)
        rows, pagination = page_of(entries, page=page, per_page=per_page)
        return Response({"logs": AuditLogOutput(rows, many=True).data, "pagination": pagination})


# SIGNED DOWNLOADS
# ------------------------------------------------------------------------------


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
