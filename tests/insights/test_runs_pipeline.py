"""Appliance runs found by the real poll pipeline: the simulated kettle is polled once a
minute, each poll's rollups_updated signal queues the detection (run in process here)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from devices import services as device_services
from insights.models import ApplianceRun
from tests.billing.factories import forced_client
from tests.insights.support import save_plan, utc
from tests.simulator import BROADCAST_TARGET, Simulator, device_spec, free_loopback_block

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
T0 = utc(2025, 6, 10, 7, 0)


@pytest.fixture
def kettle_host(settings):
    settings.KASA_DISCOVERY_TARGET = [BROADCAST_TARGET]
    settings.KASA_DEVICE_TIMEOUT = 1.0
    settings.KASA_POLL_DEADLINE = 1.5
    (host,) = free_loopback_block(1)
    with Simulator([device_spec("hs110", host, alias="Kettle")]) as sim:
        yield sim, host


def test_polls_of_a_kettle_become_a_priced_run(
    kettle_host, admin_user, django_capture_on_commit_callbacks
):
    sim, host = kettle_host
    admin = forced_client(admin_user)
    save_plan(
        admin, utc(2025, 1, 1), {"rate_type": "simple", "rate_per_kwh": 0.30, "timezone": "UTC"}
    )
    device = device_services.device_add_manual(ip=host)
    # Every request in the test's own time line: the rate limiter counts in it.
    with time_machine.travel(T0 - timedelta(minutes=1), tick=False):
        answer = admin.put(f"/api/insights/appliances/{device.pk}", {"kind": "kettle"})
    assert answer.status_code == 200, answer.json()
    # Off, then 2 kW for three polls (the counter adds 1/30 kWh a minute), then off.
    counter = 10.0
    for minute, watts in enumerate([0, 2000, 2000, 2000, 0, 0, 0, 0]):
        counter += watts / 60_000 if minute else 0
        sim.emeter(host, power=float(watts), total=round(counter, 6))
        with (
            time_machine.travel(T0 + timedelta(minutes=minute), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert device_services.device_poll_all().succeeded == 1
    (run,) = ApplianceRun.objects.filter(device=device)
    # On at 07:01, seen off at 07:04 (the kettle preset's 2-minute gap has passed by 07:06):
    # the counter's difference 07:01-07:04 is two minutes at 2 kW (the 07:04 poll reads 0 W
    # and adds nothing) = 1/15 kWh, at 0.30 = 0.02.
    assert (run.start, run.end) == (T0 + timedelta(minutes=1), T0 + timedelta(minutes=4))
    assert run.kwh == pytest.approx(2 / 30, abs=1e-6)
    with time_machine.travel(T0 + timedelta(minutes=8), tick=False):
        answer = admin.get("/api/insights/runs", {"device_id": host})
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["runs"][0]["cost"] == 0.02 and body["runs"][0]["duration_minutes"] == 3.0
