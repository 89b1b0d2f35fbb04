"""The insights in the daily summary and the monthly report of a closed billing period: the
figures are the insights API's for the same constructed data, worked out by hand here."""

from __future__ import annotations

import pytest
import time_machine
from django.db.models import F

from devices.models import HourlyRollup
from insights.models import ProjectionCheck
from monitoring import reports, summary, tasks
from monitoring.models import MonthlyReport
from tests.billing.factories import forced_client, write_hours
from tests.factories import DeviceFactory
from tests.insights.household import MONDAY_16_JUNE, api_body, build_week
from tests.insights.support import HOUR, save_plan, utc

from .factories import ChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _utc(settings):
    settings.TIME_ZONE = "UTC"


def test_the_daily_summary_says_yesterday_this_bill_the_movers_and_what_is_always_on(
    admin_user, webhook, mailoutbox, eager_celery
):
    build_week(admin_user)
    ChannelFactory(kind="webhook", target=webhook.url)
    ChannelFactory(kind="email", target="ops@example.com")
    with time_machine.travel(MONDAY_16_JUNE, tick=False):
        assert summary.daily_summary_send() == 2
    (message,) = mailoutbox
    # Sunday 15 June: 12 kWh at 0.10; Saturday too, so no change on the day before. At the
    # default grid intensity (475 g/kWh): 12 kWh are 5.7 kg of CO2, 54 kWh 25.65 kg (25.7
    # shown), the projected 168 kWh 79.8 kg, the standby's 730 kWh a year 346.75 kg.
    assert ("- Yesterday (2025-06-15): 12.0 kWh, 1.20 USD, 5.7 kg CO2 (+0 % on the day before)"
            in message.body)  # fmt: skip
    assert ("- This bill (2025-06-01 to 2025-06-30): 54.0 kWh / 5.40 USD / 25.7 kg CO2 so far, "
            "projected 16.80 USD (12.91-21.04), 79.8 kg CO2") in message.body  # fmt: skip
    # 1-15 June against 1-15 May, when nothing was used: the kettle is new.
    assert "- Since the last period: up Kettle new; down none" in message.body
    assert ("- Always on: 83.3 W, 73.00 USD and 346.8 kg CO2 a year. Most: Kettle 83.3 W "
            "(73.00 USD/yr)" in message.body)  # fmt: skip
    (body,) = webhook.received
    part = body["summary"]["insights"]
    bill = api_body(admin_user, "/api/insights/bill-projection")
    assert part["this_bill"]["so_far"] == bill["so_far"]
    assert bill["so_far"] == {"kwh": 54.0, "energy_cost": 5.4, "co2_kg": 25.65}
    projected = part["this_bill"]["projected"]
    assert (projected["total_cost"], projected["low_cost"], projected["high_cost"]) == (
        bill["projected"]["total_cost"], bill["projected"]["low"]["total_cost"],
        bill["projected"]["high"]["total_cost"])  # fmt: skip
    day = api_body(admin_user, "/api/insights/changes?start=2025-06-15&end=2025-06-15")
    assert (part["yesterday"]["kwh"], part["yesterday"]["cost"]) == (12.0, 1.2)
    assert day["household"] == {"kwh": 12.0, "cost": 1.2, "co2_kg": 5.7}
    changes = api_body(admin_user, "/api/insights/changes")
    assert part["movers"]["up"] == changes["previous"]["movers"]["up"]
    standby = api_body(admin_user, "/api/insights/standby")
    assert part["always_on"]["household"] == standby["household"]


def test_the_summary_still_goes_when_its_insights_cannot_be_worked_out(
    webhook, eager_celery, monkeypatch
):
    from insights import digest

    def broken(ctx):
        raise RuntimeError("no plan")

    monkeypatch.setattr(digest, "DAILY", [digest.Part("broken", broken, lambda f: [])])
    ChannelFactory(kind="webhook", target=webhook.url)
    assert summary.daily_summary_send() == 1
    (body,) = webhook.received
    assert body["summary"]["insights"] is None and body["summary"]["alerts_raised"] == 0


