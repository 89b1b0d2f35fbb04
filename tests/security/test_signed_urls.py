"""Signed download links: time-limited, optionally one-time, only for readable files."""

from __future__ import annotations

import time

import pytest
import time_machine

from security.models import AuditLog
from security.signed_urls import signed_url_for

URL = "/api/security/generate-signed-url"


@pytest.fixture
def files(data_dir, operator_user, viewer_user):
    made = {}
    for name, rel in {
        "own": f"exports/{operator_user.pk}/report.csv",
        "other": f"exports/{viewer_user.pk}/theirs.pdf",
        "backup": "backups/kasa-2025-01-01.7z",
    }.items():
        path = data_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"{name} content".encode())
        made[name] = rel
    return made


def sign(api, path, **extra):
    return api.post(URL, {"filePath": path, "fileType": "csv", **extra}, format="json")


def test_an_owner_downloads_their_export_with_a_signed_link(operator_api, api_client, files):
    response = sign(operator_api, files["own"], expiryMinutes=10)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["url"] == f"http://testserver/download/{body['signedUrl']}"
    assert body["expires_at"] and body["one_time"] is False
    download = api_client.get(f"/download/{body['signedUrl']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"own content"
    assert download["Content-Type"].startswith("text/csv")
    assert download["Content-Disposition"] == 'attachment; filename="report.csv"'
    again = api_client.get(f"/api/security/download/{body['signedUrl']}")
    assert again.status_code == 200  # not one-time: usable until it expires
    assert AuditLog.objects.filter(action="signed_url.downloaded").count() == 2


def test_admins_sign_backups_and_any_export(admin_api, api_client, files):
    for rel, kind in ((files["backup"], "application/x-7z-compressed"),
                      (files["other"], "application/pdf")):  # fmt: skip
        signature = sign(admin_api, rel).json()["signedUrl"]
        assert api_client.get(f"/download/{signature}")["Content-Type"] == kind


@pytest.mark.parametrize("which", ["other", "backup"])
def test_an_operator_cannot_sign_files_of_others_or_backups(operator_api, files, which):
    response = sign(operator_api, files[which])
    assert response.status_code == 403
    assert AuditLog.objects.filter(action="signed_url.refused").exists()


def test_a_viewer_cannot_sign_even_own_folder(viewer_api, files):
    assert sign(viewer_api, files["other"]).status_code == 403  # viewers lack data.export


def test_anonymous_users_cannot_sign(api_client, files):
    assert sign(api_client, files["own"]).status_code == 401


def test_missing_fields_are_a_400(operator_api, files):
    assert operator_api.post(URL, {"filePath": files["own"]}, format="json").status_code == 400
    assert operator_api.post(URL, {"fileType": "csv"}, format="json").status_code == 400
    assert sign(operator_api, files["own"], expiryMinutes=0).status_code == 400


def test_a_link_expires_after_its_minutes(operator_api, api_client, files):
    with time_machine.travel(time.time(), tick=False) as traveller:
        signature = sign(operator_api, files["own"]).json()["signedUrl"]  # default 30 min
        traveller.shift(29 * 60)
        assert api_client.get(f"/download/{signature}").status_code == 200
        traveller.shift(2 * 60)
        response = api_client.get(f"/download/{signature}")
    assert response.status_code == 401 and response.json()["error_code"] == "SIGNATURE_EXPIRED"


def test_a_one_time_link_works_once(operator_api, api_client, files):
    signature = sign(operator_api, files["own"], oneTime=True).json()["signedUrl"]
    assert api_client.get(f"/download/{signature}").status_code == 200
    second = api_client.get(f"/download/{signature}")
    assert second.status_code == 401 and second.json()["error_code"] == "SIGNATURE_USED"
    fresh = sign(operator_api, files["own"], oneTime=True).json()["signedUrl"]
    assert fresh != signature and api_client.get(f"/download/{fresh}").status_code == 200


@pytest.mark.parametrize("tamper", [
    lambda s: s[:-2] + ("AA" if s[-2:] != "AA" else "BB"),   # signature bytes
    lambda s: "x" + s[1:],                                   # payload
    lambda s: s.split(":")[0],                               # stripped
    lambda s: "not-a-signature",
])  # fmt: skip
def test_a_tampered_signature_is_refused(operator_api, api_client, files, tamper):
    signature = sign(operator_api, files["own"]).json()["signedUrl"]
    response = api_client.get(f"/download/{tamper(signature)}")
    assert response.status_code == 401 and response.json()["error_code"].endswith("SIGNATURE")


def test_a_signature_for_another_purpose_is_refused(api_client, files):
    from django.core import signing

    forged = signing.dumps({"p": files["backup"], "u": 1, "x": 2**40, "o": False})  # no salt
    assert api_client.get(f"/download/{forged}").status_code == 401


def test_a_missing_signature_is_a_400(api_client, db):
    response = api_client.get("/download/")
    assert response.status_code == 400 and response.json()["error_code"] == "SIGNATURE_REQUIRED"


@pytest.mark.parametrize("path", [
    "../secret.txt",
    "exports/../../outside/secret.txt",
    "exports/{uid}/../../backups/kasa-2025-01-01.7z",
    "/etc/passwd",
    "{data}/exports/{uid}/report.csv",
    "%2e%2e/%2e%2e/etc/passwd",
    "exports/%2e%2e/%2e%2e/outside/secret.txt",
    "exports\\..\\..\\outside\\secret.txt",
    "exports",
    "ssl/key.pem",
    "kasamonitor.sqlite3",
    "",
])  # fmt: skip
def test_paths_outside_exports_and_backups_are_refused(operator_api, files, data_dir,
                                                       operator_user, path):  # fmt: skip
    path = path.format(uid=operator_user.pk, data=data_dir)
    response = sign(operator_api, path)
    assert response.status_code == 400, response.json()
    assert response.json()["error_code"] in ("INVALID_FILE_PATH", "VALIDATION_ERROR")


def test_a_symlink_pointing_outside_is_refused(operator_api, files, data_dir, operator_user,
                                               outside_file):  # fmt: skip
    link = data_dir / f"exports/{operator_user.pk}/link.csv"
    link.symlink_to(outside_file)
    assert sign(operator_api, f"exports/{operator_user.pk}/link.csv").status_code == 400


def test_a_file_swapped_for_a_symlink_after_signing_is_refused(operator_api, api_client, files,
                                                               data_dir, outside_file):  # fmt: skip
    signature = sign(operator_api, files["own"]).json()["signedUrl"]
    target = data_dir / files["own"]
    target.unlink()
    target.symlink_to(outside_file)
    response = api_client.get(f"/download/{signature}")
    assert response.status_code == 400 and b"not yours" not in response.content


def test_a_missing_file_is_a_404(operator_api, files, operator_user):
    response = sign(operator_api, f"exports/{operator_user.pk}/nope.csv")
    assert response.status_code == 404 and response.json()["error_code"] == "FILE_NOT_FOUND"


def test_a_link_stops_working_when_the_user_loses_the_permission(operator_api, api_client,
                                                                 files, operator_user):  # fmt: skip
    signature = sign(operator_api, files["own"]).json()["signedUrl"]
    operator_user.is_active = False
    operator_user.save()
    assert api_client.get(f"/download/{signature}").status_code == 403


def test_other_apps_get_an_absolute_url_from_the_service(api_client, files, operator_user,
                                                         data_dir, settings):  # fmt: skip
    url = signed_url_for(data_dir / files["own"], operator_user, expiry_minutes=5, one_time=True)
    assert url.startswith(settings.FRONTEND_URL + "/download/")
    path = url.removeprefix(settings.FRONTEND_URL)
    assert api_client.get(path).status_code == 200
    assert api_client.get(path).status_code == 401


def test_a_backup_link_is_one_time_and_short_lived_by_default(admin_api, api_client, files):
    before = time.time()
    body = sign(admin_api, files["backup"]).json()
    assert body["one_time"] is True
    from django.utils.dateparse import parse_datetime

    lifetime = parse_datetime(body["expires_at"]).timestamp() - before
    assert 14 * 60 < lifetime <= 15 * 60 + 5
    assert api_client.get(f"/download/{body['signedUrl']}").status_code == 200
    again = api_client.get(f"/download/{body['signedUrl']}")
    assert again.status_code == 401 and again.json()["error_code"] == "SIGNATURE_USED"


def test_a_backup_link_lives_an_hour_at_most(admin_api, files):
    too_long = sign(admin_api, files["backup"], expiryMinutes=61)
    assert too_long.status_code == 400 and too_long.json()["field"] == "expiryMinutes"
    assert sign(admin_api, files["backup"], expiryMinutes=60).status_code == 200
    assert sign(admin_api, files["other"], expiryMinutes=600).status_code == 200  # exports


def test_a_reusable_backup_link_must_be_asked_for(admin_api, api_client, files):
    body = sign(admin_api, files["backup"], oneTime=False).json()
    assert body["one_time"] is False
    for _ in range(2):
        assert api_client.get(f"/download/{body['signedUrl']}").status_code == 200
