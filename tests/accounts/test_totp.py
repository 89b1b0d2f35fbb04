from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from security.models import AuditLog
from tests.accounts.support import login
from tests.support import assert_error

pytestmark = pytest.mark.django_db


def code_for(user, drift: int = 0) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):06d}"


@pytest.fixture
def two_factor_user(viewer_user, viewer_api):
    """charlie with 2FA on; returns the backup codes shown at setup."""
    setup = viewer_api.post("/api/auth/2fa/setup").json()
    response = viewer_api.post("/api/auth/2fa/verify", {"token": code_for(viewer_user)})
    assert response.status_code == 200
    return setup["backup_codes"]


def _challenge() -> str:
    body = login(APIClient(), "charlie").json()
    assert body["requires_2fa"] is True and "access_token" not in body
    return body["challenge_token"]


def _complete(challenge: str, code: str):
    return APIClient().post(
        "/api/auth/login/2fa", {"challenge_token": challenge, "code": code}, format="json"
    )


def test_setup_gives_a_secret_a_qr_code_and_backup_codes(viewer_api, viewer_user):
    body = viewer_api.post("/api/auth/2fa/setup").json()
    assert len(body["secret"]) >= 16 and body["otpauth_url"].startswith("otpauth://totp/")
    assert body["qr_code"].startswith("data:image/png;base64,")
    assert len(body["backup_codes"]) == 10
    assert viewer_api.get("/api/auth/2fa/status").json()["enabled"] is False
    stored = {t.token for t in viewer_user.staticdevice_set.get().token_set.all()}
    assert not stored & set(body["backup_codes"])  # only hashes are kept


def test_verify_turns_2fa_on_with_a_real_code(viewer_api, viewer_user):
    viewer_api.post("/api/auth/2fa/setup")
    assert_error(
        viewer_api.post("/api/auth/2fa/verify", {"token": "000000"}), 400, "INVALID_2FA_CODE"
    )
    assert viewer_api.post("/api/auth/2fa/verify", {"token": code_for(viewer_user)}).json()[
        "enabled"
    ]
    assert viewer_api.get("/api/auth/2fa/status").json() == {
        "enabled": True,
        "backup_codes_remaining": 10,
    }
    assert AuditLog.objects.filter(action="2fa_enabled").exists()
    assert_error(viewer_api.post("/api/auth/2fa/setup"), 409, "TWO_FACTOR_STATE")


def test_verify_without_setup_is_refused(viewer_api):
    assert_error(
        viewer_api.post("/api/auth/2fa/verify", {"token": "123456"}), 409, "TWO_FACTOR_STATE"
    )


def test_login_with_2fa_needs_a_totp_code(two_factor_user, viewer_user):
    response = _complete(_challenge(), code_for(viewer_user, drift=1))
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "charlie"
    assert response.cookies["access_token"].value == response.json()["access_token"]


def test_a_backup_code_works_once(two_factor_user):
    code = two_factor_user[0]
    assert _complete(_challenge(), code.lower()).status_code == 200
    assert_error(_complete(_challenge(), code), 401, "INVALID_2FA_CODE")


def test_a_wrong_code_is_refused_and_audited(two_factor_user):
    assert_error(_complete(_challenge(), "000000"), 401, "INVALID_2FA_CODE")
    assert AuditLog.objects.filter(action="login_failed", details__reason="invalid_2fa_code")


def test_a_challenge_works_once(two_factor_user):
    challenge = _challenge()
    assert _complete(challenge, two_factor_user[0]).status_code == 200
    assert_error(_complete(challenge, two_factor_user[1]), 401, "INVALID_2FA_CHALLENGE")


def test_a_forged_challenge_is_refused(two_factor_user):
    assert_error(_complete("forged:token", two_factor_user[0]), 401, "INVALID_2FA_CHALLENGE")


def test_disable_needs_a_code_or_the_password(two_factor_user, viewer_api, password):
    refused = viewer_api.post("/api/auth/2fa/disable", {"password": "Wr0ng!pass"})
    assert_error(refused, 400, "INVALID_2FA_CODE")
    assert viewer_api.post("/api/auth/2fa/disable", {"password": password}).status_code == 200
    assert viewer_api.get("/api/auth/2fa/status").json()["enabled"] is False
    assert login(APIClient(), "charlie").json()["access_token"]
    assert AuditLog.objects.filter(action="2fa_disabled", outcome="success").exists()


