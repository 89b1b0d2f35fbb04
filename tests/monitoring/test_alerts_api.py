from __future__ import annotations

import pytest

from monitoring.models import Alert

from .factories import AlertFactory, DeviceFactory

pytestmark = pytest.mark.django_db


def test_it_lists_alerts_in_the_spec_shape_with_pagination(viewer_api):
    device = DeviceFactory(alias="Core-Switch-01")
    AlertFactory.create_batch(3, device=device, severity="high")
    body = viewer_api.get("/api/alerts/?page=2&per_page=2").json()
    assert body["pagination"] == {"page": 2, "pages": 2, "per_page": 2, "total": 3}
    (alert,) = body["alerts"]
    assert alert["device_id"] == device.pk
    assert alert["device_name"] == "Core-Switch-01"
    assert {"severity", "message", "created_at", "acknowledged", "acknowledged_at"} <= set(alert)


def test_it_answers_with_and_without_a_trailing_slash(viewer_api):
    assert viewer_api.get("/api/alerts").status_code == 200
    assert viewer_api.get("/api/alerts/").status_code == 200
    assert viewer_api.get("/api/alerts/summary").status_code == 200


def test_it_filters_by_severity_and_acknowledged(viewer_api):
    AlertFactory(severity="low")
    AlertFactory(severity="high", acknowledged=True)
    AlertFactory(severity="high")
    body = viewer_api.get("/api/alerts/?severity=high&acknowledged=false").json()
    assert [a["severity"] for a in body["alerts"]] == ["high"]
    assert body["alerts"][0]["acknowledged"] is False


def test_it_rejects_bad_filters_with_a_json_400(viewer_api):
    response = viewer_api.get("/api/alerts/?severity=apocalyptic&per_page=0")
    assert response.status_code == 400
    assert response.json()["error_code"] == "VALIDATION_ERROR"


def test_it_shows_one_alert_and_404s_for_a_missing_one(viewer_api):
    alert = AlertFactory(message="Manual maintenance alert")
    assert viewer_api.get(f"/api/alerts/{alert.pk}").json()["message"] == alert.message
    assert viewer_api.get("/api/alerts/999999").status_code == 404


def test_operator_creates_a_manual_alert_for_a_device(operator_api):
    device = DeviceFactory()
    payload = {"device_id": device.pk, "severity": "medium", "message": "Manual maintenance"}
    response = operator_api.post("/api/alerts/", payload, format="json")
    assert response.status_code == 201, response.json()
    alert = Alert.objects.get(pk=response.json()["id"])
    assert (alert.device, alert.rule, alert.key) == (device, None, None)


def test_viewer_cannot_create_or_acknowledge(viewer_api):
    alert = AlertFactory()
    denied = viewer_api.post("/api/alerts/", {"message": "x"}, format="json")
    assert denied.status_code == 403
    assert denied.json()["required_permission"] == "alerts.acknowledge"
    assert viewer_api.post(f"/api/alerts/{alert.pk}/acknowledge").status_code == 403


def test_it_refuses_a_manual_alert_about_two_subjects(operator_api):
    from .factories import CameraFactory

    payload = {
        "device_id": DeviceFactory().pk,
        "camera_id": CameraFactory().pk,
        "message": "both?",
    }
    assert operator_api.post("/api/alerts/", payload, format="json").status_code == 400


def test_it_refuses_a_manual_alert_for_an_unknown_device(operator_api):
    response = operator_api.post(
        "/api/alerts/", {"device_id": 424242, "message": "x"}, format="json"
    )
    assert response.status_code == 400


def test_operator_acknowledges_an_alert(operator_api, operator_user):
    alert = AlertFactory()
    body = operator_api.post(f"/api/alerts/{alert.pk}/acknowledge/").json()
    assert body["alert"]["acknowledged"] is True
    assert body["alert"]["acknowledged_by"] == operator_user.username
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None


def test_acknowledge_all_takes_an_optional_severity(operator_api):
    AlertFactory.create_batch(2, severity="low")
    AlertFactory(severity="critical")
    body = operator_api.post("/api/alerts/acknowledge-all", {"severity": "low"}, format="json")
    assert body.json()["count"] == 2
    assert Alert.objects.filter(acknowledged=False).count() == 1
    operator_api.post("/api/alerts/acknowledge-all/", {}, format="json")
    assert not Alert.objects.filter(acknowledged=False).exists()


def test_only_admins_delete_alerts(operator_api, admin_api):
    alert = AlertFactory()
    assert operator_api.delete(f"/api/alerts/{alert.pk}").status_code == 403
    assert admin_api.delete(f"/api/alerts/{alert.pk}/").status_code == 200
    assert not Alert.objects.filter(pk=alert.pk).exists()


def test_deleting_an_alert_is_audited(admin_api):
    from security.models import AuditLog

    alert = AlertFactory()
    admin_api.delete(f"/api/alerts/{alert.pk}")
    assert AuditLog.objects.filter(action="alert.delete", target_id=str(alert.pk)).exists()


def test_summary_counts_unacknowledged_by_severity_and_lists_recent(viewer_api):
    AlertFactory(severity="high")
    AlertFactory(severity="high", acknowledged=True)
    AlertFactory(severity="critical")
    body = viewer_api.get("/api/alerts/summary").json()
    assert (body["total"], body["unacknowledged"], body["high"], body["critical"]) == (3, 2, 1, 1)
    assert len(body["recent"]) == 3
    assert {"id", "device_name", "severity", "message", "created_at"} <= set(body["recent"][0])


def test_anonymous_requests_get_401(api_client):
    assert api_client.get("/api/alerts/").status_code == 401
