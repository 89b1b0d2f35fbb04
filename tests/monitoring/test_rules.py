from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import HourlyCost
from devices.models import HourlyRollup
from monitoring import services
from monitoring.models import Alert, AlertRule

from .factories import AlertFactory, DeviceFactory, RuleFactory, add_readings

pytestmark = pytest.mark.django_db


def open_alerts(**filters):
    return Alert.objects.filter(resolved_at__isnull=True, **filters)


# Device offline / back online (the default rule created at migrate)
# ------------------------------------------------------------------------------
def test_a_device_going_offline_raises_one_alert_and_coming_back_resolves_it():
    device = DeviceFactory(alias="Fridge", status="offline")
    services.device_status_changed(device, "online", "offline")
    services.device_status_changed(device, "online", "offline")  # told twice: still one
    (alert,) = open_alerts(device=device)
    assert alert.message == "Device Fridge went offline"
    assert alert.rule.kind == "device_offline" and alert.severity == "high"

    device.status = "online"
    device.save()
    services.device_status_changed(device, "offline", "online")
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    assert alert.details["resolution"] == "Device Fridge is back online"


def test_a_device_refusing_its_credentials_raises_the_offline_alert_saying_so():
    device = DeviceFactory(alias="Kettle", status="auth_failed", offline_reason="auth_failed")
    services.device_status_changed(device, "online", "auth_failed")
    (alert,) = open_alerts(device=device)
    assert alert.message == "Device Kettle refuses its TP-Link account: update its credentials"

    device.status = "online"
    device.save()
    services.device_status_changed(device, "auth_failed", "online")
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_after_resolution_the_next_outage_is_a_new_alert():
    device = DeviceFactory(status="offline")
    services.rules_evaluate_all()
    device.status = "online"
    device.save()
    services.rules_evaluate_all()
    device.status = "offline"
    device.save()
    services.rules_evaluate_all()
    assert Alert.objects.filter(device=device).count() == 2
    assert open_alerts(device=device).count() == 1


def test_an_acknowledged_open_alert_is_not_raised_again():
    device = DeviceFactory(status="offline")
    services.rules_evaluate_all()
    open_alerts(device=device).update(acknowledged=True)
    services.rules_evaluate_all()
    assert Alert.objects.filter(device=device).count() == 1


def test_the_database_refuses_a_second_open_alert_with_the_same_key():
    from django.db import IntegrityError, transaction

    AlertFactory(key="rule:1:device:1")
    with pytest.raises(IntegrityError), transaction.atomic():
        AlertFactory(key="rule:1:device:1")
    AlertFactory(key="rule:1:device:1", resolved_at=timezone.now())  # resolved ones may repeat


def test_an_offline_grace_period_delays_the_alert():
    AlertRule.objects.filter(kind="device_offline").update(duration_minutes=10)
    now = timezone.now()
    device = DeviceFactory(status="offline", last_seen=now - timedelta(minutes=3))
    services.rules_evaluate_all()
    assert not open_alerts(device=device).exists()
    device.last_seen = now - timedelta(minutes=11)
    device.save()
    services.rules_evaluate_all()
    assert open_alerts(device=device).exists()


def test_disabling_a_rule_resolves_its_open_alerts(operator_api):
    device = DeviceFactory(status="offline")
    services.rules_evaluate_all()
    rule = AlertRule.objects.get(kind="device_offline")
    response = operator_api.patch(f"/api/alerts/rules/{rule.pk}", {"enabled": False}, format="json")
    assert response.status_code == 200, response.json()
    assert not open_alerts(device=device).exists()