@pytest.fixture
def may(admin_user):
    """0.10 USD a kWh and 5 USD a month from April 2025; one fridge using 0.1 kWh an hour
    (100 W) from 20 April and 0.2 kWh (200 W) from the middle of May (16 May 12:00)."""
    save_plan(forced_client(admin_user), utc(2025, 4, 1),
              {"rate_type": "simple", "rate_per_kwh": 0.10, "timezone": "UTC",
               "monthly_service_charge": 5})  # fmt: skip
    fridge = DeviceFactory(alias="Fridge")
    middle = utc(2025, 5, 16, 12)
    write_hours(fridge, utc(2025, 4, 20), [0.1] * ((middle - utc(2025, 4, 20)) // HOUR))
    write_hours(fridge, middle, [0.2] * ((utc(2025, 6, 3) - middle) // HOUR))
    HourlyRollup.objects.filter(device=fridge).update(power_sum_w=F("energy_kwh") * 60_000)
    from billing import services as billing_services

    billing_services.price_pending()
    return fridge


def queue(at, django_capture_on_commit_callbacks) -> int:
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        return reports.monthly_reports_queue()


def test_a_closed_period_is_reported_once_to_the_channels_that_opted_in(
    may, admin_user, webhook, mailoutbox, eager_celery, django_capture_on_commit_callbacks
):
    ChannelFactory(kind="webhook", target=webhook.url, monthly_report=True)
    ChannelFactory(kind="email", target="bills@example.com", monthly_report=True)
    ChannelFactory(kind="email", target="alerts-only@example.com")  # not opted in
    # May has not closed at 23:00 on 31 May (April's check is kept, but April closed more
    # than 7 days ago): nothing is sent.
    assert queue(utc(2025, 5, 31, 23), django_capture_on_commit_callbacks) == 0
    assert webhook.received == [] and mailoutbox == []
    assert queue(utc(2025, 6, 1, 0, 30), django_capture_on_commit_callbacks) == 2
    # Later runs (or a second worker) find the period reported.
    assert queue(utc(2025, 6, 1, 6), django_capture_on_commit_callbacks) == 0
    assert queue(utc(2025, 6, 3), django_capture_on_commit_callbacks) == 0
    (body,) = webhook.received
    (message,) = mailoutbox
    assert message.to == ["bills@example.com"]
    assert message.subject == "Kasa Monitor: your bill for 2025-05-01 to 2025-05-31"
    # May: 372 hours x 0.1 + 372 x 0.2 = 111.6 kWh, 11.16 USD of energy and the 5 USD charge;
    # at the default 475 g/kWh 53.01 kg of CO2.
    # At mid-May the pattern was 0.1 kWh an hour: 74.4 kWh, 7.44 + 5 = 12.44 projected,
    # 3.72 under the 16.16 it came to (-23.0 %).
    assert ("Used: 111.6 kWh; cost 16.16 USD (energy 11.16 USD, fixed charges 5.00 USD); "
            "53.0 kg CO2" in message.body)  # fmt: skip
    assert ("Projected at mid-period (2025-05-16): 12.44 USD (12.44 USD to 12.44 USD); "
            "off by -3.72 USD (-23.0 %)") in message.body  # fmt: skip
    # April (20-30 April: 264 hours x 0.1 = 26.4 kWh, 2.64 USD): 11.16 is 8.52 more, +322.7 %.
    assert ("Against the period before (2025-04-01 to 2025-04-30): 26.4 kWh, 2.64 USD; "
            "energy cost +323 %") in message.body  # fmt: skip
    assert "  Movers: up Fridge +323 %; down none" in message.body
    assert "A year ago (2024-05-01 to 2024-05-31): no readings" in message.body
    # The nights of 25-31 May: 200 W; a year: 1,752 kWh, 175.20 USD at 0.10, 832.2 kg CO2.
    assert "Always on: 200.0 W, 175.20 USD and 832.2 kg CO2 a year" in message.body
    report = body["report"]
    # The API asked in the period's last second (time only moves forward for its rate limit).
    changes = api_body(admin_user, "/api/insights/changes", utc(2025, 5, 31, 23, 59, 59))
    for key in ("previous", "year_ago"):
        assert report["changes"][key]["household"] == changes[key]["household"]
        assert report["changes"][key]["movers"] == changes[key]["movers"]
    api = api_body(admin_user, "/api/insights/bill-projection", utc(2025, 6, 1, 0, 30))
    assert report["period"]["projection_check"] == api["checks"][0]
    assert (report["period"]["kwh"], report["period"]["total_cost"]) == (111.6, 16.16)
    assert MonthlyReport.objects.filter(sent_at__isnull=False).count() == 2


def test_a_report_already_sent_is_not_sent_again(
    may, webhook, eager_celery, django_capture_on_commit_callbacks
):
    ChannelFactory(kind="webhook", target=webhook.url, monthly_report=True)
    queue(utc(2025, 6, 1, 1), django_capture_on_commit_callbacks)
    report = MonthlyReport.objects.get()
    with time_machine.travel(utc(2025, 6, 1, 2), tick=False):
        tasks.send_monthly_report.delay(report.pk)  # a redelivered task
    assert len(webhook.received) == 1


def test_a_period_without_readings_is_not_reported(
    admin_user, webhook, eager_celery, django_capture_on_commit_callbacks
):
    save_plan(forced_client(admin_user), utc(2025, 4, 1),
              {"rate_type": "simple", "rate_per_kwh": 0.10, "timezone": "UTC"})  # fmt: skip
    ChannelFactory(kind="webhook", target=webhook.url, monthly_report=True)
    assert queue(utc(2025, 6, 1, 1), django_capture_on_commit_callbacks) == 0
    assert not ProjectionCheck.objects.exists() and webhook.received == []


def test_a_channel_opts_in_through_the_api(admin_api):
    channel = ChannelFactory(kind="email", target="ops@example.com")
    assert admin_api.get(f"/api/alerts/channels/{channel.pk}").json()["monthly_report"] is False
    changed = admin_api.patch(f"/api/alerts/channels/{channel.pk}", {"monthly_report": True},
                              format="json")  # fmt: skip
    assert changed.status_code == 200, changed.json()
    channel.refresh_from_db()
    assert channel.monthly_report is True and channel.daily_summary is True


def test_the_monthly_report_job_runs_every_hour():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="monitoring.monthly_reports")
    assert task.task == "monitoring.tasks.monthly_reports"
    assert task.interval.every * {"seconds": 1, "hours": 3600}[task.interval.period] == 3600


def test_the_daily_summary_lists_yesterdays_appliance_runs(admin_user, mailoutbox, eager_celery):
    from insights import services as insight_services
    from tests.insights.support import minutes, watch

    build_week(admin_user)  # 0.10 USD a kWh, UTC
    dishwasher = DeviceFactory(alias="Dishwasher")
    watch(dishwasher, kind="dishwasher", threshold_w=10, min_run_minutes=30, max_gap_minutes=20)
    # Sunday 15 June, 1,200 W from 19:00, seen off at 20:01: 1.2 kWh, 0.12 USD, and at the
    # default 475 g/kWh 0.57 kg of CO2 (0.6). A run on Saturday is not yesterday's.
    minutes(dishwasher, utc(2025, 6, 14, 19), [1200] * 61 + [0] * 30)
    minutes(dishwasher, utc(2025, 6, 15, 19), [1200] * 61 + [0] * 30)
    ChannelFactory(kind="email", target="ops@example.com")
    with time_machine.travel(MONDAY_16_JUNE, tick=False):
        insight_services.appliance_runs_detect()
        summary.daily_summary_send()
    (message,) = mailoutbox
    assert (
        "- Appliances yesterday: Dishwasher 1 run (1.2 kWh, 0.12 USD, 0.6 kg CO2)" in message.body
    )
