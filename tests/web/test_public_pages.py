"""First run, login and password pages are open to everyone."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_setup_page_shows_on_first_run_only(client, admin_user):
    assert client.get("/setup").status_code == 302  # a user exists: go log in


def test_first_run_sends_login_to_setup(client):
    response = client.get("/login")
    assert response.status_code == 302 and response["Location"] == "/setup"
    assert client.get("/setup").status_code == 200


def test_login_page_has_the_password_and_code_steps(client, admin_user):
    html = client.get("/login?next=/costs").content.decode()
    assert 'id="login-form"' in html and 'id="otp-form"' in html
    assert 'data-next="/costs"' in html


def test_login_ignores_an_offsite_next(client, admin_user):
    html = client.get("/login?next=https://evil.example/").content.decode()
    assert 'data-next="/"' in html


def test_logged_in_visitor_skips_the_login_page(admin_client):
    response = admin_client.get("/login?next=/costs")
    assert response.status_code == 302 and response["Location"] == "/costs"


def test_password_pages_render(client, admin_user):
    assert client.get("/forgot-password").status_code == 200
    assert b"missing its token" in client.get("/reset-password").content
    client.get("/reset-password?token=abc123")  # the token moves into a cookie
    html = client.get("/reset-password").content.decode()
    assert 'id="reset-form"' in html and "abc123" not in html
