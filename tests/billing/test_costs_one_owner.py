"""Billing is the only owner of money.

Every other reader (the device history and statistics, exports) shows billing's stored
costs, so it gives the same figures as billing's cost API for the same range; and energy
written after pricing (a poll, a backfill, an import) leads to prices for the new energy,
whether billing was told (rollups_updated) or finds the hours itself (price_pending).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing import selectors, services
from billing.receivers import price_updated_rollups
from devices import rollups
from devices import services as device_services
from devices.ingest import Bucket
from devices.models import Device, HourlyRollup, Reading
from devices.signals import rollups_updated
from exports import services as export_services
from exports.request import parse
from tests.billing.factories import HOUR, devices, utc
from tests.simulator import Simulator, device_spec, free_loopback_block

pytestmark = pytest.mark.django_db

FLAT = {"rate_type": "simple", "rate_per_kwh": "0.20"}
# Prices that differ by the hour, so a reader that shifted or dropped an hour would show it.
TOU = {
    "rate_type": "time_of_use",
    "time_of_use_rates": [
        {"start_hour": 7, "end_hour": 19, "rate": 0.31, "label": "Day"},
        {"start_hour": 19, "end_hour": 7, "rate": 0.13, "label": "Night"},
    ],
    "tax": {"rate": 7, "applies_to": ["energy"]},
}
START, DAYS = utc(2024, 1, 10), 3
END = START + timedelta(days=DAYS)


def _priced_history(plan: dict) -> list:
    services.rate_plan_save(plan, now=utc(2024, 1, 1))
    plugs = devices(2)
    rng = random.Random(11)
    for plug in plugs:
        _polled(plug, START, [round(rng.uniform(0, 0.8), 6) for _ in range(DAYS * 24)])
    services.price_pending()  # the first plan's re-pricing of all history
    return plugs


def _polled(plug, start, kwhs: list[float]) -> None:
    """Readings and rollups as polls write them (two readings an hour, half its energy each;
    days on the devices' clock, UTC in the tests), then billing is told."""
    readings, hours, days = [], {}, {}
    for n, kwh in enumerate(kwhs):
        hour = start + HOUR * n
        for minute in (15, 45):
            readings.append(Reading(device_id=plug.pk, timestamp=hour.replace(minute=minute),
                                    is_on=True, power_w=60.0, energy_total_kwh=0.0,
                                    energy_delta_kwh=kwh / 2))  # fmt: skip
        hours[plug.pk, hour] = Bucket(kwh, 120.0, 2, 60.0, 3600.0)
        days.setdefault((plug.pk, hour.date()), Bucket()).add(hours[plug.pk, hour])
    with transaction.atomic():
        rollups.write(readings, hours, days)
    rollups_updated.send(sender=Device, device_ids=[plug.pk], hours=[h for _, h in hours])


def _history(client, plug, interval: str) -> list[dict]:
    query = f"start_time={START:%Y-%m-%d}&end_time={END - HOUR:%Y-%m-%d}&interval={interval}"
    response = client.get(f"/api/devices/{plug.pk}/history?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def _export(user, **body) -> list[dict]:
    date_range = {"start": START.isoformat(), "end": END.isoformat()}
    cfg = parse({"date_range": date_range, **body}, now=END)
    tables = export_services.build_document(cfg, user=user, export_id="t").tables
    return {t.name: [dict(zip([c.key for c in t.columns], r, strict=True)) for r in t.rows]
            for t in tables}  # fmt: skip


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])  # the devices' clock, and another
def test_history_and_exports_show_the_costs_billing_reports(viewer_api, operator_user, zone):
    plugs = _priced_history({**TOU, "timezone": zone})
    for plug in plugs:
        hours = selectors.hourly_costs(plug.pk, START, END)
        assert len(hours) == DAYS * 24  # every hour priced

        by_hour = _history(viewer_api, plug, "1h")
        assert [p["cost"] for p in by_hour] == [float(round(c, 6)) for c in hours.values()]

        by_day = _history(viewer_api, plug, "1d")  # the devices' days (UTC here)
        days = [sum(c for h, c in hours.items() if h.date() == d.date()) for d in
                (START + timedelta(days=n) for n in range(DAYS))]  # fmt: skip
        assert [p["cost"] for p in by_day] == [float(round(c, 6)) for c in days]

        rows = _export(operator_user, export_type="device_data", aggregation="hourly",
                       devices=[plug.pk], fields=["timestamp", "cost"])["device_data"]  # fmt: skip
        assert [r["cost"] for r in rows] == pytest.approx([float(c) for c in hours.values()])

    total = selectors.cost_between([p.pk for p in plugs], START, END)
    report = _export(operator_user, export_type="cost_analysis", grouping="monthly",
                     breakdown_by=["device"])  # fmt: skip
    (summary,) = report["summary"]
    assert summary["cost"] == pytest.approx(float(total), abs=0.005)  # rounded to cents
    by_device = {r["device_name"]: r["cost"] for r in report["by_device"]}
    for plug in plugs:
        expected = selectors.cost_between([plug.pk], START, END)
        assert by_device[plug.name] == pytest.approx(float(expected), abs=0.005)


