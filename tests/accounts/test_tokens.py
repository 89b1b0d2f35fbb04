from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import LoginSession
from tests.accounts.support import bearer, login
from tests.auth import access_token_for
from tests.support import assert_error

pytestmark = pytest.mark.django_db


def test_an_expired_access_token_says_token_expired(viewer_user):
    token = access_token_for(viewer_user)
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        body = assert_error(bearer(token).get("/api/auth/me"), 401, "TOKEN_EXPIRED")
    assert body["error"] == "authentication_expired"
    assert body["message"] == "Your session has expired. Please log in again."
    assert body["redirect_to"] == "/login" and body["timestamp"].endswith("Z")


def test_a_token_in_use_is_refused_once_it_expires(viewer_user):
    token = access_token_for(viewer_user)
    assert bearer(token).get("/api/auth/me").status_code == 200  # verified once, then reused
    assert bearer(token).get("/api/auth/me").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert_error(bearer(token).get("/api/auth/me"), 401, "TOKEN_EXPIRED")


def test_a_tampered_token_is_invalid(viewer_user):
    token = access_token_for(viewer_user)
    header, payload, signature = token.split(".")
    forged = jwt.encode(
        {**jwt.decode(token, options={"verify_signature": False}), "user_id": "1"},
        "guessed-key-guessed-key-guessed-key!",
        algorithm="HS256",
    )
    assert_error(bearer(forged).get("/api/auth/me"), 401, "INVALID_TOKEN")
    flipped = f"{header}.{payload}.{signature[:-2]}{'A' if signature[-2] != 'A' else 'B'}x"
    assert_error(bearer(flipped).get("/api/auth/me"), 401, "INVALID_TOKEN")


def test_a_token_without_a_session_is_refused(settings, viewer_user):
    from rest_framework_simplejwt.tokens import AccessToken

    sessionless = str(AccessToken.for_user(viewer_user))
    assert_error(bearer(sessionless).get("/api/auth/me"), 401, "INVALID_TOKEN")


def test_a_token_signed_with_a_previous_key_still_works(settings, viewer_user):
    token = access_token_for(viewer_user)  # signed with the current key
    settings.JWT_PREVIOUS_KEYS = [settings.JWT_SIGNING_KEY]
    settings.JWT_SIGNING_KEY = "a-brand-new-signing-key-of-enough-length"
    assert bearer(token).get("/api/auth/me").status_code == 200
    settings.JWT_PREVIOUS_KEYS = []
    assert_error(bearer(token).get("/api/auth/me"), 401, "INVALID_TOKEN")


def test_a_refresh_token_is_not_an_access_token(api_client, viewer_user):
    refresh = login(api_client, "charlie").json()["refresh_token"]
    assert_error(bearer(refresh).get("/api/auth/me"), 401, "INVALID_TOKEN")


def test_refresh_rotates_and_answers_like_login(api_client, viewer_user):
    tokens = login(api_client, "charlie").json()
    response = api_client.post(
        "/api/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["refresh_token"] != tokens["refresh_token"]
    assert body["user"] == {"username": "charlie", "role": "viewer"}
    assert body["session"]["session_id"] == tokens["session"]["session_id"]
    assert bearer(body["access_token"]).get("/api/auth/me").status_code == 200


def test_reusing_a_rotated_refresh_token_ends_the_whole_session(api_client, viewer_user):
    tokens = login(api_client, "charlie").json()
    old = tokens["refresh_token"]
    new = api_client.post("/api/auth/refresh", {"refresh_token": old}, format="json").json()
    reuse = api_client.post("/api/auth/refresh", {"refresh_token": old}, format="json")
    assert_error(reuse, 401, "REFRESH_TOKEN_REUSED")
    # The thief's reuse also cut off the newest tokens of that session.
    assert_error(bearer(new["access_token"]).get("/api/auth/me"), 401, "SESSION_REVOKED")
    again = api_client.post(
        "/api/auth/refresh", {"refresh_token": new["refresh_token"]}, format="json"
    )
    assert_error(again, 401, "SESSION_REVOKED")
    assert LoginSession.objects.get().revoked_reason == "refresh_reuse"


def test_security_refresh_speaks_camel_case_and_rotates(api_client, viewer_user):
    old = login(api_client, "charlie").json()["refresh_token"]
    response = api_client.post("/api/security/refresh-token", {"refreshToken": old}, format="json")
    assert set(response.json()) == {"accessToken", "refreshToken"}
    again = api_client.post("/api/security/refresh-token", {"refreshToken": old}, format="json")
    assert_error(again, 401, "REFRESH_TOKEN_REUSED")


def test_refresh_needs_a_token(api_client):
    assert_error(api_client.post("/api/auth/refresh", {}, format="json"), 401, "INVALID_TOKEN")
    bad = api_client.post("/api/security/refresh-token", {"refreshToken": "x.y.z"}, format="json")
    assert_error(bad, 401, "INVALID_TOKEN")


@pytest.mark.parametrize("body", [{}, {"refreshToken": ""}, {"refreshToken": None}])
def test_security_refresh_without_a_token_is_400_refresh_token_required(api_client, body):
    response = api_client.post("/api/security/refresh-token", body, format="json")
    answer = assert_error(response, 400, "REFRESH_TOKEN_REQUIRED")
    assert answer["message"] == "Refresh token required" and answer["field"] == "refreshToken"


def test_security_refresh_takes_the_refresh_cookie_when_the_body_has_none(viewer_user):
    client = APIClient(enforce_csrf_checks=True)
    login(client, "charlie")
    client.get("/login")  # the page sets the CSRF cookie its scripts send back
    csrf = client.cookies["csrftoken"].value
    response = client.post("/api/security/refresh-token", {}, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200, response.json()
    assert set(response.json()) == {"accessToken", "refreshToken"}


def test_an_expired_refresh_token_is_refused(api_client, viewer_user):
    old = login(api_client, "charlie").json()["refresh_token"]
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = api_client.post("/api/auth/refresh", {"refresh_token": old}, format="json")
    assert_error(response, 401, "TOKEN_EXPIRED")


def test_cookie_refresh_needs_the_csrf_header(viewer_user):
    client = APIClient(enforce_csrf_checks=True)
    login(client, "charlie")
    assert_error(client.post("/api/auth/refresh", {}, format="json"), 403, "CSRF_FAILED")
    csrf = client.cookies["csrftoken"].value
    response = client.post("/api/auth/refresh", {}, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200
    assert response.cookies["access_token"].value == response.json()["access_token"]
