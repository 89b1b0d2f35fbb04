"""Every admin action, run as an operator would: select rows, pick the action, press Go."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.admin import world
from tests.auth import access_token_for
from tests.factories import DeviceFactory, UserFactory
from tests.monitoring.factories import AlertFactory, CameraFactory, ChannelFactory, HostFactory
from tests.monitoring.peers import RtspResponder, TcpListener, WebhookReceiver

pytestmark = pytest.mark.django_db

# Every action these tests run; the coverage test fails when an app adds one without a test.
COVERED = {
    ("accounts.User", "revoke_sessions"),
    ("accounts.User", "force_password_reset"),
    ("accounts.User", "enable_users"),
    ("accounts.User", "disable_users"),
    ("accounts.LoginSession", "revoke"),
    ("devices.Device", "poll_now"),
    ("devices.Device", "turn_on"),
    ("devices.Device", "turn_off"),
    ("devices.Device", "discover"),
    ("billing.RepriceRequest", "price_now"),
    ("exports.ExportJob", "retry_failed"),
    ("backups.BackupSchedule", "run_now"),
    ("backups.BackupSchedule", "backup_now"),
    ("monitoring.Alert", "acknowledge"),
    ("monitoring.NotificationChannel", "send_test"),
    ("monitoring.Camera", "test_now"),
    ("monitoring.NetworkHost", "check_now"),
    ("django_celery_beat.PeriodicTask", "enable_tasks"),
    ("django_celery_beat.PeriodicTask", "disable_tasks"),
    ("django_celery_beat.PeriodicTask", "toggle_tasks"),
    ("django_celery_beat.PeriodicTask", "run_tasks"),
}


def run_action(client, obj_or_model, action: str, objects=()) -> list[str]:
    """POST the changelist's action form; return the messages shown after the redirect."""
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    objects = objects or [obj_or_model]
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = client.post(
        url, {"action": action, "_selected_action": [o.pk for o in objects]}, follow=True
    )
    assert response.status_code == 200, response.content[:500]
    return [str(m) for m in response.context["messages"]]


