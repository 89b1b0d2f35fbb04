"""The security API's routes: audit log, signed downloads, SSL files."""

from django.urls import path

from . import api

urlpatterns = [
    path("api/audit-logs", api.AuditLogListApi.as_view(), name="audit-logs"),
    path(
        "api/security/generate-signed-url",
        api.GenerateSignedUrlApi.as_view(),
        name="generate-signed-url",
    ),
    path("api/security/download/", api.SignatureMissingApi.as_view()),
    path(
        "api/security/download/<str:signature>",
        api.SignedDownloadApi.as_view(),
        name="signed-download-api",
    ),
    path("download/", api.SignatureMissingApi.as_view()),
    path("download/<str:signature>", api.SignedDownloadApi.as_view(), name="signed-download"),
    path("api/ssl/files", api.SslFilesApi.as_view(), name="ssl-files"),
    path("api/ssl/generate-csr", api.GenerateCsrApi.as_view(), name="ssl-generate-csr"),
    path("api/ssl/download/<str:filename>", api.SslDownloadApi.as_view(), name="ssl-download"),
    path("api/system/ssl/upload-cert", api.UploadCertApi.as_view(), name="ssl-upload-cert"),
    path("api/system/ssl/upload-key", api.UploadKeyApi.as_view(), name="ssl-upload-key"),
]
