"""The dashboard's always-on list, bill projection and biggest movers, and the costs page's
projection with the closed periods' checks and its "What changed" card: rendered on the
server, so they need no script."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission

from billing import services as billing_services
from insights import tasks
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
    assert "projection-checks" not in page(viewer_user, "/costs")  # a page view writes nothing
    with time_machine.travel(NOW, tick=False):
        tasks.record_closed_period()  # the beat job keeps the closed period's check
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
    assert "Since last period" not in html
    assert "TV corner" in html  # the devices still are


def test_the_nights_counted_are_those_before_now(viewer_user):
    with time_machine.travel(NOW - timedelta(days=30), tick=False):
        html = logged_in_client(viewer_user).get("/").content.decode()
    assert "Nothing to show yet" in html


@pytest.fixture
def kettle():
    """1 kWh at 08:00 on 2-6 May, 1.4 kWh on 2-6 June (0.20 EUR a kWh)."""
    kettle = DeviceFactory(alias="Kettle")
    power_hours(kettle, {datetime(2025, 5, d, 8, tzinfo=BERLIN): 1000.0 for d in range(2, 7)})
    power_hours(kettle, {datetime(2025, 6, d, 8, tzinfo=BERLIN): 1400.0 for d in range(2, 7)})
    billing_services.price_pending()
    return kettle


def test_the_dashboard_names_the_biggest_movers_since_last_period(viewer_user, kettle):
    html = page(viewer_user, "/")
    # 1-10 June (to noon) against 1-10 May: the Kettle 1.40 EUR against 1.00, +40 %; the TV
    # corner's nights (0.10 EUR) had no readings in May, so it is new.
    assert f'<span class="mover up" data-device="{kettle.pk}">Kettle +40 %</span>' in html
    assert ">TV corner new</span>" in html


def test_the_costs_page_shows_what_changed(viewer_user, kettle):
    html = page(viewer_user, "/costs")
    assert "What changed" in html
    assert "(2025-06-01 to 2025-06-10) against 2025-05-01 to 2025-05-10" in html
    assert "against 2024-06-01 to 2024-06-10 a year earlier" in html
    # All devices: 7 + 0.49 kWh = 1.50 EUR, against 1.00 EUR in May and nothing a year ago;
    # at the default grid intensity (475 g/kWh) 3.55775 kg of CO2 (3.558 in the API).
    cells = ['1.50 EUR <span class="muted">(7.490 kWh · 3.56 kg CO₂)</span>', "+0.50 EUR (+50 %)",
             "+1.50 EUR (new)"]  # fmt: skip
    assert cells[0] in html and cells[1] in html and cells[2] in html
    row = f'<tr data-device="{kettle.pk}"><th scope="row">Kettle</th>'
    assert row in html
    kettle_row = html.split(row)[1].split("</tr>")[0]
    assert "+0.40 EUR (+40 %)" in kettle_row and "+1.40 EUR (new)" in kettle_row
    assert "Biggest movers: Kettle +40 %, TV corner new." in html


def test_the_costs_page_what_changed_follows_the_period_picker(viewer_user, kettle):
    html = page(viewer_user, "/costs?period=last_month")
    # May 2025 against the 31 days before it (31 March to 30 April: nothing, so "new") and
    # May 2024 (nothing). May: the Kettle's 5 x 1 kWh and the TV corner's 1 kWh at noon on
    # 12 May, 6 kWh at 0.20 = 1.20 EUR and 2.85 kg of CO2 at 475 g/kWh; the Kettle alone
    # 1.00 EUR and 2.375 kg (2.38).
    assert "The period (2025-05-01 to 2025-05-31) against 2025-03-31 to 2025-04-30" in html
    assert "against 2024-05-01 to 2024-05-31 a year earlier" in html
    assert '1.20 EUR <span class="muted">(6.000 kWh · 2.85 kg CO₂)</span>' in html
    kettle_row = html.split(f'<tr data-device="{kettle.pk}">')[1].split("</tr>")[0]
    assert '1.00 EUR <span class="muted">(5.000 kWh · 2.38 kg CO₂)</span>' in kettle_row
    assert "+1.00 EUR (new)" in kettle_row


def test_a_custom_period_and_the_card_alone_for_the_script(viewer_user, kettle):
    query = "period=custom&start_date=2025-06-02&end_date=2025-06-06"
    html = page(viewer_user, f"/costs?{query}")
    # 2-6 June against the five days before (28 May to 1 June): the Kettle's 5 x 1.4 kWh
    # and the TV corner's nights of 4, 5 and 6 June (15 hours x 0.014 kWh = 0.21 kWh):
    # 7.21 kWh x 0.20 = 1.442, shown 1.44 EUR; nothing in the five days before.
    assert "(2025-06-02 to 2025-06-06) against 2025-05-28 to 2025-06-01" in html
    # and 7.21 kWh x 475 g = 3.42475 kg of CO2: 3.425 in the API (to the gram), which the
    # page rounds half up to 3.43
    assert '1.44 EUR <span class="muted">(7.210 kWh · 3.43 kg CO₂)</span>' in html
    assert "+1.44 EUR (new)" in html
    card = page(viewer_user, f"/costs?{query}&part=changes")
    assert card.startswith('<section class="card" aria-labelledby="changes-heading" id="changes"')
    assert "<html" not in card and '1.44 EUR <span class="muted">(7.210 kWh · ' in card


def test_a_refused_custom_period_shows_no_card(viewer_user, kettle):
    html = page(viewer_user, "/costs?period=custom&start_date=2025-06-06&end_date=2025-06-02")
    assert 'id="changes" hidden' in html and "changes-table" not in html


def test_the_answers_are_kept_a_minute_but_a_new_plan_is_seen_at_once(viewer_user, admin_user):
    assert 'data-field="so_far_cost">0.10 EUR' in page(viewer_user, "/")
    tv = DeviceFactory._meta.model.objects.get(alias="TV corner")
    power_hours(tv, {datetime(2025, 6, 10, 8, tzinfo=BERLIN): 1000.0})  # 1 kWh today at 08:00
    billing_services.price_pending()  # at 0.20
    # Within the minute the page still shows what it worked out before the new hour.
    assert 'data-field="so_far_cost">0.10 EUR' in page(viewer_user, "/")
    save_plan(forced_client(admin_user), NOW, {
        "rate_type": "simple", "rate_per_kwh": 0.40, "timezone": "Europe/Berlin", "currency": "EUR",
    })  # fmt: skip
    html = page(viewer_user, "/")
    # So far 0.098 + 0.20 = 0.30 EUR; the 20 nights left (1.4 kWh) at the new 0.40 = 0.56:
    # 0.858, shown 0.86 EUR.
    assert 'data-field="so_far_cost">0.30 EUR' in html
    assert 'data-field="projected_cost">0.86 EUR' in html
