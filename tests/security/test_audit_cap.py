"""Anonymous requests cannot grow the audit log without bound: entries they cause are capped
per client IP and in all, per window, and what was dropped is summed up in one entry."""

from __future__ import annotations

import secrets
import time

import pytest
import time_machine

from security.models import AuditLog
from security.services import audit_record


@pytest.fixture(autouse=True)
def caps(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    settings.AUDIT_ANONYMOUS_PER_IP = "5/h"
    settings.AUDIT_ANONYMOUS_TOTAL = "8/h"


def _random_origins(client, count: int, ip: str) -> None:
    for _ in range(count):
        origin = f"https://{secrets.token_hex(6)}.example.net"
        response = client.get("/api/health", headers={"Origin": origin}, REMOTE_ADDR=ip)
        assert response.status_code == 200  # /api/health has no rate limit


def test_random_origins_from_one_client_write_a_bounded_number_of_entries(client, db):
    hour = time.time() // 3600 * 3600
    with time_machine.travel(hour + 60, tick=False):
        _random_origins(client, 60, "127.0.0.2")
        assert AuditLog.objects.filter(action="security.cors_refused").count() == 5
        _random_origins(client, 60, "127.0.0.3")  # another client still gets in, up to the total
        _random_origins(client, 60, "127.0.0.4")
        assert AuditLog.objects.filter(action="security.cors_refused").count() == 8
    with time_machine.travel(hour + 3600 + 60, tick=False):  # the next window
        _random_origins(client, 1, "127.0.0.5")
    summary = AuditLog.objects.get(action="audit.suppressed")
    assert summary.details["suppressed"] == 180 - 8
    assert summary.severity == "warning"
    assert AuditLog.objects.filter(action="security.cors_refused").count() == 9


def test_signed_in_and_system_entries_are_never_capped(rf, admin_user, db):
    request = rf.get("/", REMOTE_ADDR="127.0.0.2")
    request.user = admin_user
    for _ in range(12):
        assert audit_record("thing.done", request=request) is not None
        assert audit_record("system.thing") is not None
    assert AuditLog.objects.count() == 24


def test_the_daily_prune_job_sums_up_a_quiet_window(client, db):
    from security.tasks import prune_audit_log

    hour = time.time() // 3600 * 3600
    with time_machine.travel(hour + 60, tick=False):
        _random_origins(client, 7, "127.0.0.2")
    with time_machine.travel(hour + 3 * 3600, tick=False):
        prune_audit_log()
    assert AuditLog.objects.get(action="audit.suppressed").details["suppressed"] == 2
