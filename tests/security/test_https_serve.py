"""`make run`'s web process (kasamonitor.serve) serves HTTPS from $KASA_DATA_DIR/ssl."""

from __future__ import annotations

import http.client
import json
import secrets
import ssl
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kasamonitor.serve import server_options, trusted_proxies
from tests import live
from tests.security.pki import key_pem, pair


def _fetch(url: str, timeout: float = 2) -> tuple[int, dict]:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
        return response.status, {name.lower(): value for name, value in response.headers.items()}


@pytest.mark.integration
def test_serve_uses_tls_with_a_certificate_and_key(tmp_path, transactional_db):
    (tmp_path / "ssl").mkdir()
    cert, key = pair()
    (tmp_path / "ssl" / "cert.pem").write_bytes(cert)
    (tmp_path / "ssl" / "key.pem").write_bytes(key)
    port = live.free_port()
    env = live.web_env(port, KASA_DATA_DIR=str(tmp_path))
    log = tmp_path / "serve.log"
    url = f"https://127.0.0.1:{port}"
    with live.running([sys.executable, "-m", "kasamonitor.serve"], env, log) as proc:

        def up():
            if proc.poll() is not None:
                raise RuntimeError(log.read_text())
            try:
                return _fetch(url + "/health/live")
            except OSError:
                return None

        assert live.wait_until(up, timeout=30, what="the web process over TLS")[0] == 200
        status, headers = _fetch(url + "/api/health", timeout=20)  # through Django's middleware
    assert status == 200
    assert headers["strict-transport-security"].startswith("max-age=31536000")


def test_serve_falls_back_to_http_when_the_key_does_not_match(tmp_path, capsys):
    (tmp_path / "cert.pem").write_bytes(pair()[0])
    (tmp_path / "key.pem").write_bytes(key_pem())
    options = server_options("127.0.0.1", 5999, tmp_path)
    assert "ssl_certfile" not in options and options["port"] == 5999
    assert "do not match" in capsys.readouterr().err


def test_serve_hands_clients_the_intermediates_of_a_separate_chain_file(tmp_path):
    cert, key = pair()
    intermediate = pair("ca")[0]
    (tmp_path / "cert.pem").write_bytes(cert)
    (tmp_path / "key.pem").write_bytes(key)
    (tmp_path / "chain.pem").write_bytes(intermediate)
    options = server_options("127.0.0.1", 5999, tmp_path)
    served = Path(options["ssl_certfile"]).read_bytes()
    assert served.startswith(cert.strip()) and intermediate.strip() in served
    assert options["ssl_keyfile"] == str(tmp_path / "key.pem")


def test_serve_uses_cert_pem_as_is_when_it_already_holds_the_chain(tmp_path):
    cert, key = pair()
    intermediate = pair("ca")[0]
    (tmp_path / "cert.pem").write_bytes(
        cert + intermediate
    )  # what an upload through the API writes
    (tmp_path / "key.pem").write_bytes(key)
    (tmp_path / "chain.pem").write_bytes(intermediate)
    assert server_options("127.0.0.1", 1, tmp_path)["ssl_certfile"] == str(tmp_path / "cert.pem")


def _audited_ip_of_a_failed_login(env, log) -> str:
    from security.models import AuditLog

    port = int(env["PORT"])
    with live.running(live.WEB_ARGS, env, log) as proc:

        def up():
            if proc.poll() is not None:
                raise RuntimeError(log.read_text())
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1)
            except OSError:
                return None

        live.wait_until(up, timeout=30, what="the web process")
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/auth/login",
            data=json.dumps({"username": "nobody", "password": "wrong-password"}).encode(),
            headers={"Content-Type": "application/json", "X-Forwarded-For": "127.203.113.9"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=20)
        assert refused.value.code == 401
    return AuditLog.objects.filter(action="login_failed").latest("id").ip_address


@pytest.mark.integration
def test_forwarded_addresses_are_trusted_only_behind_a_proxy(tmp_path, transactional_db):
    # uvicorn on its own trusts X-Forwarded-For from 127.0.0.1; a client on this machine
    # must not be able to pick the address the audit log and the rate limits see.
    direct = live.web_env(live.free_port())
    assert _audited_ip_of_a_failed_login(direct, tmp_path / "direct.log") == "127.0.0.1"
    proxied = live.web_env(live.free_port(), BEHIND_PROXY="1")
    assert _audited_ip_of_a_failed_login(proxied, tmp_path / "proxied.log") == "127.203.113.9"


