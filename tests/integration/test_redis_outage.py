"""While Redis (cache, rate limits, broker, channel layer) is away, the web process keeps
answering what the database can answer, and 503 + Retry-After in the error shape for the
rest: never a 500 (issue 17 item 10). The launcher side (the embedded Redis restarted) is in
test_make_run.py."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest

from devices.models import Device
from tests import live
from tests.auth import access_token_for
from tests.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@contextmanager
def web_without_redis(tmp_path):
    nothing_listens = f"redis://127.0.0.1:{live.free_port()}/0"
    port = live.free_port()
    log = tmp_path / "web.log"
    env = live.web_env(port, REDIS_URL=nothing_listens)
    with live.running(live.WEB_ARGS, env, log) as proc:
        url = f"http://127.0.0.1:{port}"

        def up():
            assert proc.poll() is None, log.read_text()
            try:
                return urllib.request.urlopen(url + "/health/live", timeout=1).status == 200
            except OSError:
                return False

        live.wait_until(up, timeout=30, what="the web process")
        yield url, log


def call(url: str, method: str = "GET", token: str = "", body: dict | None = None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body or {}).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_without_redis_reads_answer_from_the_database_and_the_rest_is_503(tmp_path):
    admin = UserFactory(username="outage-admin", role="admin")
    token = access_token_for(admin)
    device = Device.objects.create(host="127.0.0.70", alias="Outage plug", mac="50:C7:BF:00:07:00")
    with web_without_redis(tmp_path) as (url, log):
        status, _, body = call(f"{url}/api/devices", token=token)
        assert status == 200, body
        assert [d["alias"] for d in json.loads(body)] == ["Outage plug"]
        status, _, _ = call(f"{url}/api/devices/{device.pk}/history", token=token)
        assert status == 200

        # Work that needs Redis: queueing a poll (broker), logging in (the login limiter).
        for method, path, body in [
            ("POST", f"/api/devices/{device.pk}/poll", None),
            ("POST", "/api/auth/login", {"username": "outage-admin", "password": "x"}),
        ]:
            status, headers, answer = call(url + path, method, token, body)
            assert status == 503, (path, status, answer)
            error = json.loads(answer)
            assert error["error_code"] == "SERVICE_UNAVAILABLE" and error["status_code"] == 503
            assert headers["Retry-After"].isdigit(), (path, dict(headers))

        status, _, page = call(f"{url}/health/ready")
        assert status == 503  # readiness says what is wrong
    assert '"status_code": 500' not in log.read_text()
