"""SSL files: status, CSR generation, fixed-name downloads and checked, quarantined uploads."""

from __future__ import annotations

import stat

import pytest
from cryptography import x509
from django.core.files.uploadedfile import SimpleUploadedFile

from security.models import AuditLog
from tests.security.pki import key_pem, pair


@pytest.fixture
def ssl_dir(data_dir):
    return data_dir / "ssl"


def upload(api, kind: str, content: bytes, name: str, **extra):
    files = {"file": SimpleUploadedFile(name, content), **extra}
    return api.post(f"/api/system/ssl/upload-{kind}", files, format="multipart")


def test_status_before_anything_exists(admin_api, data_dir):
    body = admin_api.get("/api/ssl/files").json()
    assert body == {"cert_exists": False, "key_exists": False, "csr_exists": False,
                    "cert_info": None, "key_matches": None, "https_on_restart": False}  # fmt: skip


def test_generating_a_csr_saves_a_private_key_and_the_csr(admin_api, ssl_dir):
    response = admin_api.post("/api/ssl/generate-csr", {
        "common_name": "kasa-monitor.local", "organization": "My Organization",
        "country": "us", "state": "CA", "locality": "San Francisco"}, format="json")  # fmt: skip
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["key_exists"] and body["csr_exists"] and not body["cert_exists"]
    assert stat.S_IMODE((ssl_dir / "key.pem").stat().st_mode) == 0o600
    csr = x509.load_pem_x509_csr((ssl_dir / "csr.pem").read_bytes())
    assert csr.is_signature_valid and body["csr"] == (ssl_dir / "csr.pem").read_text()
    subject = csr.subject.rfc4514_string()
    assert (
        "CN=kasa-monitor.local" in subject and "C=US" in subject and "O=My Organization" in subject
    )
    assert AuditLog.objects.filter(action="ssl.csr_generated").exists()


def test_a_self_signed_certificate_can_be_made_with_the_key(admin_api, ssl_dir):
    body = admin_api.post("/api/ssl/generate-csr", {"common_name": "localhost",
                          "self_signed": True}, format="json").json()  # fmt: skip
    assert body["cert_exists"] and body["key_matches"] and body["https_on_restart"]
    info = body["cert_info"]
    assert info["subject"] == info["issuer"] == "CN=localhost" and info["self_signed"]
    assert info["valid_from"] < info["valid_until"] and info["days_remaining"] >= 364


def test_bad_csr_input_is_a_400(admin_api, data_dir):
    assert admin_api.post("/api/ssl/generate-csr", {}, format="json").status_code == 400
    bad_country = {"common_name": "x", "country": "USA"}
    assert admin_api.post("/api/ssl/generate-csr", bad_country, format="json").status_code == 400


def test_matching_cert_and_key_uploads_are_installed(admin_api, ssl_dir):
    cert, key = pair()
    assert upload(admin_api, "cert", cert, "server.crt").status_code == 200
    response = upload(admin_api, "key", key, "server.key")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["key_matches"] and body["cert_info"]["subject"] == "CN=localhost"
    assert (ssl_dir / "cert.pem").read_bytes() == cert
    assert stat.S_IMODE((ssl_dir / "key.pem").stat().st_mode) == 0o600
    assert not list((ssl_dir.parent / "quarantine").glob("*"))


def test_a_key_that_does_not_match_the_certificate_is_refused(admin_api, ssl_dir):
    cert, key = pair()
    upload(admin_api, "cert", cert, "cert.pem")
    upload(admin_api, "key", key, "key.pem")
    response = upload(admin_api, "key", key_pem(), "other.key")
    assert response.status_code == 400 and response.json()["error_code"] == "KEY_MISMATCH"
    assert (ssl_dir / "key.pem").read_bytes() == key  # nothing replaced
    assert AuditLog.objects.filter(action="ssl.key_uploaded", outcome="failure").exists()


