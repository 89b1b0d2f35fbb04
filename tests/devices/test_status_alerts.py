"""A device going offline in a poll opens an alert at once; coming back resolves it."""

from __future__ import annotations

from devices import services
from monitoring.models import Alert


def poll(capture):
    with capture(execute=True):
        services.device_poll_all()


def test_an_offline_device_raises_an_alert_that_resolves_when_it_returns(
    add, fleet, django_capture_on_commit_callbacks
):
    device = add("flaky")
    poll(django_capture_on_commit_callbacks)
    fleet.sim.offline(fleet["flaky"])
    try:
        poll(django_capture_on_commit_callbacks)
        assert not Alert.objects.filter(device=device).exists()  # one failure is not an outage
        poll(django_capture_on_commit_callbacks)
        alert = Alert.objects.get(device=device)
        assert alert.resolved_at is None and alert.severity in ("high", "critical")
    finally:
        fleet.sim.online(fleet["flaky"])
    poll(django_capture_on_commit_callbacks)
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    assert Alert.objects.filter(device=device).count() == 1