def _login_from(port: int, source: str, forwarded_for: str) -> int:
    """POST a wrong login from `source` (a loopback address) with an X-Forwarded-For."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=20, source_address=(source, 0)
    )
    # A new name each time, so the per-account back-off stays out of the way.
    body = json.dumps({"username": f"nobody-{secrets.token_hex(4)}", "password": "wrong-pw"})
    headers = {"Content-Type": "application/json", "X-Forwarded-For": forwarded_for}
    try:
        connection.request("POST", "/api/auth/login", body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def _latest_failed_login_ip() -> str:
    from security.models import AuditLog

    return AuditLog.objects.filter(action="login_failed").latest("id").ip_address


@pytest.mark.integration
def test_behind_a_proxy_only_the_proxy_may_name_the_client(tmp_path, transactional_db):
    # BEHIND_PROXY=1 with the default FORWARDED_ALLOW_IPS (127.0.0.1): the proxy is on
    # 127.0.0.1, and 127.0.0.2 stands for a client that reaches the web process directly.
    port = live.free_port()
    env = live.web_env(port, BEHIND_PROXY="1")
    env.pop("FORWARDED_ALLOW_IPS", None)
    log = tmp_path / "serve.log"
    with live.running(live.WEB_ARGS, env, log) as proc:

        def up():
            if proc.poll() is not None:
                raise RuntimeError(log.read_text())
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1)
            except OSError:
                return None

        live.wait_until(up, timeout=30, what="the web process")
        # The client put an address of its choice in front; the proxy appended the real one.
        assert _login_from(port, "127.0.0.1", "127.51.100.7, 127.203.113.9") == 401
        assert _latest_failed_login_ip() == "127.203.113.9"
        # A direct client's header is ignored: it is not a trusted proxy.
        assert _login_from(port, "127.0.0.2", "127.203.113.50") == 401
        assert _latest_failed_login_ip() == "127.0.0.2"
        # ...so a new made-up address per request does not escape the login limit (5/min;
        # a window may end in between, so the refusal comes by the 11th try at the latest).
        answers = [_login_from(port, "127.0.0.2", f"127.51.100.{n}") for n in range(1, 11)]
    assert 429 in answers, answers


def test_forwarded_headers_are_never_trusted_from_everyone():
    assert trusted_proxies(None) == ["127.0.0.1"]
    assert trusted_proxies("127.10.0.2, 127.18.0.0/16") == ["127.10.0.2", "127.18.0.0/16"]
    for value in ("*", "127.10.0.2,*", " , "):
        with pytest.raises(ValueError, match="FORWARDED_ALLOW_IPS"):
            trusted_proxies(value)
    assert server_options("127.0.0.1", 1, Path("/nonexistent"))["forwarded_allow_ips"] is None


def _get_from(port: int, source: str, headers: dict) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=20, source_address=(source, 0)
    )
    connection.request("GET", "/api/auth/setup-required", headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.integration
def test_require_https_behind_a_proxy_believes_only_the_proxy(tmp_path, transactional_db):
    from system.models import SystemConfig

    SystemConfig.objects.update_or_create(pk=1, defaults={"require_https": True})
    port = live.free_port()
    env = live.web_env(port, BEHIND_PROXY="1", SECURE_HSTS_SECONDS="0")
    env.pop("FORWARDED_ALLOW_IPS", None)
    log = tmp_path / "serve.log"
    with live.running(live.WEB_ARGS, env, log) as proc:

        def up():
            if proc.poll() is not None:
                raise RuntimeError(log.read_text())
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1)
            except OSError:
                return None

        live.wait_until(up, timeout=30, what="the web process")
        https = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}
        proxied = _get_from(port, "127.0.0.1", https)  # the proxy terminated TLS
        direct = _get_from(port, "127.0.0.2", https)  # a client claiming so itself
        plain = _get_from(port, "127.0.0.1", {"X-Forwarded-Proto": "http", "Host": "127.0.0.1"})
    assert proxied.status == 200
    assert proxied.getheader("Strict-Transport-Security") == "max-age=31536000"
    assert (
        direct.status == 301
        and direct.getheader("Location") == "https://127.0.0.1/api/auth/setup-required"
    )
    assert plain.status == 301
