"""Every response carries the security headers; inline script needs the request's nonce."""

from __future__ import annotations

import re

import pytest

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "X-XSS-Protection": "1; mode=block",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def assert_security_headers(response):
    for name, value in HEADERS.items():
        assert response[name] == value, name
    assert "camera=()" in response["Permissions-Policy"]
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    return csp


@pytest.mark.parametrize("path", ["/health/live", "/api/health", "/api/nowhere", "/nowhere"])
def test_every_response_has_the_security_headers(client, db, path):
    assert_security_headers(client.get(path))


def test_authenticated_api_answers_have_them(admin_api):
    assert_security_headers(admin_api.get("/api/audit-logs"))


def test_refused_oversize_bodies_have_them_too(client):
    response = client.post("/api/ssl/generate-csr", data="x" * (3 * 1024 * 1024),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 413
    assert_security_headers(response)


def test_each_request_gets_its_own_script_nonce(client, db):
    first = assert_security_headers(client.get("/health/live"))
    second = assert_security_headers(client.get("/health/live"))
    nonce = re.search(r"'nonce-([^']+)'", first)[1]
    assert len(nonce) >= 16 and nonce not in second


def test_api_docs_inline_script_carries_the_nonce(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])[1]
    html = response.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)
    assert "swagger-ui-bundle.js" in html and "http" not in html.split("<body>")[0].lower()


def test_redoc_needs_no_cdn(client, db):
    html = client.get("/api/redoc/").content.decode()
    assert "googleapis" not in html and "nonce=" in html


def test_hsts_only_over_https(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    assert "Strict-Transport-Security" not in client.get("/health/live")
    secure = client.get("/health/live", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