# Power rules
# ------------------------------------------------------------------------------
def test_power_above_a_threshold_for_n_minutes_fires_and_clears():
    device = DeviceFactory(alias="Heater")
    RuleFactory(kind="power_above", device=device, threshold=1500, duration_minutes=5)
    add_readings(device, [100, 1800, 1800, 1800, 1800])  # only 3 minutes above
    services.evaluate_power_rules([device.pk])
    assert not open_alerts(device=device).exists()

    add_readings(device, [1800, 1900, 2000], end=timezone.now() + timedelta(seconds=1))
    services.evaluate_power_rules([device.pk])
    now = timezone.now() + timedelta(minutes=3)
    from monitoring import rules

    rules.evaluate(kinds=["power_above"], now=now)
    (alert,) = open_alerts(device=device)
    assert "more than 1500 W for 5 min" in alert.message

    add_readings(device, [200], end=now)
    rules.evaluate(kinds=["power_above"], now=now + timedelta(seconds=5))
    assert not open_alerts(device=device).exists()


def test_a_rule_for_all_devices_watches_each_device_separately():
    hot, cold = DeviceFactory(), DeviceFactory()
    RuleFactory(kind="power_above", device=None, threshold=500, duration_minutes=2)
    add_readings(hot, [900] * 5)
    add_readings(cold, [10] * 5)
    services.evaluate_power_rules([hot.pk, cold.pk])
    assert open_alerts(device=hot).count() == 1
    assert not open_alerts(device=cold).exists()


def test_stale_readings_neither_fire_nor_clear():
    device = DeviceFactory()
    RuleFactory(kind="power_above", device=device, threshold=500, duration_minutes=2)
    add_readings(device, [900] * 5, end=timezone.now() - timedelta(hours=1))
    services.evaluate_power_rules([device.pk])
    assert not open_alerts(device=device).exists()


def test_the_washing_machine_is_done_after_a_long_run_drops_below_the_level():
    washer = DeviceFactory(alias="Washer")
    RuleFactory(
        kind="appliance_finished", device=washer, threshold=5, duration_minutes=30,
        settle_minutes=3, severity="info",
    )  # fmt: skip
    # 40 minutes of washing with a 2-minute soak pause, then 4 minutes idle.
    powers = [500] * 20 + [1, 1] + [450] * 18 + [0.5] * 4
    add_readings(washer, powers)
    services.evaluate_power_rules([washer.pk])
    (alert,) = open_alerts(device=washer)
    assert alert.message.startswith("Washer finished")
    assert alert.details["run_minutes"] >= 30

    # Idle minutes later: still the same one alert; the next wash resolves it.
    services.evaluate_power_rules([washer.pk])
    assert Alert.objects.filter(device=washer).count() == 1
    add_readings(washer, [600], end=timezone.now() + timedelta(seconds=1))
    from monitoring import rules

    rules.evaluate(kinds=["appliance_finished"], now=timezone.now() + timedelta(seconds=2))
    assert not open_alerts(device=washer).exists()


def test_a_short_run_is_not_a_finished_appliance():
    kettle = DeviceFactory()
    RuleFactory(kind="appliance_finished", device=kettle, threshold=5, duration_minutes=30)
    add_readings(kettle, [0] * 5 + [2000] * 4 + [0] * 5)
    services.evaluate_power_rules([kettle.pk])
    assert not open_alerts(device=kettle).exists()


def test_standby_load_fires_for_a_device_idling_above_a_few_watts_for_hours():
    tv = DeviceFactory(alias="TV")
    RuleFactory(
        kind="standby_load", device=tv, threshold=3, threshold_high=30, duration_minutes=120
    )
    add_readings(tv, [8.5] * 25, every_s=300)  # two hours at 8.5 W
    services.evaluate_power_rules([tv.pk])
    (alert,) = open_alerts(device=tv)
    assert "idled at 8.5 W for 2 h" in alert.message


def test_standby_load_ignores_a_device_in_use():
    tv = DeviceFactory()
    RuleFactory(kind="standby_load", device=tv, threshold=3, threshold_high=30, duration_minutes=60)
    add_readings(tv, [120] * 13, every_s=300)
    services.evaluate_power_rules([tv.pk])
    assert not open_alerts(device=tv).exists()


