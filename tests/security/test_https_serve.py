"""`make run`'s web process (kasamonitor.serve) serves HTTPS from $KASA_DATA_DIR/ssl."""

from __future__ import annotations

import ssl
import sys
import urllib.request

import pytest

from kasamonitor.serve import daphne_args
from tests import live
from tests.security.pki import key_pem, pair


def _fetch(url: str, timeout: float = 2) -> tuple[int, dict]:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
        return response.status, dict(response.headers)


@pytest.mark.integration
def test_serve_uses_tls_with_a_certificate_and_key(tmp_path, transactional_db):
    (tmp_path / "ssl").mkdir()
    cert, key = pair()
    (tmp_path / "ssl" / "cert.pem").write_bytes(cert)
    (tmp_path / "ssl" / "key.pem").write_bytes(key)
    port = live.free_port()
    env = live.process_env(HOST="127.0.0.1", PORT=str(port), KASA_DATA_DIR=str(tmp_path))
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

        assert live.wait_until(up, timeout=30, what="daphne over TLS")[0] == 200
        status, headers = _fetch(url + "/api/health", timeout=20)  # through Django's middleware
    assert status == 200
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_serve_falls_back_to_http_when_the_key_does_not_match(tmp_path, capsys):
    (tmp_path / "cert.pem").write_bytes(pair()[0])
    (tmp_path / "key.pem").write_bytes(key_pem())
    args = daphne_args("127.0.0.1", "5999", tmp_path)
    assert "-e" not in args and args[-5:-1] == ["-b", "127.0.0.1", "-p", "5999"]
    assert "do not match" in capsys.readouterr().err


def test_serve_passes_escaped_paths_and_the_chain(tmp_path):
    folder = tmp_path / "odd:dir"
    folder.mkdir()
    cert, key = pair()
    (folder / "cert.pem").write_bytes(cert)
    (folder / "key.pem").write_bytes(key)
    (folder / "chain.pem").write_bytes(pair("ca")[0])
    endpoint = daphne_args("127.0.0.1", "5999", folder)[-2]
    assert endpoint.startswith("ssl:port=5999:interface=127.0.0.1:privateKey=")
    assert "odd\\:dir/key.pem" in endpoint and endpoint.endswith("odd\\:dir/chain.pem")


def test_forwarded_addresses_are_trusted_only_behind_a_proxy(tmp_path):
    assert "--proxy-headers" not in daphne_args("127.0.0.1", "1", tmp_path)
    assert "--proxy-headers" in daphne_args("127.0.0.1", "1", tmp_path, proxy=True)