def test_disable_with_a_backup_code(two_factor_user, viewer_api):
    response = viewer_api.post("/api/auth/2fa/disable", {"token": two_factor_user[3]})
    assert response.status_code == 200


# -- django-otp's throttling: a held device answers 429 with the wait, never "invalid" -------


def _wrong_app_code(user) -> str:
    right = {code_for(user, drift) for drift in (-1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444") if c not in right)


def assert_throttled(response) -> dict:
    body = assert_error(response, 429, "TWO_FACTOR_THROTTLED")
    assert "invalid" not in body["message"].lower() and "wait" in body["message"]
    assert int(response["Retry-After"]) == body["retry_after"] >= 1
    return body


def test_a_backup_code_right_after_a_wrong_app_code_logs_in(two_factor_user, viewer_user):
    challenge = _challenge()
    assert_error(_complete(challenge, _wrong_app_code(viewer_user)), 401, "INVALID_2FA_CODE")
    response = _complete(challenge, two_factor_user[0])
    assert response.status_code == 200, response.json()
    assert response.json()["user"]["username"] == "charlie"


def test_a_right_app_code_while_the_app_is_held_answers_429_with_the_wait(
    two_factor_user, viewer_user
):
    challenge = _challenge()
    # The clock stands still: the hold is 1 s, which a loaded machine can spend on the tries.
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert_error(_complete(challenge, _wrong_app_code(viewer_user)), 401, "INVALID_2FA_CODE")
        for _ in range(5):  # more than TWO_FACTOR_MAX_TRIES: held tries are not spent
            body = assert_throttled(_complete(challenge, code_for(viewer_user, drift=1)))
        assert body["retry_after"] == 1  # django-otp: 1 s after one wrong code, then 2, 4, ...
        assert AuditLog.objects.filter(action="login_failed", details__reason="2fa_throttled")
        clock.shift(timedelta(seconds=body["retry_after"]))
        response = _complete(challenge, code_for(viewer_user, drift=1))
    assert response.status_code == 200, response.json()


def test_wrong_backup_codes_hold_the_backup_codes_not_the_app(two_factor_user, viewer_user):
    challenge = _challenge()
    assert_error(_complete(challenge, "AAAAA-BBBBB"), 401, "INVALID_2FA_CODE")
    assert_throttled(_complete(challenge, two_factor_user[0]))
    assert _complete(challenge, code_for(viewer_user, drift=1)).status_code == 200


def test_enrolment_is_never_held_a_right_code_after_a_wrong_one_turns_2fa_on(
    viewer_api, viewer_user
):
    viewer_api.post("/api/auth/2fa/setup")
    wrong = _wrong_app_code(viewer_user)
    for _ in range(3):
        refused = viewer_api.post("/api/auth/2fa/verify", {"token": wrong})
        assert_error(refused, 400, "INVALID_2FA_CODE")
    turned_on = viewer_api.post("/api/auth/2fa/verify", {"token": code_for(viewer_user)})
    assert turned_on.status_code == 200, turned_on.json()


def test_turning_off_while_held_answers_429_and_the_password_still_works(
    two_factor_user, viewer_user, viewer_api, password
):
    wrong = _wrong_app_code(viewer_user)
    assert_error(
        viewer_api.post("/api/auth/2fa/disable", {"token": wrong}), 400, "INVALID_2FA_CODE"
    )
    right = code_for(viewer_user, drift=1)
    assert_throttled(viewer_api.post("/api/auth/2fa/disable", {"token": right}))
    assert (
        viewer_api.post("/api/auth/2fa/disable", {"token": two_factor_user[0]}).status_code == 200
    )
    assert viewer_api.get("/api/auth/2fa/status").json()["enabled"] is False


def test_turning_off_with_the_password_while_the_codes_are_held(
    two_factor_user, viewer_api, password
):
    assert_error(
        viewer_api.post("/api/auth/2fa/disable", {"token": "AAAAA-BBBBB"}), 400, "INVALID_2FA_CODE"
    )
    assert viewer_api.post("/api/auth/2fa/disable", {"password": password}).status_code == 200
