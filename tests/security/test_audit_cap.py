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


def test_a_flood_cannot_blind_the_log_to_password_guesses(client, admin_user, db):
    """Spending the cap first (refused origins from many addresses) must not hide the
    guesses that follow: failed logins are bounded by the login limits, not the cap."""
    hour = time.time() // 3600 * 3600
    with time_machine.travel(hour + 60, tick=False):
        for n in range(4):
            _random_origins(client, 10, f"127.0.3.{n}")
        for n in range(3):
            client.post("/api/auth/login", {"username": "alice", "password": f"Guess-{n}!"},
                        content_type="application/json", REMOTE_ADDR="127.0.4.1")  # fmt: skip
    failed = AuditLog.objects.filter(action="login_failed")
    assert failed.count() == 3
    assert {e.details["username"] for e in failed} == {"alice"}
    assert {e.ip_address for e in failed} == {"127.0.4.1"}


def test_one_ipv6_host_counts_as_one_client(client, db):
    hour = time.time() // 3600 * 3600
    with time_machine.travel(hour + 60, tick=False):
        for n in range(1, 8):  # seven addresses of one /64
            _random_origins(client, 1, f"2001:db8:1:2::{n:x}")
        _random_origins(client, 1, "2001:db8:1:3::1")  # another /64: another client
    assert AuditLog.objects.filter(action="security.cors_refused").count() == 5 + 1
