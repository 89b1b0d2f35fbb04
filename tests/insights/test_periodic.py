"""The closed period's check is kept by a beat job every install has, not only by visits."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django_celery_beat.models import PeriodicTask

from insights import tasks
from insights.models import ProjectionCheck
from kasamonitor.celery import app as celery_app
from tests.billing.factories import forced_client, write_hours
from tests.factories import DeviceFactory
from tests.insights.support import save_plan, utc

pytestmark = pytest.mark.django_db


def test_the_job_is_scheduled_after_migrate_and_registered_with_the_worker():
    job = PeriodicTask.objects.get(task="insights.tasks.record_closed_period")
    assert job.enabled and (job.interval.every, job.interval.period) == (1, "hours")
    assert "insights.tasks.record_closed_period" in celery_app.tasks


def test_the_job_keeps_the_closed_periods_check_once(admin_user):
    save_plan(forced_client(admin_user), utc(2025, 4, 1),
              {"rate_type": "simple", "rate_per_kwh": 0.10, "timezone": "UTC"})  # fmt: skip
    write_hours(DeviceFactory(), utc(2025, 4, 20), [0.1] * 24 * 40)  # 20 April to 29 May
    with time_machine.travel(utc(2025, 6, 2), tick=False):
        tasks.record_closed_period()
        tasks.record_closed_period()
    (check,) = ProjectionCheck.objects.all()
    assert (check.first_day, check.last_day) == (date(2025, 5, 1), date(2025, 5, 31))
    # 0.1 kWh an hour all month but its last two days: 696 x 0.1 = 69.6 kWh, against the
    # 744 x 0.1 = 74.4 the mid-May pattern projected.
    assert check.actual_kwh == pytest.approx(69.6) and check.projected_kwh == pytest.approx(74.4)