def test_a_certificate_that_does_not_match_the_key_is_refused(admin_api, ssl_dir):
    cert, key = pair()
    upload(admin_api, "cert", cert, "cert.pem")
    upload(admin_api, "key", key, "key.pem")
    other_cert, other_key = pair("other")
    assert upload(admin_api, "cert", other_cert, "other.crt").status_code == 400
    assert (ssl_dir / "cert.pem").read_bytes() == cert
    both = upload(admin_api, "cert", other_cert, "other.crt",
                  key=SimpleUploadedFile("other.key", other_key))  # fmt: skip
    assert both.status_code == 200 and both.json()["cert_info"]["subject"] == "CN=other"
    assert (ssl_dir / "key.pem").read_bytes() == other_key


@pytest.mark.parametrize("kind,name,content,code", [
    ("cert", "cert.pem", b"hello, not a certificate", "INVALID_FILE"),
    ("cert", "cert.pem", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
     "INVALID_FILE"),
    ("key", "key.pem", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
     "INVALID_FILE"),
    ("key", "key.pem", b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n", "INVALID_FILE"),
    ("cert", "cert.exe", pair()[0], "INVALID_FILE_TYPE"),
    ("key", "key.txt", key_pem(), "INVALID_FILE_TYPE"),
    ("key", "weak.key", key_pem(1024), "INVALID_FILE"),
])  # fmt: skip
def test_non_pem_and_wrong_type_uploads_are_refused(admin_api, ssl_dir, kind, name, content,
                                                    code):  # fmt: skip
    response = upload(admin_api, kind, content, name)
    assert response.status_code == 400 and response.json()["error_code"] == code
    assert not (ssl_dir / f"{kind}.pem").exists()
    assert not list((ssl_dir.parent / "quarantine").glob("*"))


def test_a_missing_file_field_is_a_400(admin_api, data_dir):
    response = admin_api.post("/api/system/ssl/upload-cert", {}, format="multipart")
    assert response.status_code == 400 and response.json()["field"] == "file"


def test_oversize_uploads_are_refused(admin_api, ssl_dir, settings):
    settings.MAX_UPLOAD_SIZE_MB = 1
    cert = pair()[0]
    padded = cert + b"\n" * (1024 * 1024 + 10 * 1024 - len(cert))  # inside the body slack
    response = upload(admin_api, "cert", padded, "big.pem")
    assert response.status_code == 413 and response.json()["error_code"] == "PAYLOAD_TOO_LARGE"
    huge = upload(admin_api, "cert", b"x" * (2 * 1024 * 1024), "huge.pem")
    assert huge.status_code == 413
    assert not (ssl_dir / "cert.pem").exists()


@pytest.mark.parametrize("name", ["cert.pem", "key.pem", "csr.pem"])
def test_admins_download_the_three_files(admin_api, ssl_dir, name):
    admin_api.post("/api/ssl/generate-csr", {"common_name": "localhost", "self_signed": True},
                   format="json")  # fmt: skip
    response = admin_api.get(f"/api/ssl/download/{name}")
    assert response.status_code == 200 and response.content == (ssl_dir / name).read_bytes()
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'


@pytest.mark.parametrize("name", ["chain.pem", "key.pem.previous", "..%2Fsecret_key",
                                  "%2e%2e%2fkasamonitor.sqlite3", "..", "quarantine"])  # fmt: skip
def test_no_other_name_can_be_downloaded(admin_api, ssl_dir, name):
    admin_api.post("/api/ssl/generate-csr", {"common_name": "a"}, format="json")
    assert admin_api.get(f"/api/ssl/download/{name}").status_code == 404


def test_a_missing_file_is_a_404(admin_api, data_dir):
    assert admin_api.get("/api/ssl/download/cert.pem").status_code == 404


@pytest.mark.parametrize("method,path", [
    ("get", "/api/ssl/files"), ("post", "/api/ssl/generate-csr"),
    ("get", "/api/ssl/download/key.pem"), ("post", "/api/system/ssl/upload-cert"),
    ("post", "/api/system/ssl/upload-key"),
])  # fmt: skip
def test_ssl_endpoints_are_for_admins_only(operator_api, api_client, data_dir, method, path):
    assert getattr(operator_api, method)(path).status_code == 403
    assert getattr(api_client, method)(path).status_code == 401
