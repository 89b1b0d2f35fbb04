from __future__ import annotations

import pytest

from monitoring import notify, summary, tasks
from monitoring.models import Alert, NotificationChannel

from .factories import AlertFactory, ChannelFactory, DeviceFactory, RuleFactory
from .peers import WebhookReceiver

pytestmark = pytest.mark.django_db


def raise_alert(django_capture_on_commit_callbacks, **fields) -> Alert:
    """Create a manual alert and run the after-commit notification hooks."""
    from monitoring.alerts import alert_create_manual

    with django_capture_on_commit_callbacks(execute=True):
        return alert_create_manual(
            actor=None,
            severity=fields.get("severity", "high"),
            message=fields.get("message", "Device Core-Switch-01 went offline"),
            subjects={"device": fields.get("device")},
        )


def test_a_generic_webhook_gets_the_alert_as_json(
    webhook, eager_celery, django_capture_on_commit_callbacks
):
    ChannelFactory(kind="webhook", target=webhook.url)
    device = DeviceFactory(alias="Core-Switch-01")
    alert = raise_alert(django_capture_on_commit_callbacks, device=device)
    (body,) = webhook.received
    assert body["event"] == "alert.raised"
    assert body["alert"]["id"] == alert.pk
    assert body["alert"]["device_name"] == "Core-Switch-01"


def test_a_slack_webhook_gets_a_text_message(
    webhook, eager_celery, django_capture_on_commit_callbacks
):
    ChannelFactory(kind="slack", target=webhook.url)
    raise_alert(django_capture_on_commit_callbacks, severity="critical", message="Rack on fire")
    assert webhook.received == [{"text": "[CRITICAL] Rack on fire"}]


def test_an_email_channel_mails_every_address(
    mailoutbox, eager_celery, django_capture_on_commit_callbacks
):
    ChannelFactory(kind="email", target="ops@example.com, oncall@example.com")
    raise_alert(django_capture_on_commit_callbacks, message="UPS on battery")
    (message,) = mailoutbox
    assert message.to == ["ops@example.com", "oncall@example.com"]
    assert "UPS on battery" in message.subject and "Severity: high" in message.body


def test_a_channel_only_hears_alerts_at_or_above_its_minimum_severity(
    webhook, eager_celery, django_capture_on_commit_callbacks
):
    ChannelFactory(kind="slack", target=webhook.url, min_severity="high")
    raise_alert(django_capture_on_commit_callbacks, severity="low", message="minor")
    raise_alert(django_capture_on_commit_callbacks, severity="critical", message="major")
    assert [b["text"] for b in webhook.received] == ["[CRITICAL] major"]


def test_a_failing_channel_does_not_stop_the_others(
    webhook, mailoutbox, eager_celery, django_capture_on_commit_callbacks
):
    from .peers import closed_port

    broken = ChannelFactory(kind="webhook", target=f"http://127.0.0.1:{closed_port()}/hook")
    ChannelFactory(kind="slack", target=webhook.url)
    ChannelFactory(kind="email", target="ops@example.com")
    raise_alert(django_capture_on_commit_callbacks)
    assert len(webhook.received) == 1 and len(mailoutbox) == 1
    broken.refresh_from_db()
    assert "unreachable" in broken.last_error


def test_delivery_retries_until_a_flaky_receiver_accepts(eager_celery):
    with WebhookReceiver(fail_first=2) as flaky:
        channel = ChannelFactory(kind="webhook", target=flaky.url)
        alert = AlertFactory(severity="high")
        tasks.send_alert_notification.delay(channel.pk, alert.pk, "raised")
    assert flaky.attempts == 3
    assert len(flaky.received) == 1
    channel.refresh_from_db()
    assert channel.last_error == "" and channel.last_sent_at is not None


def test_a_4xx_answer_is_not_retried(eager_celery):
    with WebhookReceiver(fail_first=5, fail_status=404) as gone:
        channel = ChannelFactory(kind="webhook", target=gone.url)
        tasks.send_alert_notification.delay(channel.pk, AlertFactory().pk, "raised")
    assert gone.attempts == 1
    channel.refresh_from_db()
    assert channel.last_error == "webhook answered HTTP 404"


def test_back_online_is_announced_when_an_outage_alert_resolves(
    webhook, eager_celery, django_capture_on_commit_callbacks
):
    from monitoring import services

    ChannelFactory(kind="slack", target=webhook.url)
    device = DeviceFactory(alias="NAS", status="offline")
    with django_capture_on_commit_callbacks(execute=True):
        services.device_status_changed(device, "online", "offline")
    device.status = "online"
    device.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.device_status_changed(device, "offline", "online")
    texts = [b["text"] for b in webhook.received]
    assert texts == ["[HIGH] Device NAS went offline", "[RESOLVED] Device NAS is back online"]


def test_resolving_a_power_alert_is_not_announced():
    rule = RuleFactory(kind="power_above")
    alert = AlertFactory(rule=rule, severity="high")
    ChannelFactory(kind="slack")
    assert notify.channels_for(alert, "resolved") == []


def test_the_daily_summary_goes_to_subscribed_channels(webhook, mailoutbox, eager_celery):
    AlertFactory.create_batch(2, severity="high")
    DeviceFactory(status="offline")
    ChannelFactory(kind="webhook", target=webhook.url)
    ChannelFactory(kind="email", target="ops@example.com")
    ChannelFactory(kind="email", target="quiet@example.com", daily_summary=False)
    assert summary.daily_summary_send() == 2
    (body,) = webhook.received
    assert body["event"] == "daily_summary"
    assert body["summary"]["by_severity"]["high"] == 2
    (message,) = mailoutbox
    assert "Alerts in the last 24 h: 2 (2 high)" in message.body
    assert "Devices: 0 online, 1 offline of 1" in message.body


def test_channels_api_is_for_admins_and_validates_targets(admin_api, operator_api, webhook):
    payload = {"name": "Slack", "kind": "slack", "target": webhook.url, "min_severity": "high"}
    assert operator_api.post("/api/alerts/channels", payload, format="json").status_code == 403
    created = admin_api.post("/api/alerts/channels", payload, format="json")
    assert created.status_code == 201, created.json()
    tested = admin_api.post(f"/api/alerts/channels/{created.json()['id']}/test").json()
    assert tested["delivered"] is True
    assert webhook.received[0]["text"].startswith("Test notification")
    bad = {"name": "x", "kind": "webhook", "target": "file:///etc/passwd"}
    assert admin_api.post("/api/alerts/channels", bad, format="json").status_code == 400
    bad_mail = {"name": "x", "kind": "email", "target": "not-an-address"}
    assert admin_api.post("/api/alerts/channels", bad_mail, format="json").status_code == 400


def test_the_admin_test_action_reports_a_failure(admin_client, admin_user):
    from .peers import closed_port

    channel = ChannelFactory(kind="webhook", target=f"http://127.0.0.1:{closed_port()}/")
    response = admin_client.post(
        "/admin/monitoring/notificationchannel/",
        {"action": "send_test", "_selected_action": [channel.pk]},
        follow=True,
    )
    assert "unreachable" in response.content.decode()
    assert NotificationChannel.objects.get(pk=channel.pk).last_error