def test_the_cost_api_and_the_device_statistics_agree(operator_api, viewer_api):
    services.rate_plan_save(FLAT, now=utc(2024, 1, 1))
    (plug,) = devices(1)
    today = timezone.localdate()
    midnight = datetime(today.year, today.month, today.day, tzinfo=UTC)
    _polled(plug, midnight, [0.5, 1.25, 0.75])
    stats = viewer_api.get(f"/api/devices/{plug.pk}/stats").json()
    body = operator_api.get(f"/api/costs?start_date={today}&end_date={today}").json()
    assert stats["daily_cost"] == pytest.approx(0.5)  # 2.5 kWh at 0.20
    assert Decimal(str(body["devices"][0]["total_cost"])) == Decimal("0.50")


# -- energy written after pricing is priced again ----------------------------------------


@pytest.fixture
def not_told():
    """Billing misses rollups_updated (the broker was down): it must find the hours itself."""
    rollups_updated.disconnect(price_updated_rollups, dispatch_uid="billing.price_rollups")
    yield
    rollups_updated.connect(price_updated_rollups, dispatch_uid="billing.price_rollups")


def _energy_cost(plug) -> tuple[float, Decimal]:
    kwh = HourlyRollup.objects.filter(device=plug).aggregate(s=Sum("energy_kwh"))["s"] or 0.0
    return kwh, selectors.cost_between([plug.pk], utc(2000, 1, 1), utc(2100, 1, 1))


def _priced_at_flat_rate(plug) -> bool:
    kwh, cost = _energy_cost(plug)
    return kwh > 0 and float(cost) == pytest.approx(kwh * 0.2, rel=1e-9)


@pytest.fixture
def plug_sim(devices_settings_fast):
    (host,) = free_loopback_block(1)
    with Simulator([device_spec("hs110", host, alias="Heater")]) as sim:
        sim.emeter(host, power=100.0, total=20.0)
        yield sim, host


@pytest.fixture
def devices_settings_fast(settings):
    settings.KASA_DEVICE_TIMEOUT = 1.0
    settings.KASA_POLL_DEADLINE = 1.5
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


@pytest.fixture
def poll(django_capture_on_commit_callbacks):
    """One poll run of every device, its after-commit work (rollups_updated) done."""

    def _poll():
        with django_capture_on_commit_callbacks(execute=True):
            device_services.device_poll_all()

    return _poll


def _plan_and_plug(host: str):
    services.rate_plan_save(FLAT, now=utc(2024, 1, 1))
    services.price_pending()  # the new plan's re-pricing request, before any energy
    return device_services.device_add_manual(ip=host)


@pytest.mark.integration
@pytest.mark.parametrize("told", [True, False], ids=["told", "found-by-price_pending"])
def test_a_poll_after_pricing_reprices_its_hours(plug_sim, told, request, poll):
    sim, host = plug_sim
    plug = _plan_and_plug(host)
    poll()
    sim.emeter(host, power=100.0, total=21.0)
    poll()  # priced: 1 kWh
    assert _priced_at_flat_rate(plug)
    before = _energy_cost(plug)

    if not told:
        request.getfixturevalue("not_told")
    sim.emeter(host, power=100.0, total=23.5)
    poll()  # 2.5 kWh more in the same hour(s)
    if not told:
        assert _energy_cost(plug)[1] == before[1]  # not priced yet: the old cost stays
        assert services.price_pending() > 0
    assert _energy_cost(plug)[0] == pytest.approx(3.5)
    assert _priced_at_flat_rate(plug)
    assert services.price_pending() == 0  # nothing left pending


