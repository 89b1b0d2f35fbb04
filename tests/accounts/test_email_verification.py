from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.support import assert_error

pytestmark = pytest.mark.django_db


def _send(client, mailoutbox) -> str:
    assert client.post("/api/security/send-verification-code").status_code == 200
    return re.search(r"\b(\d{6})\b", mailoutbox[-1].body)[1]


def test_the_mailed_code_verifies_the_email(viewer_api, viewer_user, mailoutbox):
    code = _send(viewer_api, mailoutbox)
    assert mailoutbox[0].to == ["charlie@example.com"] and "15 minutes" in mailoutbox[0].body
    response = viewer_api.post("/api/security/verify-email", {"code": code}, format="json")
    assert response.json() == {"message": "Email verified successfully"}
    viewer_user.refresh_from_db()
    assert viewer_user.email_verified
    again = viewer_api.post("/api/security/send-verification-code")
    assert_error(again, 409, "EMAIL_VERIFIED")


def test_a_wrong_code_is_refused_and_tries_are_limited(viewer_api, mailoutbox):
    code = _send(viewer_api, mailoutbox)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        bad = viewer_api.post("/api/security/verify-email", {"code": wrong}, format="json")
        assert_error(bad, 400, "INVALID_CODE")
    late = viewer_api.post("/api/security/verify-email", {"code": code}, format="json")
    assert_error(late, 400, "INVALID_CODE")


def test_a_code_expires_after_15_minutes(viewer_api, mailoutbox):
    code = _send(viewer_api, mailoutbox)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = viewer_api.post("/api/security/verify-email", {"code": code}, format="json")
    assert_error(response, 400, "INVALID_CODE")


def test_the_code_must_be_six_digits(viewer_api):
    bad = viewer_api.post("/api/security/verify-email", {"code": "12ab"}, format="json")
    assert_error(bad, 400, "VALIDATION_ERROR")


def test_verify_email_is_limited_to_ten_per_15_minutes(viewer_api):
    for _ in range(10):
        viewer_api.post("/api/security/verify-email", {"code": "123456"}, format="json")
    response = viewer_api.post("/api/security/verify-email", {"code": "123456"}, format="json")
    assert_error(response, 429, "RATE_LIMIT_EXCEEDED")


def test_verification_needs_a_login(api_client):
    assert_error(api_client.post("/api/security/send-verification-code"), 401, "AUTH_REQUIRED")
