"""The pages' forms work without JavaScript: they post (with the CSRF token) to Django views
that act through the API's services and limits, then redirect or show the errors."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import totp as two_factor
from accounts.models import LoginSession, User
from security.models import AuditLog
from tests.factories import DeviceFactory
from tests.support import PASSWORD
from tests.web.support import logged_in_client

pytestmark = pytest.mark.django_db
NEW = "N3w!Passw0rd"


class Forms(HTMLParser):
    """Every <form> of a page: its attributes and the types/names of its inputs."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({**attrs, "inputs": []})
        elif tag in ("input", "select", "textarea", "button") and self.forms:
            self.forms[-1]["inputs"].append(attrs)


def forms_of(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def csrf_of(client: Client, path: str) -> str:
    html = client.get(path).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_every_form_posts_with_a_csrf_token_and_an_action(admin_client, client, admin_user):
    DeviceFactory(alias="Kettle")
    pages = ["/", "/costs", "/rates", "/exports", "/backups", "/alerts", "/account", "/users"]
    seen = 0
    for path in pages:
        html = admin_client.get(path).content.decode()
        for form in forms_of(html):
            if form.get("method") == "dialog":
                continue
            assert form.get("method") == "post", (path, form.get("id"))
            assert form.get("action", "").startswith("/"), (path, form.get("id"))
            names = {i.get("name") for i in form["inputs"]}
            assert "csrfmiddlewaretoken" in names, (path, form.get("id"))
            seen += 1
    for path in ["/login", "/forgot-password"]:
        for form in forms_of(client.get(path).content.decode()):
            assert form.get("method") == "post" and form.get("action", "").startswith("/")
            seen += 1
    assert seen > 20


def test_a_post_without_the_csrf_token_is_refused(admin_user):
    client = csrf_client()
    response = client.post("/login", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert "access_token" not in response.cookies


# -- first run ---------------------------------------------------------------------------------


def test_setup_form_creates_the_admin_and_logs_in(db):
    client = csrf_client()
    token = csrf_of(client, "/setup")
    body = {"csrfmiddlewaretoken": token, "username": "root", "email": "root@example.com",
            "password": PASSWORD, "password2": "different"}  # fmt: skip
    refused = client.post("/setup", body)
    assert refused.status_code == 400
    assert "not the same" in refused.content.decode()
    assert 'value="root@example.com"' in refused.content.decode()  # kept, passwords not
    assert PASSWORD not in refused.content.decode()
    response = client.post("/setup", {**body, "password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert User.objects.get(username="root").role == "admin"
    assert client.get("/").status_code == 200  # logged in by the cookie


def test_setup_form_shows_the_password_policy_at_the_field(db, client):
    response = client.post(
        "/setup",
        {"username": "root", "email": "root@example.com", "password": "short",
         "password2": "short"},
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="error-password"' in html and 'aria-invalid="true"' in html


# -- login, 2FA, logout ------------------------------------------------------------------------


def test_login_form_logs_in_and_goes_to_next(admin_user, client):
    response = client.post("/login", {"username": "alice", "password": PASSWORD, "next": "/costs"})
    assert response.status_code == 302 and response["Location"] == "/costs"
    assert response.cookies["access_token"]["httponly"]
    assert AuditLog.objects.filter(action="login", actor=admin_user).exists()


def test_login_form_refuses_a_wrong_password_at_the_form(admin_user, client):
    response = client.post("/login", {"username": "alice", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 401
    assert "Invalid" in html and 'value="alice"' in html and "wrong" not in html
    assert "access_token" not in response.cookies
    assert AuditLog.objects.filter(action="login_failed").exists()


def test_login_form_never_follows_an_offsite_next(admin_user, client):
    body = {"username": "alice", "password": PASSWORD, "next": "//evil.example/"}
    assert client.post("/login", body)["Location"] == "/"


def test_login_form_and_api_share_the_per_ip_limit(admin_user, client, api_client, settings):
    settings.AUTH_RATE_LIMITS = {**settings.AUTH_RATE_LIMITS, "login": "3/m"}
    for _ in range(2):
        api_client.post("/api/auth/login", {"username": "x", "password": "y"}, format="json")
    assert client.post("/login", {"username": "x", "password": "y"}).status_code == 401
    limited = client.post("/login", {"username": "alice", "password": PASSWORD})
    assert limited.status_code == 429
    assert "Too many" in limited.content.decode()
    assert "access_token" not in limited.cookies


def test_login_form_keeps_the_per_account_back_off(admin_user, client, settings):
    settings.LOGIN_BACKOFF = {**settings.LOGIN_BACKOFF, "after": 2, "base": 60}
    for _ in range(2):
        client.post("/login", {"username": "alice", "password": "wrong"})
    locked = client.post("/login", {"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()


@pytest.fixture
def two_factor_user(viewer_user):
    setup = two_factor.setup(viewer_user)
    device = TOTPDevice.objects.get(user=viewer_user)
    two_factor.enable(viewer_user, f"{totp(device.bin_key):06d}")
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # the setup code's step is free
    return setup


def _code_step(client) -> str:
    response = client.post("/login", {"username": "charlie", "password": PASSWORD})
    html = response.content.decode()
    assert response.status_code == 200 and "access_token" not in response.cookies
    form = next(f for f in forms_of(html) if f.get("id") == "otp-form")
    assert "hidden" not in form and form["method"] == "post"
    challenge = next(i for i in form["inputs"] if i.get("name") == "challenge_token")["value"]
    assert challenge and challenge not in response.get("Location", "")
    return challenge


def test_the_2fa_step_takes_an_app_code(two_factor_user, viewer_user, client):
    challenge = _code_step(client)
    device = TOTPDevice.objects.get(user=viewer_user)
    response = client.post(
        "/login/code", {"challenge_token": challenge, "code": f"{totp(device.bin_key):06d}"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies["access_token"].value


def test_the_2fa_step_takes_a_backup_code_once(two_factor_user, client):
    code = two_factor_user.backup_codes[0]
    challenge = _code_step(client)
    assert (
        client.post("/login/code", {"challenge_token": challenge, "code": code}).status_code == 302
    )
    again = client.post("/login/code", {"challenge_token": _code_step(Client()), "code": code})
    assert again.status_code == 401
    assert "code" in again.content.decode().lower()


def test_a_wrong_2fa_code_stays_on_the_code_step(two_factor_user, client):
    challenge = _code_step(client)
    response = client.post("/login/code", {"challenge_token": challenge, "code": "00000000"})
    html = response.content.decode()
    assert response.status_code == 401
    form = next(f for f in forms_of(html) if f.get("id") == "otp-form")
    assert "hidden" not in form
    assert challenge in html


def test_logout_form_ends_the_session(admin_user):
    client = logged_in_client(admin_user)
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302 and response["Location"] == "/login"
    assert not LoginSession.objects.active().filter(user=admin_user).exists()
    assert client.get("/").status_code == 302


# -- passwords ---------------------------------------------------------------------------------


@pytest.fixture
def eager_celery():
    """The reset mail is sent by a task: run it in the test (as tests/accounts do)."""
    from kasamonitor.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


def test_forgot_and_reset_password_without_scripts(viewer_user, client, mailoutbox, eager_celery):
    response = client.post("/forgot-password", {"email": "charlie@example.com"}, follow=True)
    assert "reset link is on its way" in response.content.decode()
    token = re.search(r"token=([0-9a-f]{64})", mailoutbox[0].body).group(1)
    landing = client.get(f"/reset-password?token={token}")
    assert landing.status_code == 302 and landing["Location"] == "/reset-password"
    page = client.get("/reset-password").content.decode()
    assert token not in page and 'id="reset-form"' in page  # the token stays in a cookie
    mismatch = client.post("/reset-password", {"password": NEW, "password2": "x"})
    assert mismatch.status_code == 400 and "not the same" in mismatch.content.decode()
    done = client.post("/reset-password", {"password": NEW, "password2": NEW})
    assert done.status_code == 302 and done["Location"] == "/login"
    viewer_user.refresh_from_db()
    assert viewer_user.check_password(NEW)


def test_reset_password_without_a_token_says_so(client, admin_user):
    assert b"missing its token" in client.get("/reset-password").content


def test_forgot_password_form_has_the_api_limit(client, db):
    for _ in range(3):
        client.post("/forgot-password", {"email": "x@example.com"})
    assert client.post("/forgot-password", {"email": "x@example.com"}).status_code == 429


def test_change_password_form(admin_user):
    client = logged_in_client(admin_user)
    wrong = client.post(
        "/account/password",
        {"currentPassword": "nope", "newPassword": NEW, "newPassword2": NEW},
    )
    assert wrong.status_code == 401 and "incorrect" in wrong.content.decode()
    response = client.post(
        "/account/password",
        {"currentPassword": PASSWORD, "newPassword": NEW, "newPassword2": NEW},
    )
    assert response.status_code == 302 and response["Location"] == "/account"
    admin_user.refresh_from_db()
    assert admin_user.check_password(NEW)
    assert client.get("/account").status_code == 200  # this session stays


def test_two_factor_setup_and_verify_without_scripts(viewer_user):
    client = logged_in_client(viewer_user)
    setup = client.post("/account/2fa/setup")
    html = setup.content.decode()
    assert setup["Cache-Control"] == "no-store"
    assert 'src="data:image/png;base64,' in html and html.count("<li>") >= 10
    device = TOTPDevice.objects.get(user=viewer_user)
    response = client.post("/account/2fa/verify", {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302
    assert two_factor.is_enabled(viewer_user)


# -- the rest of the required flows ------------------------------------------------------------


def test_rate_plan_form_saves_and_names_the_bad_field(operator_user):
    client = logged_in_client(operator_user)
    bad = client.post(
        "/rates/save", {"rate_type": "simple", "currency": "USD", "rate_per_kwh": "-1"}
    )
    html = bad.content.decode()
    assert bad.status_code == 400
    field = html[html.index('name="rate_per_kwh"') :].split("</span>")[0]
    assert 'aria-invalid="true" aria-describedby="error-rate_per_kwh"' in field
    assert 'id="error-rate_per_kwh">rate_per_kwh: must not be negative' in field
    ok = client.post(
        "/rates/save", {"rate_type": "simple", "currency": "EUR", "rate_per_kwh": "0.3"}
    )
    assert ok.status_code == 302
    html = client.get("/rates").content.decode()
    assert 'value="EUR"' in html and 'value="0.3' in html


def test_viewers_cannot_post_the_rate_form(viewer_user):
    client = logged_in_client(viewer_user)
    response = client.post("/rates/save", {"rate_type": "simple", "rate_per_kwh": "1"})
    assert response.status_code == 403


def test_add_by_ip_shows_why_an_address_did_not_answer(operator_user, settings):
    settings.KASA_DEVICE_TIMEOUT = 0.5
    client = logged_in_client(operator_user)
    response = client.post("/devices/add", {"ip": "127.0.0.254", "alias": "Lamp"})
    html = response.content.decode()
    assert 500 > response.status_code >= 400
    assert 'value="127.0.0.254"' in html and 'class="message error"' in html
    bad = client.post("/devices/add", {"ip": "not an ip"})
    assert bad.status_code == 400 and 'id="error-ip"' in bad.content.decode()


def test_export_form_queues_an_export(operator_user):
    from exports.models import ExportJob

    client = logged_in_client(operator_user)
    response = client.post(
        "/exports/create",
        {"export_type": "device_data", "format": "csv", "preset": "last_7_days",
         "all_devices": "on", "fields": ["timestamp", "power_w"], "aggregation": "hourly"},
    )  # fmt: skip
    assert response.status_code == 302
    job = ExportJob.objects.get(user=operator_user)
    assert job.format == "csv"
    page = client.get("/exports").content.decode()
    assert 'http-equiv="refresh"' in page  # reloads itself without scripts while it runs


def test_backup_form_starts_a_backup(admin_user):
    from backups.models import BackupJob

    client = logged_in_client(admin_user)
    response = client.post("/backups/create", {"compression": "none"})
    assert response.status_code == 302
    assert BackupJob.objects.count() == 1


# -- the table rows' forms ---------------------------------------------------------------------


def test_a_users_row_form_changes_the_role_and_deactivates(admin_user, viewer_user):
    client = logged_in_client(admin_user)
    response = client.post(f"/users/{viewer_user.pk}", {"role": "operator"})  # box unticked
    assert response.status_code == 302
    viewer_user.refresh_from_db()
    assert viewer_user.role == "operator" and not viewer_user.is_active
    refused = client.post(
        f"/users/{admin_user.pk}", {"role": "viewer", "is_active": "on"}, follow=True
    )
    assert "admin" in refused.content.decode().lower()  # the last admin stays an admin
    admin_user.refresh_from_db()
    assert admin_user.role == "admin"


def test_alerts_are_acknowledged_and_deleted_by_forms(admin_user):
    from monitoring.models import Alert
    from tests.monitoring.factories import AlertFactory

    alert = AlertFactory()
    client = logged_in_client(admin_user)
    assert client.post(f"/alerts/{alert.pk}/acknowledge").status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged and alert.acknowledged_by == admin_user
    assert client.post(f"/alerts/{alert.pk}/delete").status_code == 302
    assert not Alert.objects.filter(pk=alert.pk).exists()


def test_viewers_cannot_acknowledge_alerts(viewer_user):
    from tests.monitoring.factories import AlertFactory

    alert = AlertFactory()
    assert logged_in_client(viewer_user).post(f"/alerts/{alert.pk}/acknowledge").status_code == 403


def test_a_restore_needs_the_word_restore(admin_user):
    client = logged_in_client(admin_user)
    response = client.post("/backups/restore", {"filename": "nothing.7z", "confirm": "yes"})
    assert response.status_code == 400 and "type RESTORE" in response.content.decode()


def test_a_backup_schedule_is_added_switched_off_and_deleted(admin_user):
    from backups.models import BackupSchedule

    client = logged_in_client(admin_user)
    bad = client.post("/backups/schedules", {"name": "Nightly", "cron": "not cron",
                                             "retention_days": "30", "keep_last": "3", "enabled": "true"})  # fmt: skip
    assert bad.status_code == 400 and 'id="error-cron"' in bad.content.decode()
    client.post("/backups/schedules", {"name": "Nightly", "cron": "0 2 * * *",
                                       "retention_days": "30", "keep_last": "3", "enabled": "true"})  # fmt: skip
    schedule = BackupSchedule.objects.get()
    assert schedule.enabled
    client.post(f"/backups/schedules/{schedule.pk}", {})  # the box unticked
    schedule.refresh_from_db()
    assert not schedule.enabled
    client.post(f"/backups/schedules/{schedule.pk}/delete")
    assert not BackupSchedule.objects.exists()


def test_another_session_is_ended_by_its_form(viewer_user):
    from accounts import sessions

    other = sessions.session_start(viewer_user, ip="127.0.0.2", user_agent="other")
    client = logged_in_client(viewer_user)
    response = client.post(f"/account/sessions/{other.session.public_id}/end")
    assert response.status_code == 302
    other.session.refresh_from_db()
    assert not other.session.is_active
