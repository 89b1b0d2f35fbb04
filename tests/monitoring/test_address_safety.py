"""Addresses people type in never smuggle bytes onto the wire, and a camera's password never
follows a changed address: real loopback peers record what they receive."""

from __future__ import annotations

import time

import pytest

from monitoring import cameras, crypto
from monitoring.models import Camera, NotificationChannel
from security.models import AuditLog

from .factories import CameraFactory
from .peers import RecordingPeer, RtspResponder

pytestmark = pytest.mark.django_db


def received_after_a_moment(peer: RecordingPeer) -> bytes:
    time.sleep(0.2)  # the peer's thread reads what the client wrote before it closed
    return bytes(peer.received)


def camera_with_password(api, url: str, password: str = "s3cret!") -> int:
    body = {"name": "Door", "rtsp_url": url, "username": "admin", "password": password}
    response = api.post("/api/cameras/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


# Control characters and whitespace
# ------------------------------------------------------------------------------
def test_a_crlf_in_an_rtsp_url_is_refused_and_nothing_reaches_the_service(operator_api):
    with RecordingPeer() as redis_like:
        smuggled = f"rtsp://127.0.0.1:{redis_like.port}/x\r\nSET k v\r\n"
        response = operator_api.post(
            "/api/cameras/", {"name": "Cam", "rtsp_url": smuggled}, format="json"
        )
        camera = CameraFactory(rtsp_url=f"rtsp://127.0.0.1:{redis_like.port}/x")
        patched = operator_api.patch(
            f"/api/cameras/{camera.pk}/", {"rtsp_url": smuggled}, format="json"
        )
        assert received_after_a_moment(redis_like) == b""
    body = response.json()
    assert response.status_code == 400, body
    assert body["error_code"] == "VALIDATION_ERROR" and "rtsp_url" in body["errors"]
    assert patched.status_code == 400
    assert Camera.objects.get().rtsp_url == f"rtsp://127.0.0.1:{redis_like.port}/x"


def test_a_crlf_stored_before_the_checks_never_goes_on_the_wire(settings):
    settings.MONITORING = {"rtsp_timeout": 0.5}
    with RecordingPeer() as redis_like:
        camera = CameraFactory(rtsp_url=f"rtsp://127.0.0.1:{redis_like.port}/x\r\nSET k v\r\n")
        result = cameras.camera_test(camera)
        received = received_after_a_moment(redis_like)
    assert b"SET k v" not in received and redis_like.connections == 0
    assert result["status"] == "offline" and "invalid camera URL" in result["detail"]


FIELDS = [
    ("/api/cameras/", {"name": "C"}, "rtsp_url", "rtsp://127.0.0.1:554/a{}b"),
    ("/api/cameras/", {"name": "C", "rtsp_url": "rtsp://127.0.0.1/s"}, "snapshot_url",
     "http://127.0.0.1/snap{}.jpg"),
    ("/api/cameras/", {"name": "C", "rtsp_url": "rtsp://127.0.0.1/s"}, "ip_address",
     "127.0.0.1{}"),
    ("/api/alerts/channels", {"name": "W", "kind": "webhook"}, "target",
     "http://127.0.0.1:9/hook{}"),
    ("/api/alerts/channels", {"name": "S", "kind": "slack"}, "target",
     "http://127.0.0.1:9/{}hook"),
    ("/api/hosts/", {"name": "H", "port": 22}, "ip_address", "{}nas.local"),
]  # fmt: skip


@pytest.mark.parametrize("path,base,field,template", FIELDS)
@pytest.mark.parametrize(
    "bad", ["\r\nX: y", "\n", "\t", " ", "\x01", "\x0b", "\x7f", "\x85", "\u2028", "\u202e"]
)
def test_every_address_field_refuses_control_characters_and_whitespace(
    admin_api, path, base, field, template, bad
):
    response = admin_api.post(path, {**base, field: template.format(bad)}, format="json")
    body = response.json()
    assert response.status_code == 400, body
    assert field in body["errors"], body


def test_urls_are_stored_as_re_serialised(admin_api):
    camera = admin_api.post(
        "/api/cameras/",
        {"name": "C", "rtsp_url": "RTSP://Cam.Local:8554/caméra?x=1",
         "snapshot_url": "HTTP://127.0.0.1/snap.jpg"},
        format="json",
    ).json()  # fmt: skip
    assert camera["rtsp_url"] == "rtsp://cam.local:8554/cam%C3%A9ra?x=1"
    assert camera["snapshot_url"] == "http://127.0.0.1/snap.jpg"
    channel = admin_api.post(
        "/api/alerts/channels",
        {"name": "W", "kind": "webhook", "target": "HTTPS://Hooks.Example:8443/ü"},
        format="json",
    ).json()
    assert channel["target"] == "https://hooks.example:8443/%C3%BC"
    host = admin_api.post(
        "/api/hosts/", {"name": "NAS", "ip_address": "Bücher.Local"}, format="json"
    )
    assert host.json()["ip_address"] == "xn--bcher-kva.local"


def test_a_webhook_url_stored_before_the_checks_is_not_sent_to(webhook):
    from monitoring import notify

    channel = NotificationChannel.objects.create(
        name="old", kind="webhook", target=webhook.url + "\r\nX-Injected: 1"
    )
    error = notify.channel_test_safe(channel)
    assert error and webhook.attempts == 0


# Credentials follow the address, not the row
# ------------------------------------------------------------------------------
def test_a_new_host_in_the_rtsp_url_never_receives_the_stored_password(operator_api):
    with RtspResponder("admin", "s3cret!") as camera, RtspResponder(basic=True) as other:
        camera_id = camera_with_password(operator_api, camera.url())
        response = operator_api.patch(
            f"/api/cameras/{camera_id}/", {"rtsp_url": other.url()}, format="json"
        )
        assert response.status_code == 200 and response.json()["has_password"] is False
        result = operator_api.post(f"/api/cameras/{camera_id}/test").json()["result"]
    assert not any("authorization" in head.lower() for head in other.heads), other.heads
    assert result["auth_required"] is True
    cleared = AuditLog.objects.get(action="camera.password_cleared")
    assert cleared.target_id == str(camera_id) and cleared.severity == "warning"


def test_a_new_port_on_the_same_host_also_clears_the_password(operator_api):
    camera_id = camera_with_password(operator_api, "rtsp://127.0.0.1:554/s")
    operator_api.patch(
        f"/api/cameras/{camera_id}/", {"rtsp_url": "rtsp://127.0.0.1:8554/s"}, format="json"
    )
    assert Camera.objects.get().password_encrypted == ""


def test_an_admin_console_edit_to_a_new_host_also_clears_the_password(operator_api, admin_client):
    """The console's form puts the new URL on the camera before saving it: the old address
    must come from the database, not from the instance."""
    camera_id = camera_with_password(operator_api, "rtsp://127.0.0.1:554/s")
    camera = Camera.objects.get(pk=camera_id)
    form = {"name": camera.name, "ip_address": "127.0.0.9", "rtsp_url": "rtsp://127.0.0.9:554/s",
            "username": camera.username, "location": "", "snapshot_url": "", "enabled": "on"}  # fmt: skip
    response = admin_client.post(f"/admin/monitoring/camera/{camera_id}/change/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    camera.refresh_from_db()
    assert camera.rtsp_url == "rtsp://127.0.0.9:554/s"
    assert camera.password_encrypted == ""
    assert AuditLog.objects.filter(action="camera.password_cleared").exists()


def test_the_same_address_with_another_path_keeps_the_password(operator_api):
    camera_id = camera_with_password(operator_api, "rtsp://127.0.0.1/stream1")
    operator_api.patch(
        f"/api/cameras/{camera_id}/", {"rtsp_url": "rtsp://127.0.0.1:554/stream2"}, format="json"
    )
    assert crypto.decrypt(Camera.objects.get().password_encrypted) == "s3cret!"
    assert not AuditLog.objects.filter(action="camera.password_cleared").exists()


def test_a_password_given_with_the_new_address_is_used_there(operator_api):
    with RtspResponder("admin", "n3w") as moved:
        camera_id = camera_with_password(operator_api, "rtsp://127.0.0.1:554/s")
        operator_api.patch(
            f"/api/cameras/{camera_id}/",
            {"rtsp_url": moved.url(), "password": "n3w"},
            format="json",
        )
        result = operator_api.post(f"/api/cameras/{camera_id}/test").json()["result"]
    assert (result["status"], result["auth_required"]) == ("online", False)


def test_a_basic_challenge_over_plain_rtsp_is_not_answered(operator_api):
    with RtspResponder(basic=True) as camera:
        camera_id = camera_with_password(operator_api, camera.url())
        result = operator_api.post(f"/api/cameras/{camera_id}/test").json()["result"]
    assert not any("authorization" in head.lower() for head in camera.heads)
    assert result["auth_required"] is True and "Basic" in result["detail"]


def test_rtsps_is_spoken_over_tls_only(rtsp_camera):
    # A plain-text RTSP server behind an rtsps:// URL: the handshake fails, nothing is sent.
    camera = CameraFactory(rtsp_url=f"rtsps://127.0.0.1:{rtsp_camera.port}/stream1")
    result = cameras.camera_test(camera)
    assert result["status"] == "offline"
    assert rtsp_camera.requests == []
