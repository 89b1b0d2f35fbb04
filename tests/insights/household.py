"""One constructed week, shared by the tests of the insights export and the insights mails.

A plan of 0.10 USD a kWh (UTC) from 1 May 2025; one plug, "Kettle", used 9-15 June 2025:
2, 4, 6, 8 and 10 kWh on Monday to Friday, 12 kWh on Saturday and Sunday, spread evenly
over the day's 24 hours, so each hour's mean power is the day's kWh x 1000 / 24 W.
Asked on Monday 16 June 00:00 UTC (tests/insights/test_bill_projection.py works out the
projection of these days by hand):

- this bill: 54 kWh (5.40 USD) so far; projected 168 kWh, 16.80 USD; likely 12.91-21.04.
- always on: the night hours (00:00-05:00) of 9-15 June have mean powers of 83.3 W
  (5 hours, Monday), 166.7, 250, 333.3, 416.7, 500 and 500 W. The 10th percentile of 35
  hours is the 4th lowest: 83.33 W, which a year (8,760 hours) makes 730 kWh, 73.00 USD.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.db.models import F

from billing import services as billing_services
from devices.models import HourlyRollup
from tests.billing.factories import forced_client, write_hours
from tests.factories import DeviceFactory
from tests.insights.support import save_plan, utc

MONDAY_16_JUNE = utc(2025, 6, 16)
SIMPLE = {"rate_type": "simple", "rate_per_kwh": 0.10, "timezone": "UTC"}
DAILY_KWH = {date(2025, 6, 9 + n): kwh for n, kwh in enumerate([2, 4, 6, 8, 10, 12, 12])}


def build_week(admin_user, name: str = "Kettle"):
    """Save the plan and the week of use; return the plug."""
    save_plan(forced_client(admin_user), utc(2025, 5, 1), SIMPLE)
    plug = DeviceFactory(alias=name)
    for day, kwh in DAILY_KWH.items():
        start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("UTC"))
        write_hours(plug, start, [kwh / 24] * 24)
    # The mean power of each hour: its kWh over one hour, in W (60 samples).
    HourlyRollup.objects.filter(device=plug).update(power_sum_w=F("energy_kwh") * 60_000)
    billing_services.price_pending()
    return plug


def api_body(user, path: str, at: datetime = MONDAY_16_JUNE) -> dict:
    """What the insights API answers at `at`."""
    with time_machine.travel(at, tick=False):
        response = forced_client(user).get(path)
    assert response.status_code == 200, response.json()
    return response.json()
