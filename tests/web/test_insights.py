"""The dashboard's always-on list and bill projection, and the costs page's projection with
the closed periods' checks: rendered on the server, so they need no script."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission

from billing import services as billing_services
from tests.billing.factories import forced_client
from tests.factories import DeviceFactory
from tests.insights.support import HOUR, power_hours, save_plan, utc
from tests.web.support import logged_in_client

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 6, 10, 12, 0, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def household(settings, admin_user):
    settings.TIME_ZONE = "Europe/Berlin"
    save_plan(forced_client(admin_user), utc(2025, 1, 1), {
        "rate_type": "simple", "rate_per_kwh": 0.20, "timezone": "Europe/Berlin", "currency": "EUR",
    })  # fmt: skip
    tv = DeviceFactory(alias="TV corner")
    nights = [
        datetime(2025, 6, 4 + n, tzinfo=BERLIN) + HOUR * h for n in range(7) for h in range(5)
    ]
    power_hours(tv, {h: 14.0 for h in nights})  # 0.014 kWh an hour
    # 1 kWh at noon on Monday 12 May: before the 28 days June's pattern reads (13 May on).
    power_hours(tv, {datetime(2025, 5, 12, 12, tzinfo=BERLIN): 1000.0})
    billing_services.price_pending()


def page(user, path: str) -> str:
    with time_machine.travel(NOW, tick=False):
        response = logged_in_client(user).get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_the_dashboard_ranks_what_is_always_on_and_projects_the_bill(viewer_user):
    html = page(viewer_user, "/")
    # 14 W for 8,760 hours = 122.64 kWh at 0.20 = 24.53 a year.
    assert "TV corner</a>: 14.0 W always on ≈ 24.53 EUR/yr" in html
    # So far: 35 night hours x 0.014 kWh = 0.49 kWh = 0.10 EUR. The pattern is 0.07 kWh a
    # night, so 20 more nights to 30 June: 1.89 kWh = 0.38 EUR.
    assert 'data-field="so_far_cost">0.10 EUR' in html
    assert 'data-field="projected_cost">0.38 EUR' in html
    assert "projection-checks" not in html  # the checks are on the costs page


def test_the_costs_page_shows_the_projection_and_how_far_off_the_last_one_was(viewer_user):
    html = page(viewer_user, "/costs")
    assert 'data-field="projected_cost">0.38 EUR' in html
    # May's middle is 16 May 12:00; its pattern then was 1 kWh at noon on weekdays (and, no
    # weekend having readings, on weekends too), so the 16 noons from 16 to 31 May made
    # 17 kWh = 3.40 EUR, against the 1 kWh (0.20 EUR) May came to: 3.20 over, +1600 %.
    assert "2025-05-01 – 2025-05-31" in html
    cells = ["3.40 EUR", "0.20 EUR", "3.20 EUR (1600.0 %)"]
    assert '</td><td class="num">'.join(cells) in html


def test_without_the_cost_permission_neither_is_shown(viewer_user):
    Group.objects.get(name="viewer").permissions.remove(
        Permission.objects.get(codename="costs.view")
    )
    html = page(viewer_user, "/")
    assert "Always on" not in html and "This bill" not in html
    assert "TV corner" in html  # the devices still are


def test_the_nights_counted_are_those_before_now(viewer_user):
    with time_machine.travel(NOW - timedelta(days=30), tick=False):
        html = logged_in_client(viewer_user).get("/").content.decode()
    assert "Nothing to show yet" in html