@pytest.mark.integration
def test_a_backfill_after_pricing_prices_the_missed_days(plug_sim, viewer_api, poll):
    sim, host = plug_sim
    plug = _plan_and_plug(host)
    poll()
    assert services.price_pending() == 0
    today = timezone.localdate()
    missed = today - timedelta(days=2)
    sim.daystat(host, missed.year, missed.month, {missed.day: 1.5})
    Device.objects.filter(pk=plug.pk).update(last_reading_at=timezone.now() - timedelta(days=3))
    sim.emeter(host, power=100.0, total=26.0)

    poll()  # backfills 1.5 kWh into the missed day's hours

    assert _energy_cost(plug)[0] == pytest.approx(6.0)
    assert _priced_at_flat_rate(plug)
    stats_day = _history_day(viewer_api, plug, missed)
    assert stats_day["energy_kwh"] == pytest.approx(1.5)
    assert stats_day["cost"] == pytest.approx(0.3)  # 1.5 kWh at 0.20


def _history_day(client, plug, day) -> dict:
    url = f"/api/devices/{plug.pk}/history?start_time={day}&end_time={day}&interval=1d"
    (point,) = client.get(url).json()
    return point


@pytest.mark.parametrize("told", [True, False], ids=["told", "found-by-price_pending"])
def test_an_import_after_pricing_reprices_the_rebuilt_hours(
    told, request, django_capture_on_commit_callbacks
):
    services.rate_plan_save(FLAT, now=utc(2024, 1, 1))
    services.price_pending()
    (plug,) = devices(1)
    t0 = utc(2024, 2, 1, 10)
    readings = [
        {"timestamp": t0 + timedelta(minutes=15 * n), "power_w": 100.0,
         "energy_total_kwh": 10.0 + 0.25 * n, "is_on": True}
        for n in range(5)
    ]  # fmt: skip
    device_services.readings_insert_imported(plug, readings[:3])
    with django_capture_on_commit_callbacks(execute=True):
        device_services.rollups_rebuild([plug.pk])
    assert _energy_cost(plug)[0] == pytest.approx(0.5) and _priced_at_flat_rate(plug)

    if not told:
        request.getfixturevalue("not_told")
    device_services.readings_insert_imported(plug, readings[3:])  # a second import: 0.5 kWh more
    with django_capture_on_commit_callbacks(execute=True):
        device_services.rollups_rebuild([plug.pk])
    if not told:
        assert _energy_cost(plug)[1] == Decimal("0.1")  # not priced yet: the old cost stays
        services.price_pending()
    assert _energy_cost(plug)[0] == pytest.approx(1.0)
    assert _priced_at_flat_rate(plug)
    assert services.price_pending() == 0


def test_an_hour_changed_since_pricing_shows_no_cost_until_priced_again(viewer_api, request):
    services.rate_plan_save(FLAT, now=utc(2024, 1, 1))
    (plug,) = devices(1)
    _polled(plug, START, [0.5] * 24)
    services.price_pending()
    request.getfixturevalue("not_told")  # the worker misses the next poll's signal
    _polled(plug, START + HOUR * 5, [0.25])

    hours, (day,) = _history(viewer_api, plug, "1h")[:24], _history(viewer_api, plug, "1d")[:1]
    assert [h["cost"] for h in hours] == [0.1] * 5 + [None] + [0.1] * 18
    assert day["cost"] is None  # as the day's figure: one of its hours is not priced
    stats_before = selectors.cost_between([plug.pk], START, START + HOUR * 24)

    services.price_pending()
    hours, (day,) = _history(viewer_api, plug, "1h")[:24], _history(viewer_api, plug, "1d")[:1]
    assert [h["cost"] for h in hours] == [0.1] * 5 + [0.15] + [0.1] * 18
    assert day["cost"] == pytest.approx(2.45)
    assert selectors.cost_between([plug.pk], START, START + HOUR * 24) == stats_before + Decimal(
        "0.05"
    )
