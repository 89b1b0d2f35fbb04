"""The audit log: one writer for every app, append-only, admin read-only, API for admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.admin.utils import quote
from django.db import transaction
from django.utils import timezone

from security.models import AuditLog
from security.services import audit_prune_expired, audit_record
from tests.factories import DeviceFactory, UserFactory


def test_another_app_records_an_event_with_actor_target_ip_and_agent(rf, admin_user):
    device = DeviceFactory()
    request = rf.post("/api/devices/1/control", HTTP_USER_AGENT="pytest-agent",
                      REMOTE_ADDR="127.0.0.9")  # fmt: skip
    request.user = admin_user
    entry = audit_record("device.power_off", request=request, target=device,
                         details={"on": False})  # fmt: skip
    entry.refresh_from_db()
    assert entry.actor == admin_user and entry.actor_username == "alice"
    assert entry.target_type == "devices.device" and entry.target_id == str(device.pk)
    assert entry.ip_address == "127.0.0.9" and entry.user_agent == "pytest-agent"
    assert entry.outcome == "success" and entry.details == {"on": False}
    assert entry.created_at <= timezone.now()


def test_anonymous_failures_are_recorded_without_an_actor(rf, db):
    request = rf.get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    entry = audit_record("auth.login_failed", request=request, outcome="failure",
                         severity="warning")  # fmt: skip
    assert entry.actor is None and entry.actor_username == ""


def test_entries_cannot_be_changed_or_deleted_through_the_orm(admin_user):
    entry = audit_record("thing.done", actor=admin_user)
    entry.action = "thing.undone"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditLog.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditLog.objects.all().delete()
    with pytest.raises(PermissionError), transaction.atomic():
        AuditLog.objects.bulk_update([entry], ["action"])
    assert AuditLog.objects.get(pk=entry.pk).action == "thing.done"


def test_deleting_a_user_keeps_their_history(db):
    user = UserFactory(username="leaver")
    audit_record("thing.done", actor=user)
    user.delete()
    entry = AuditLog.objects.get(action="thing.done")
    assert entry.actor is None and entry.actor_username == "leaver"


def test_the_admin_shows_entries_read_only(client, admin_user):
    entry = audit_record("thing.done", actor=admin_user)
    client.force_login(admin_user)
    base = "/admin/security/auditlog/"
    listing = client.get(base)
    assert listing.status_code == 200 and b"thing.done" in listing.content
    detail = client.get(f"{base}{quote(entry.pk)}/change/")
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
    assert client.post(f"{base}{quote(entry.pk)}/change/", {"action": "x"}).status_code == 403
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = client.post(base, {"action": "delete_selected", "_selected_action": [entry.pk]})
    assert bulk.status_code in (200, 302)
    assert AuditLog.objects.get(pk=entry.pk).action == "thing.done"


def test_the_admin_exports_entries_as_csv(client, admin_user):
    audit_record("thing.done", actor=admin_user)
    client.force_login(admin_user)
    response = client.post("/admin/security/auditlog/export/", {
        "format": "0", "resource": "0", "auditlogresource_id": "on",
        "auditlogresource_action": "on", "auditlogresource_actor": "on"})  # fmt: skip
    assert response.status_code == 200, response.content[:500]
    assert b"thing.done" in response.content and b"alice" in response.content


def test_retention_removes_only_entries_older_than_the_setting(db, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    with time_machine.travel(datetime(2025, 1, 1, tzinfo=UTC)):
        audit_record("old.event")
    with time_machine.travel(datetime(2025, 1, 25, tzinfo=UTC)):
        audit_record("recent.event")
    with time_machine.travel(datetime(2025, 2, 10, tzinfo=UTC)):
        assert audit_prune_expired() == 1
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert actions == {"recent.event", "audit.pruned"}


def test_the_daily_retention_job_is_scheduled(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="security.tasks.prune_audit_log")
    assert task.crontab.hour == "3" and task.enabled


def test_the_retention_task_runs(db, settings):
    from security.tasks import prune_audit_log

    settings.AUDIT_RETENTION_DAYS = 1
    with time_machine.travel(timezone.now() - timedelta(days=3)):
        audit_record("old.event")
    prune_audit_log()
    assert not AuditLog.objects.filter(action="old.event").exists()


@pytest.fixture
def history(admin_user, operator_user):
    with time_machine.travel(datetime(2025, 3, 1, 12, tzinfo=UTC)):
        audit_record("auth.login", actor=operator_user)
    with time_machine.travel(datetime(2025, 3, 2, 12, tzinfo=UTC)):
        audit_record("device.power_off", actor=admin_user, target_type="devices.device",
                     target_id="7", severity="warning")  # fmt: skip
        audit_record("auth.login_failed", outcome="failure", severity="warning")
    with time_machine.travel(datetime(2025, 3, 3, 12, tzinfo=UTC)):
        audit_record("exports.created", actor=operator_user, target_type="exports.export",
                     target_id="3")  # fmt: skip


def _actions(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [e["action"] for e in response.json()["logs"]]


@pytest.mark.parametrize(
    "query,expected",
    [
        ("", ["exports.created", "auth.login_failed", "device.power_off", "auth.login"]),
        ("action=auth.*", ["auth.login_failed", "auth.login"]),
        ("action=auth.login", ["auth.login"]),
        ("actor=bob", ["exports.created", "auth.login"]),
        ("outcome=failure", ["auth.login_failed"]),
        ("severity=warning", ["auth.login_failed", "device.power_off"]),
        ("target=devices.device:7", ["device.power_off"]),
        ("start=2025-03-02&end=2025-03-02", ["auth.login_failed", "device.power_off"]),
        ("start_date=2025-03-03T00:00:00Z", ["exports.created"]),
    ],
)
def test_admins_filter_the_audit_log(admin_api, history, query, expected):
    assert _actions(admin_api.get(f"/api/audit-logs?{query}")) == expected


def test_the_audit_log_is_paginated(admin_api, history):
    body = admin_api.get("/api/audit-logs?per_page=3&page=2").json()
    assert body["pagination"] == {"page": 2, "pages": 2, "per_page": 3, "total": 4}
    assert [e["action"] for e in body["logs"]] == ["auth.login"]
    entry = body["logs"][0]
    assert entry["actor"] == "bob" and entry["timestamp"].startswith("2025-03-01T12:00")


def test_bad_filters_are_a_400(admin_api, db):
    response = admin_api.get("/api/audit-logs?start=yesterday")
    assert response.status_code == 400 and response.json()["field"] == "start"


def test_only_admins_read_the_audit_log(operator_api, viewer_api, api_client, db):
    assert operator_api.get("/api/audit-logs").status_code == 403
    assert viewer_api.get("/api/audit-logs").status_code == 403
    assert api_client.get("/api/audit-logs").status_code == 401


def test_the_api_offers_no_way_to_change_entries(admin_api, db):
    for method in ("post", "put", "patch", "delete"):
        assert getattr(admin_api, method)("/api/audit-logs").status_code == 405
