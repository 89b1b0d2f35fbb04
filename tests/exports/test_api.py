"""The /api/exports endpoints as a client sees them: shapes, ownership, limits and errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from exports import services
from exports.models import ExportJob
from security.models import AuditLog
from tests.exports.helpers import RANGE, make_readings, plug, price_hours
from tests.factories import UserFactory
from tests.support import api_client_for

pytestmark = pytest.mark.django_db
BODY = {"export_type": "device_data", "format": "csv", "date_range": RANGE}


def _create(client, **extra):
    return client.post("/api/exports/create", {**BODY, **extra}, format="json")


def test_create_status_and_download_round_trip(operator_api, operator_user):
    lamp = plug(alias="Living Room Lamp", host="127.0.9.1")
    make_readings(lamp, count=3)
    created = _create(operator_api, devices=["127.0.9.1"])
    assert created.status_code == 202
    body = created.json()
    assert body["status"] == "queued" and body["export_id"].startswith("export_")
    assert body["download_url"] == f"/api/exports/download/{body['export_id']}"
    assert body["user_id"] == operator_user.pk and "estimated_completion" in body
    services.export_run(body["export_id"])
    status = operator_api.get(f"/api/exports/{body['export_id']}").json()
    assert status["status"] == "completed" and status["progress"] == 100
    assert status["record_count"] == 3 and status["file_size"] > 0 and status["expires_at"]
    download = operator_api.get(body["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv"
    assert "attachment" in download["Content-Disposition"]
    assert b"Living Room Lamp" in b"".join(download.streaming_content)
    assert AuditLog.objects.filter(action="DATA_EXPORTED", actor=operator_user).exists()
    assert AuditLog.objects.filter(action="DATA_EXPORT", actor=operator_user).exists()


def test_a_user_without_data_export_is_refused_everywhere(viewer_api, viewer_user):
    for path in (
        "/api/exports/formats",
        "/api/exports/history",
        "/api/exports/stats",
        "/api/exports/x",
    ):
        response = viewer_api.get(path)
        assert response.status_code == 403
        body = response.json()
        assert (
            body["error_code"] == "PERMISSION_DENIED"
            and body["required_permission"] == "DATA_EXPORT"
        )
    assert _create(viewer_api).status_code == 403
    assert AuditLog.objects.filter(action="PERMISSION_DENIED", actor=viewer_user).count() == 5


def test_anonymous_requests_get_401(api_client):
    assert api_client.get("/api/exports/formats").status_code == 401


def test_users_cannot_see_download_or_delete_another_users_export(operator_api, operator_user):
    other = UserFactory(username="dave", role="operator")
    job = services.export_create(user=other, data=BODY)
    for method, path in (("get", f"/api/exports/{job.pk}"), ("get", f"/api/exports/download/{job.pk}"),
                         ("delete", f"/api/exports/{job.pk}")):  # fmt: skip
        response = getattr(operator_api, method)(path)
        assert response.status_code == 403
        assert response.json()["error_code"] == "ACCESS_DENIED"
        assert response.json()["export_owner"] == "dave"
    assert ExportJob.objects.filter(pk=job.pk).exists()
    assert AuditLog.objects.filter(action="PERMISSION_DENIED", actor=operator_user).count() == 3


def test_admins_see_and_delete_every_export(admin_api, operator_user):
    job = services.export_create(user=operator_user, data=BODY)
    assert admin_api.get(f"/api/exports/{job.pk}").json()["username"] == "bob"
    assert admin_api.get("/api/exports/history").json()["total"] == 1
    response = admin_api.delete(f"/api/exports/{job.pk}")
    assert response.status_code == 200
    assert response.json()["message"] == "Export deleted successfully"
    assert not ExportJob.objects.filter(pk=job.pk).exists()


def test_deleting_removes_the_file(operator_api, operator_user, django_capture_on_commit_callbacks):
    job = services.export_create(user=operator_user, data=BODY)
    services.export_run(job.pk)
    job.refresh_from_db()
    from exports.files import job_path

    path = job_path(job)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert operator_api.delete(f"/api/exports/{job.pk}").status_code == 200
    assert not path.exists()
    assert AuditLog.objects.filter(action="DATA_DELETED").exists()


def test_unknown_exports_answer_export_not_found(operator_api):
    response = operator_api.get("/api/exports/export_nope")
    assert response.status_code == 404
    assert response.json()["error_code"] == "EXPORT_NOT_FOUND"
    assert "export_nope" in response.json()["message"]


def test_history_pages_with_limit_and_offset_and_shows_only_own(operator_api, operator_user):
    other = UserFactory(username="erin", role="operator")
    services.export_create(user=other, data=BODY)
    for _ in range(3):
        services.export_create(user=operator_user, data=BODY, schedule=None)
        ExportJob.objects.filter(user=operator_user).update(status="completed")
    page = operator_api.get("/api/exports/history?limit=2&offset=2").json()
    assert page["total"] == 3 and page["page"] == 2 and page["per_page"] == 2
    assert len(page["exports"]) == 1
    item = page["exports"][0]
    assert (
        item["username"] == "bob"
        and item["retention_days"] == 7
        and item["export_type"] == "device_data"
    )
    assert operator_api.get("/api/exports/history?limit=abc").status_code == 400


def test_the_eleventh_export_in_an_hour_is_refused_with_429(operator_api, operator_user):
    ExportJob.objects.bulk_create([ExportJob(user=operator_user, export_type="device_data", format="csv",
                                             status="completed") for _ in range(10)])  # fmt: skip
    response = _create(operator_api)
    assert response.status_code == 429
    body = response.json()
    assert body["error_code"] == "RATE_LIMIT_EXCEEDED" and body["limit"] == "10 per hour"
    assert 0 < int(response["Retry-After"]) <= 3601 and body["retry_after"] == int(
        response["Retry-After"]
    )
    assert body["retry_at"].endswith("Z")
    assert AuditLog.objects.filter(action="RATE_LIMIT_EXCEEDED", actor=operator_user).exists()
    ExportJob.objects.update(created_at=timezone.now() - timedelta(hours=2))
    assert _create(operator_api).status_code == 202


def test_a_fourth_concurrent_export_is_refused(operator_api):
    for _ in range(3):
        assert _create(operator_api).status_code == 202
    response = _create(operator_api)
    assert (
        response.status_code == 429 and response.json()["error_code"] == "CONCURRENT_EXPORT_LIMIT"
    )


@pytest.mark.parametrize(
    ("date_range", "code"),
    [({"start": "2024-02-01", "end": "2024-01-01"}, "INVALID_DATE_RANGE"),
     ({"start": "2023-01-01", "end": "2024-06-01"}, "INVALID_DATE_RANGE"),
     ({"start": "yesterday-ish", "end": "2024-01-01"}, "INVALID_DATE_RANGE"),
     ("next_century", "INVALID_DATE_RANGE")],
)  # fmt: skip
def test_bad_date_ranges_are_refused(operator_api, date_range, code):
    response = _create(operator_api, date_range=date_range)
    assert response.status_code == 400 and response.json()["error_code"] == code


@pytest.mark.parametrize(
    "extra",
    [{"format": "docx"}, {"export_type": "everything"}, {"fields": ["password"]}, {"devices": ["127.51.100.9"]},
     {"aggregation": "yearly"}, {"filters": {"min_power": "lots"}}, {"options": {"timezone": "Mars/Base"}},
     {"compression": "rar"}, {"aggregation_functions": {"power_w": "median"}}, {"filters": []}],
)  # fmt: skip
def test_bad_requests_get_400_json_never_500(operator_api, extra):
    response = _create(operator_api, **extra)
    assert response.status_code == 400, response.content
    assert response.json()["error_code"] in ("INVALID_EXPORT_REQUEST", "INVALID_DATE_RANGE")


def test_a_non_object_body_is_refused(operator_api):
    assert operator_api.post("/api/exports/create", [1, 2], format="json").status_code == 400


def test_too_many_records_are_refused_before_queueing(operator_api, settings):
    settings.EXPORT_LIMITS = {"max_records_per_export": 5}
    make_readings(plug(), count=6)
    response = _create(operator_api)
    assert response.status_code == 400
    assert response.json()["error_code"] == "EXPORT_LIMIT_EXCEEDED"
    assert response.json()["estimated_records"] == 6
    assert not ExportJob.objects.exists()


def test_a_file_over_the_size_limit_fails_the_export_with_a_reason(operator_user, settings):
    settings.EXPORT_LIMITS = {"max_file_size_mb": 0}
    make_readings(plug(), count=3)
    job = services.export_create(user=operator_user, data=BODY)
    services.export_run(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "limit is 0 MB" in job.error


def test_expired_exports_answer_export_expired(operator_api, operator_user):
    job = services.export_create(user=operator_user, data=BODY)
    services.export_run(job.pk)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = operator_api.get(f"/api/exports/download/{job.pk}")
    assert response.status_code == 410
    assert response.json()["error_code"] == "EXPORT_EXPIRED" and response.json()["expired_at"]


def test_downloading_an_unfinished_export_is_a_conflict(operator_api, operator_user):
    job = services.export_create(user=operator_user, data=BODY)
    response = operator_api.get(f"/api/exports/download/{job.pk}")
    assert response.status_code == 409 and response.json()["export_status"] == "queued"


def test_formats_metrics_and_devices(operator_api):
    lamp = plug(alias="Living Room Lamp", host="127.0.9.2")
    make_readings(lamp, count=2)
    formats = operator_api.get("/api/exports/formats").json()["formats"]
    assert [f["id"] for f in formats] == ["csv", "json", "excel", "pdf"]
    assert formats[2]["extension"] == ".xlsx"
    metrics = {m["field"]: m for m in operator_api.get("/api/exports/metrics").json()["metrics"]}
    assert metrics["power_w"]["unit"] == "W" and metrics["cost"]["data_type"] == "float"
    devices = operator_api.get("/api/exports/devices").json()["devices"]
    assert devices[0]["device_ip"] == "127.0.9.2" and devices[0]["data_points"] == 2


def test_preview_shows_the_first_rows_and_the_total(operator_api):
    lamp = plug(alias="Living Room Lamp", host="127.0.9.3")
    make_readings(lamp, count=7, power=45.2)
    price_hours(lamp)
    response = operator_api.get("/api/exports/preview", {"export_type": "device_data", "devices": "127.0.9.3",
                                                          "limit": 5, "start": RANGE["start"], "end": RANGE["end"]})  # fmt: skip
    assert response.status_code == 200, response.json()
    body = response.json()
    assert len(body["preview"]) == 5 and body["total_records"] == 7
    assert (
        body["preview"][0]["device_name"] == "Living Room Lamp"
        and body["preview"][0]["power_w"] == 45.2
    )
    assert body["preview"][0]["timestamp"] == "2024-01-15T10:00:00Z"
    assert (
        body["estimated_file_size"].endswith("B")
        and body["preview_note"] == "Showing first 5 records"
    )
    assert operator_api.get("/api/exports/preview", {"limit": "0"}).status_code == 400


def test_stats_count_by_type_and_format(operator_api, operator_user):
    for fmt in ("csv", "csv", "json"):
        services.export_create(user=operator_user, data={**BODY, "format": fmt})
        ExportJob.objects.update(status="completed")
    stats = operator_api.get("/api/exports/stats").json()
    assert stats["total_exports"] == 3 and stats["exports_this_month"] == 3
    assert stats["most_popular_format"] == "csv" and stats["formats"] == {"csv": 2, "json": 1}
    assert stats["export_types"] == {"device_data": 3} and stats["user_exports_remaining"] == 7


def test_personal_data_holds_profile_sessions_and_audit_events(operator_api, operator_user):
    response = operator_api.get("/api/exports/personal-data")
    assert response.status_code == 200
    body = response.json()
    assert body["profile"]["username"] == "bob" and body["profile"]["email"] == "bob@example.com"
    assert "password" not in body["profile"]
    assert isinstance(body["sessions"], list) and isinstance(body["audit_events"], list)
    again = operator_api.get("/api/exports/personal-data").json()
    assert any(e["event_type"] == "DATA_EXPORTED" for e in again["audit_events"])


def test_failed_exports_can_be_retried_by_their_owner(operator_api, operator_user):
    job = services.export_create(user=operator_user, data=BODY)
    services.export_mark_failed(job.pk, "boom")
    response = operator_api.post(f"/api/exports/{job.pk}/retry")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    assert operator_api.post(f"/api/exports/{job.pk}/retry").status_code == 409
    services.export_run(job.pk)
    assert ExportJob.objects.get(pk=job.pk).status == "completed"


def test_every_endpoint_is_in_the_openapi_schema(admin_api):
    schema = admin_api.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/exports/formats", "/api/exports/create", "/api/exports/history", "/api/exports/preview",
                 "/api/exports/stats", "/api/exports/schedule", "/api/exports/schedules/{schedule_id}",
                 "/api/exports/download/{export_id}", "/api/exports/{export_id}/retry",
                 "/api/exports/personal-data", "/api/exports/devices", "/api/exports/metrics"):  # fmt: skip
        assert path in schema


def test_compliance_hold_keeps_audit_exports_from_early_deletion_by_their_owner(
    operator_api, operator_user
):
    job = services.export_create(user=operator_user, data={"export_type": "audit_logs", "format": "json",
                                                           "date_range": "today"})  # fmt: skip
    services.export_run(job.pk)
    response = operator_api.delete(f"/api/exports/{job.pk}")
    assert response.status_code == 403 and response.json()["error_code"] == "COMPLIANCE_HOLD"


def test_api_client_for_a_second_operator_sees_an_empty_history(operator_user):
    services.export_create(user=operator_user, data=BODY)
    client = api_client_for(UserFactory(username="frank", role="operator"))
    assert client.get("/api/exports/history").json()["total"] == 0
