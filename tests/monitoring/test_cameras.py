from __future__ import annotations

import json

import pytest

from monitoring import cameras, crypto, rtsp
from monitoring.models import Alert, Camera

from .factories import CameraFactory
from .peers import closed_port

pytestmark = pytest.mark.django_db


def create(api, **fields):
    payload = {"name": "Front-Entrance-Cam", "rtsp_url": "rtsp://127.0.0.1:554/stream1", **fields}
    return api.post("/api/cameras/", payload, format="json")


def test_operator_registers_a_camera_and_the_password_never_comes_back(operator_api):
    response = create(operator_api, username="admin", password="securepass123", location="Door")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["has_password"] is True and body["ip_address"] == "127.0.0.1"
    assert "securepass123" not in json.dumps(body)
    listed = operator_api.get("/api/cameras").json()
    assert "securepass123" not in json.dumps(listed) and "password" not in listed[0]


def test_the_password_is_encrypted_at_rest(operator_api):
    create(operator_api, username="admin", password="securepass123")
    camera = Camera.objects.get()
    assert "securepass123" not in camera.password_encrypted
    assert crypto.decrypt(camera.password_encrypted) == "securepass123"


def test_credentials_in_the_rtsp_url_move_out_of_it(operator_api):
    create(operator_api, rtsp_url="rtsp://admin:p%40ss@127.0.0.1:8554/live")
    camera = Camera.objects.get()
    assert camera.rtsp_url == "rtsp://127.0.0.1:8554/live"
    assert (camera.username, crypto.decrypt(camera.password_encrypted)) == ("admin", "p@ss")


def test_updating_without_a_password_keeps_it(operator_api):
    camera_id = create(operator_api, username="admin", password="pw1").json()["id"]
    response = operator_api.patch(f"/api/cameras/{camera_id}/", {"location": "Yard"}, format="json")
    assert response.json()["location"] == "Yard"
    assert crypto.decrypt(Camera.objects.get().password_encrypted) == "pw1"


def test_stream_info_has_the_user_but_not_the_password(viewer_api):
    camera = CameraFactory(username="admin", snapshot_url="http://127.0.0.1/snap.jpg")
    cameras.camera_save(camera, actor=None, data={"password": "hunter2"})
    body = viewer_api.get(f"/api/cameras/{camera.pk}/stream").json()
    assert body["rtsp_url"] == "rtsp://admin@127.0.0.1:554/stream1"
    assert body["snapshot_url"] == "http://127.0.0.1/snap.jpg"
    assert body["requires_auth"] is True
    assert "hunter2" not in json.dumps(body)


def test_connection_test_reports_online(operator_api, rtsp_camera):
    camera = CameraFactory(rtsp_url=rtsp_camera.url())
    body = operator_api.post(f"/api/cameras/{camera.pk}/test").json()
    assert body["msg"] == "Camera connection test completed"
    result = body["result"]
    assert (result["camera_id"], result["status"], result["status_changed"]) == (
        camera.pk,
        "online",
        True,
    )
    assert result["auth_required"] is False and result["server"] == "TestCam"
    assert rtsp_camera.requests == ["OPTIONS", "DESCRIBE"]


def test_a_401_to_describe_means_online_but_auth_required(operator_api, rtsp_camera_with_auth):
    camera = CameraFactory(rtsp_url=rtsp_camera_with_auth.url())
    result = operator_api.post(f"/api/cameras/{camera.pk}/test/").json()["result"]
    assert (result["status"], result["auth_required"]) == ("online", True)
    assert result["detail"] == "authentication required"


def test_the_right_credentials_pass_digest_authentication(operator_api, rtsp_camera_with_auth):
    camera = CameraFactory(rtsp_url=rtsp_camera_with_auth.url(), username="admin")
    cameras.camera_save(camera, actor=None, data={"password": "s3cret!"})
    result = operator_api.post(f"/api/cameras/{camera.pk}/test").json()["result"]
    assert (result["status"], result["auth_required"]) == ("online", False)
    assert rtsp_camera_with_auth.requests == ["OPTIONS", "DESCRIBE", "DESCRIBE"]


def test_a_refused_connection_means_offline_and_raises_an_alert(operator_api):
    camera = CameraFactory(name="Garage", rtsp_url=f"rtsp://127.0.0.1:{closed_port()}/s")
    result = operator_api.post(f"/api/cameras/{camera.pk}/test").json()["result"]
    assert result["status"] == "offline"
    assert result["detail"] == "connection refused"  # a category, never the OS's text
    (alert,) = Alert.objects.filter(camera=camera, resolved_at__isnull=True)
    assert alert.message.startswith("Camera Garage is unreachable")


def test_the_camera_alert_resolves_when_it_answers_again(rtsp_camera):
    camera = CameraFactory(rtsp_url=f"rtsp://127.0.0.1:{closed_port()}/s")
    cameras.camera_test(camera)
    camera.rtsp_url = rtsp_camera.url()
    camera.save()
    cameras.camera_poll_all()
    assert Alert.objects.get(camera=camera).resolved_at is not None


def test_a_silent_peer_times_out_as_offline(settings):
    import socket

    settings.MONITORING = {"rtsp_timeout": 0.3}
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        camera = CameraFactory(rtsp_url=f"rtsp://127.0.0.1:{silent.getsockname()[1]}/s")
        result = cameras.camera_test(camera)
    assert result["status"] == "offline" and "timed out" in result["detail"]


def test_something_that_is_not_rtsp_counts_as_offline(webhook):
    port = webhook.server.server_address[1]  # an HTTP server
    result = cameras.camera_test(CameraFactory(rtsp_url=f"rtsp://127.0.0.1:{port}/"))
    assert result["status"] == "offline"


def test_status_summary_counts_cameras(viewer_api):
    CameraFactory(status="online")
    CameraFactory(status="offline")
    CameraFactory(status="online", auth_required=True)
    body = viewer_api.get("/api/cameras/status").json()
    assert body == {"total": 3, "online": 2, "offline": 1, "unknown": 0, "auth_required": 1}


def test_permission_matrix_for_cameras(viewer_api, operator_api, admin_api):
    camera = CameraFactory()
    assert viewer_api.get(f"/api/cameras/{camera.pk}").status_code == 200
    assert create(viewer_api).status_code == 403
    assert viewer_api.post(f"/api/cameras/{camera.pk}/test").status_code == 403
    assert operator_api.delete(f"/api/cameras/{camera.pk}").status_code == 403
    assert admin_api.delete(f"/api/cameras/{camera.pk}").status_code == 200


@pytest.mark.parametrize("url", ["http://127.0.0.1/stream", "rtsp://", "rtsp://host:99999/x"])
def test_it_rejects_urls_that_are_not_rtsp(operator_api, url):
    assert create(operator_api, rtsp_url=url).status_code == 400


def test_digest_answers_follow_rfc_2069():
    response = rtsp.RtspResponse(
        401,
        "Unauthorized",
        {"www-authenticate": ['Basic realm="x"', 'Digest realm="cam", nonce="n1"']},
    )
    header = rtsp.authorization(response, "DESCRIBE", "rtsp://h/s", "u", "p")
    assert header.startswith('Digest username="u", realm="cam", nonce="n1", uri="rtsp://h/s"')