def test_every_registered_action_has_a_test(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    registered = {
        (model._meta.label, name)
        for model, model_admin in admin.site._registry.items()
        for name in model_admin.get_actions(request)
        if name != "delete_selected"
    }
    assert registered - COVERED == set(), "actions without a test in tests/admin/test_actions.py"


# USERS AND SESSIONS
# ------------------------------------------------------------------------------
def _signed_in_viewer():
    user = UserFactory(username="dora", role="viewer")
    access_token_for(user)
    return user


def test_revoke_sessions_ends_every_session_of_the_user(console):
    user = _signed_in_viewer()
    messages = run_action(console, user, "revoke_sessions")
    assert messages == ["Ended 1 session(s)."]
    assert not user.login_sessions.filter(revoked_at__isnull=True).exists()


def test_force_password_reset_mails_a_link_and_ends_sessions(console, mailoutbox):
    user = _signed_in_viewer()
    run_action(console, user, "force_password_reset")
    assert [m.to for m in mailoutbox] == [[user.email]]
    assert "reset-password?token=" in mailoutbox[0].body
    assert not user.login_sessions.filter(revoked_at__isnull=True).exists()


def test_disable_then_enable_a_user(console):
    user = _signed_in_viewer()
    run_action(console, user, "disable_users")
    user.refresh_from_db()
    assert not user.is_active
    run_action(console, user, "enable_users")
    user.refresh_from_db()
    assert user.is_active


def test_revoke_a_single_session(console):
    user = _signed_in_viewer()
    session = user.login_sessions.get()
    assert run_action(console, session, "revoke") == ["Revoked 1 session(s)."]
    session.refresh_from_db()
    assert session.revoked_at is not None


# DEVICES (a simulated plug on loopback)
# ------------------------------------------------------------------------------
def test_poll_now_stores_a_reading(console, kettle):
    before = kettle.readings.count()
    messages = run_action(console, kettle, "poll_now")
    assert messages == [f"{kettle}: 1 ok, 0 failed"]
    assert kettle.readings.count() == before + 1


def test_turn_off_and_on_switch_the_plug(console, kettle):
    assert run_action(console, kettle, "turn_off") == [f"{kettle} turned off."]
    kettle.refresh_from_db()
    assert kettle.is_on is False
    run_action(console, kettle, "turn_on")
    kettle.refresh_from_db()
    assert kettle.is_on is True


def test_switching_an_unreachable_device_says_why(console, settings):
    settings.KASA_DEVICE_TIMEOUT = 0.5
    ghost = DeviceFactory(host="127.0.0.254", port=1)  # nothing listens there
    (message,) = run_action(console, ghost, "turn_on")
    assert message.startswith(f"{ghost}: ") and "turned" not in message


def test_discover_adds_the_plug_on_the_network(console, kettle_sim, kettle):
    kettle.delete()
    (message,) = run_action(console, DeviceFactory(), "discover")
    assert message.startswith("Discovery found ")
    mac = kettle_sim.device(kettle_sim.hosts[0])["mac"]
    assert world.device_with_mac(mac).alias == "Kettle"


# BILLING, EXPORTS, BACKUPS
# ------------------------------------------------------------------------------
def test_price_now_prices_the_pending_hours(console):
    from billing.models import HourlyCost, RepriceRequest

    world.build(world.model("billing.RatePlan"))  # a flat plan from T0
    rollup = world.build(world.model("devices.HourlyRollup"))[0]
    request = RepriceRequest.objects.create(start=world.T0, reason="test")
    (message,) = run_action(console, request, "price_now")
    assert message.startswith("Priced ")
    assert HourlyCost.objects.filter(device=rollup.device, hour=rollup.hour).exists()


def test_retry_failed_export_queues_it_again(console, django_capture_on_commit_callbacks):
    job = world.build(world.model("exports.ExportJob"))[0]  # a failed job
    with django_capture_on_commit_callbacks():
        messages = run_action(console, job, "retry_failed")
    assert messages == ["Re-queued 1 failed export(s)."]
    job.refresh_from_db()
    assert job.status == "queued"


def _archive_types(folder) -> list[str]:
    from backups.services import parse_name

    return [parse_name(path.name)[1] for path in folder.iterdir()]


def test_backup_now_writes_an_archive(
    console, clean_backups_dir, eager_celery, django_capture_on_commit_callbacks
):
    schedule = world.build(world.model("backups.BackupSchedule"))[0]
    with django_capture_on_commit_callbacks(execute=True):
        run_action(console, schedule, "backup_now")
    assert _archive_types(clean_backups_dir) == ["manual"]


def test_run_schedule_now_writes_a_scheduled_archive(console, clean_backups_dir, eager_celery):
    schedule = world.build(world.model("backups.BackupSchedule"))[0]
    assert run_action(console, schedule, "run_now") == ["1 scheduled backup(s) queued."]
    assert _archive_types(clean_backups_dir) == ["scheduled"]


# MONITORING (loopback peers)
# ------------------------------------------------------------------------------
def test_acknowledge_marks_the_alert(console, admin_user):
    alert = AlertFactory()
    run_action(console, alert, "acknowledge")
    alert.refresh_from_db()
    assert alert.acknowledged and alert.acknowledged_by == admin_user


def test_send_test_reaches_the_webhook(console):
    with WebhookReceiver() as receiver:
        channel = ChannelFactory(target=receiver.url)
        assert run_action(console, channel, "send_test") == [f"{channel}: test sent."]
        assert len(receiver.received) == 1


def test_camera_test_now_reports_the_stream_online(console):
    with RtspResponder() as responder:
        camera = CameraFactory(rtsp_url=responder.url(), ip_address="127.0.0.1")
        (message,) = run_action(console, camera, "test_now")
    camera.refresh_from_db()
    assert camera.status == "online", message


def test_host_check_now_reports_the_host_up(console):
    listener = TcpListener()
    try:
        host = HostFactory(port=listener.port)
        (message,) = run_action(console, host, "check_now")
    finally:
        listener.close()
    host.refresh_from_db()
    assert host.status == "online", message


# PERIODIC TASKS (django-celery-beat's own actions)
# ------------------------------------------------------------------------------
def test_periodic_tasks_can_be_disabled_enabled_and_toggled(console):
    task = world.build(world.model("django_celery_beat.PeriodicTask"))[0]
    for action, expected in (("disable_tasks", False), ("enable_tasks", True),
                             ("toggle_tasks", False)):  # fmt: skip
        run_action(console, task, action)
        task.refresh_from_db()
        assert task.enabled is expected, action


def test_run_tasks_runs_the_selected_task(console, eager_celery):
    task = world.build(world.model("django_celery_beat.PeriodicTask"))[0]  # kasamonitor ping
    (message,) = run_action(console, task, "run_tasks")
    assert "successfully run" in message
