"""docs/api.md's "Differences from the spec documents" and "Coming from the original Kasa
Monitor", claim by claim, through HTTP: if one of these fails, the docs are wrong."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.sessions import session_start
from devices.models import Device
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"detail", "message", "error", "error_code", "code", "status_code", "timestamp"}


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# DIFFERENCES FROM THE SPEC DOCUMENTS
# ------------------------------------------------------------------------------
def test_the_anonymous_endpoints_take_json_only(viewer_user, password):
    form = APIClient().post("/api/auth/login", {"username": "charlie", "password": password})
    assert (form.status_code, form.json()["error_code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
    plain = APIClient().generic(
        "POST", "/api/auth/login", '{"username": "charlie"}', content_type="text/plain"
    )
    assert plain.status_code == 415
    as_json = {"username": "charlie", "password": password}
    assert APIClient().post("/api/auth/login", as_json, format="json").status_code == 200


def test_a_login_sessions_expiry_is_the_refresh_tokens_not_the_access_tokens(viewer_user, password):
    from datetime import datetime

    body = (
        APIClient()
        .post("/api/auth/login", {"username": "charlie", "password": password}, format="json")
        .json()
    )
    session = body["session"]
    lasts = datetime.fromisoformat(session["expires_at"]) - datetime.fromisoformat(
        session["created_at"]
    )
    assert body["expires_in"] == 1800 and round(lasts.total_seconds() / 86400) == 7


def test_a_2fa_login_answers_a_challenge_and_disable_needs_proof(viewer_user, viewer_api, password):
    viewer_api.post("/api/auth/2fa/setup")
    device = TOTPDevice.objects.get(user=viewer_user)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, 0):06d}"
    assert viewer_api.post("/api/auth/2fa/verify", {"token": code}).status_code == 200

    login = {"username": "charlie", "password": password, "totp_code": code}
    body = APIClient().post("/api/auth/login", login, format="json").json()
    assert body["requires_2fa"] is True and "access_token" not in body  # totp_code not read

    refused = viewer_api.post("/api/auth/2fa/disable", {}, format="json")
    assert refused.status_code == 400
    done = viewer_api.post("/api/auth/2fa/disable", {"password": password}, format="json")
    assert done.status_code == 200 and done.json()["enabled"] is False


@pytest.mark.parametrize(
    "path",
    ["/api/devices", "/api/device/127.0.0.9", "/api/device/127.0.0.9/history", "/api/rates",
     "/api/costs", "/api/system/status", "/api/settings/network"],
)  # fmt: skip
def test_reads_the_spec_shows_without_a_token_need_a_login(api_client, viewer_api, path):
    DeviceFactory(host="127.0.0.9")
    answer = api_client.get(path)
    assert answer.status_code == 401 and answer.json().keys() >= ERROR_KEYS
    assert viewer_api.get(path).status_code == 200


def test_invalid_input_is_a_400_in_the_one_error_shape_never_422(admin_api):
    answer = admin_api.put("/api/system/config", {"polling_interval": "often"}, format="json")
    assert answer.status_code == 400
    assert answer.json().keys() >= ERROR_KEYS


def test_registration_is_closed_until_the_admin_opens_it(api_client, admin_api, password):
    body = {"username": "newbie", "email": "newbie@example.com", "password": password}
    closed = api_client.post("/api/auth/register", body, format="json")
    assert (closed.status_code, closed.json()["error_code"]) == (403, "REGISTRATION_DISABLED")
    opening = admin_api.patch("/api/system/config", {"allow_registration": True}, format="json")
    assert opening.status_code == 200
    opened = APIClient().post("/api/auth/register", body, format="json")
    assert opened.status_code in (200, 201), opened.json()
    assert opened.json()["user"]["role"] == "viewer"


def test_revoke_others_must_name_the_current_session(viewer_user):
    other, mine = (session_start(viewer_user, ip="127.0.0.1", user_agent="t") for _ in "ab")
    answer = bearer(mine.access).post(
        "/api/security/sessions/revoke-others",
        {"sessionId": other.session.public_id},
        format="json",
    )
    assert (answer.status_code, answer.json()["error_code"]) == (400, "NOT_CURRENT_SESSION")
    assert bearer(other.access).get("/api/auth/me").status_code == 200  # nothing ended


def test_a_signed_url_opens_only_exports_and_backups(admin_api):
    body = {"filePath": "../kasamonitor.sqlite3", "fileType": "sqlite3"}
    answer = admin_api.post("/api/security/generate-signed-url", body, format="json")
    assert 400 <= answer.status_code < 500 and "signedUrl" not in answer.json()


def test_a_backup_is_a_job_answered_at_once(admin_api, django_capture_on_commit_callbacks):
    answer = admin_api.post("/api/backups/create", {}, format="json")
    assert answer.status_code == 202, answer.json()
    progress = admin_api.get(f"/api/backups/progress?job_id={answer.json()['job_id']}")
    assert progress.status_code == 200


def test_network_equipment_lives_at_hosts_not_devices(operator_api):
    body = {"name": "Core switch", "ip_address": "127.0.0.20", "vendor": "Cisco",
            "device_type": "switch", "snmp_community": "public"}  # fmt: skip
    host = operator_api.post("/api/hosts/", body, format="json")
    assert host.status_code == 201, host.json()
    assert "snmp_community" not in host.json()
    assert [d["device_ip"] for d in operator_api.get("/api/devices").json()] == []


# COMING FROM THE ORIGINAL KASA MONITOR
# ------------------------------------------------------------------------------
def test_devices_answer_device_ip_and_signal_strength(viewer_api):
    device = DeviceFactory(host="127.0.0.9", rssi=-50)
    (row,) = viewer_api.get("/api/devices").json()
    assert (row["device_ip"], row["signal_strength"], row["id"]) == ("127.0.0.9", -50, device.pk)
    assert "ip" not in row and "rssi" not in row
    detail = viewer_api.get(f"/api/devices/{device.mac}").json()
    assert detail["device_ip"] == "127.0.0.9" and "energy_total_kwh" in detail


def test_monitoring_notes_and_address_are_one_patch(admin_api):
    device = DeviceFactory(host="127.0.0.9")
    answer = admin_api.patch(
        "/api/devices/127.0.0.9", {"enabled": False, "notes": "garage"}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    device.refresh_from_db()
    assert (device.enabled, device.notes) == (False, "garage")
    for old in ("monitoring", "ip", "notes"):
        assert admin_api.put(f"/api/devices/127.0.0.9/{old}", {}, format="json").status_code == 404


def test_delete_removes_the_device_with_its_history(admin_api):
    from tests.devices.factories import hourly

    device = DeviceFactory(host="127.0.0.9")
    hourly(device, device.created_at, 3)
    assert admin_api.delete("/api/devices/127.0.0.9").status_code == 204
    assert not Device.objects.filter(pk=device.pk).exists()
    assert admin_api.get("/api/device/127.0.0.9/history").status_code == 404


def test_control_takes_a_json_body_not_a_query_parameter(operator_api):
    DeviceFactory(host="127.0.0.9")
    answer = operator_api.post("/api/device/127.0.0.9/control?action=on", {}, format="json")
    assert answer.status_code == 400 and answer.json()["field"] == "action"


def test_history_is_a_plain_array(viewer_api):
    DeviceFactory(host="127.0.0.9")
    answer = viewer_api.get("/api/device/127.0.0.9/history?time_period=24h")
    assert answer.status_code == 200 and isinstance(answer.json(), list)
    assert viewer_api.get("/api/device/127.0.0.9/history?interval=15m").status_code == 400


def test_the_originals_rate_vocabulary_is_saved_with_201(operator_api):
    body = {"name": "Home", "rate_type": "flat", "flat_rate": 0.2, "currency": "EUR"}
    answer = operator_api.post("/api/rates", body, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["rate_structure"]["rate_per_kwh"] == 0.2


def test_change_password_takes_camel_case(viewer_api, password):
    snake = {"current_password": password, "new_password": "An0ther!Passw0rd"}
    assert viewer_api.post("/api/auth/change-password", snake, format="json").status_code == 400
    camel = {"currentPassword": password, "newPassword": "An0ther!Passw0rd"}
    assert viewer_api.post("/api/auth/change-password", camel, format="json").status_code == 200


def test_auth_logout_ends_this_session_security_logout_all(viewer_user):
    one, two = (session_start(viewer_user, ip="127.0.0.1", user_agent="t") for _ in "ab")
    assert bearer(one.access).post("/api/auth/logout").status_code == 200
    assert bearer(two.access).get("/api/auth/me").status_code == 200
    assert bearer(two.access).post("/api/security/logout").status_code == 200
    assert bearer(two.access).get("/api/auth/me").status_code == 401


def test_no_self_service_profile_edit_and_users_are_paged(viewer_api, admin_api):
    assert viewer_api.put("/api/auth/profile", {"full_name": "C"}, format="json").status_code == 405
    assert viewer_api.delete("/api/auth/account").status_code == 404
    body = admin_api.get("/api/users").json()
    assert {"users", "total", "page", "per_page", "pages"} <= body.keys()


def test_system_config_is_flat_and_has_no_post(admin_api):
    config = admin_api.get("/api/system/config").json()
    assert {"polling_interval", "data_retention_days", "allow_device_control",
            "require_https", "allow_registration"} <= config.keys()  # fmt: skip
    assert "ssl" not in config and "network" not in config
    assert admin_api.post("/api/system/config", {}, format="json").status_code == 405


def test_ssl_files_answer_the_specs_shape(admin_api):
    body = admin_api.get("/api/ssl/files").json()
    assert {"cert_exists", "key_exists"} <= body.keys() and "files" not in body


def test_the_originals_extra_endpoints_are_not_provided(admin_api):
    for path in ("/api/ready", "/api/metrics", "/api/device-groups", "/api/devices/saved"):
        answer = admin_api.get(path)
        assert answer.status_code == 404, (path, answer.status_code)