# Budgets
# ------------------------------------------------------------------------------
def _hour(device, kwh, hours_ago=0):
    hour = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours_ago)
    HourlyRollup.objects.create(device=device, hour=hour, energy_kwh=kwh)
    return hour


def test_a_household_daily_energy_budget_fires_when_exceeded():
    a, b = DeviceFactory(), DeviceFactory()
    RuleFactory(kind="energy_budget", device=None, threshold=5, period="day", duration_minutes=None)
    _hour(a, 2.0)
    services.evaluate_power_rules([a.pk])
    assert not open_alerts(rule__kind="energy_budget").exists()
    _hour(b, 3.5)
    services.evaluate_power_rules([b.pk])
    (alert,) = open_alerts(rule__kind="energy_budget")
    assert alert.message.startswith("All devices used 5.50 kWh today")
    assert alert.device is None


def test_a_cost_budget_waits_until_billing_has_priced_the_energy():
    device = DeviceFactory()
    RuleFactory(
        kind="cost_budget", device=device, threshold=1, period="month", duration_minutes=None
    )
    hour = _hour(device, 10.0)
    services.evaluate_power_rules([device.pk])
    assert not open_alerts(device=device).exists()
    HourlyCost.objects.create(device=device, hour=hour, kwh=10.0, cost=Decimal("1.75"))
    services.evaluate_power_rules([device.pk])
    (alert,) = open_alerts(device=device)
    assert "1.75 this month" in alert.message


def test_the_rollups_updated_signal_evaluates_power_rules():
    from devices.signals import rollups_updated

    device = DeviceFactory()
    RuleFactory(kind="energy_budget", device=device, threshold=1, duration_minutes=None)
    _hour(device, 2.0)
    rollups_updated.send(sender=None, device_ids=[device.pk], hours=[])
    assert open_alerts(device=device).exists()


# Rules API
# ------------------------------------------------------------------------------
def test_operator_creates_and_edits_rules_and_admin_deletes_them(operator_api, admin_api):
    device = DeviceFactory()
    payload = {"kind": "power_above", "device_id": device.pk, "threshold": 2000,
               "duration_minutes": 10, "severity": "high"}  # fmt: skip
    created = operator_api.post("/api/alerts/rules/", payload, format="json")
    assert created.status_code == 201, created.json()
    rule_id = created.json()["id"]
    edited = operator_api.patch(f"/api/alerts/rules/{rule_id}/", {"threshold": 2500}, format="json")
    assert edited.json()["threshold"] == 2500
    assert operator_api.delete(f"/api/alerts/rules/{rule_id}").status_code == 403
    assert admin_api.delete(f"/api/alerts/rules/{rule_id}").status_code == 200
    assert not AlertRule.objects.filter(pk=rule_id).exists()


def test_viewers_read_rules_but_cannot_create_them(viewer_api):
    assert viewer_api.get("/api/alerts/rules").status_code == 200
    response = viewer_api.post("/api/alerts/rules", {"kind": "device_offline"}, format="json")
    assert response.status_code == 403


@pytest.mark.parametrize(
    "payload",
    [
        {"kind": "power_above", "duration_minutes": 5},  # no threshold
        {"kind": "power_above", "threshold": 100},  # no duration
        {"kind": "standby_load", "threshold": 30, "threshold_high": 5, "duration_minutes": 60},
        {"kind": "teleport"},
    ],
)
def test_it_rejects_rules_that_dont_fit_their_kind(operator_api, payload):
    response = operator_api.post("/api/alerts/rules", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error_code"] == "VALIDATION_ERROR"


def test_deleting_a_rule_resolves_its_open_alerts(admin_api):
    device = DeviceFactory(status="offline")
    services.rules_evaluate_all()
    rule = AlertRule.objects.get(kind="device_offline")
    admin_api.delete(f"/api/alerts/rules/{rule.pk}")
    (alert,) = Alert.objects.filter(device=device)
    assert alert.resolved_at is not None and alert.rule is None
