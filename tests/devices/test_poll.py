"""Polling the simulated fleet: readings, rollups, strips, offline/online, IP changes, gaps."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from devices import services
from devices.models import DailyRollup, Device, HourlyRollup, Outage, Reading
from devices.polling import poll_lock
from devices.signals import rollups_updated
from tests.simulator import Simulator, device_spec, free_loopback_block

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_a_poll_writes_readings_with_the_devices_values(add, fleet):
    fleet.sim.emeter(fleet["hs110"], power=100.0, voltage=230.0, current=0.43, total=10.0)
    device = add("hs110")

    summary = services.device_poll_all()

    assert (summary.succeeded, summary.failed, summary.readings) == (1, 0, 1)
    reading = Reading.objects.get(device=device)
    assert (reading.power_w, reading.voltage, reading.current) == (100.0, 230.0, 0.43)
    assert reading.energy_total_kwh == 10.0 and reading.energy_delta_kwh == 0
    device.refresh_from_db()
    assert device.status == "online" and device.current_power_w == 100.0


def test_energy_between_polls_comes_from_the_devices_counter(add, fleet):
    fleet.sim.emeter(fleet["hs110"], power=100.0, total=10.0)
    device = add("hs110")
    services.device_poll_all()
    fleet.sim.emeter(fleet["hs110"], power=100.0, total=10.25)

    services.device_poll_all()

    assert Reading.objects.filter(device=device).aggregate(s=Sum("energy_delta_kwh"))["s"] == (
        pytest.approx(0.25)
    )
    hourly = HourlyRollup.objects.filter(device=device).aggregate(
        s=Sum("energy_kwh"), n=Sum("samples")
    )
    assert hourly == {"s": pytest.approx(0.25), "n": 2}
    assert DailyRollup.objects.get(device=device).energy_kwh == pytest.approx(0.25)


def test_a_stopped_worker_loses_no_kwh(add, fleet):
    fleet.sim.emeter(fleet["hs110"], power=50.0, total=3.0)
    device = add("hs110")
    services.device_poll_all()
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Device.objects.filter(pk=device.pk).update(last_reading_at=an_hour_ago)
    fleet.sim.emeter(fleet["hs110"], power=50.0, total=3.05)

    services.device_poll_all()

    total = HourlyRollup.objects.filter(device=device).aggregate(s=Sum("energy_kwh"))["s"]
    assert total == pytest.approx(0.05)
    assert HourlyRollup.objects.filter(device=device).count() >= 2  # spread over the gap


def test_strip_outlets_each_get_their_own_readings(add, fleet):
    fleet.sim.emeter(fleet["hs300"], child=1, power=20.0, voltage=120.0, current=0.17, total=2.0)
    strip = add("hs300")

    services.device_poll_all()

    outlets = {o.child_id[-2:]: o for o in strip.outlets.all()}
    assert Reading.objects.filter(device__parent=strip).count() == 6
    assert not Reading.objects.filter(device=strip).exists()  # no double counting
    assert Reading.objects.get(device=outlets["01"]).power_w == 20.0


def test_a_plug_without_energy_meter_still_records_its_state(add, fleet):
    fleet.sim.relay(fleet["hs100"], True)
    device = add("hs100")
    services.device_poll_all()
    reading = Reading.objects.get(device=device)
    assert reading.is_on is True and reading.power_w is None


def test_two_failed_polls_take_a_device_offline_and_a_success_brings_it_back(add, fleet):
    device = add("flaky")
    services.device_poll_all()
    fleet.sim.offline(fleet["flaky"])
    try:
        services.device_poll_all()
        device.refresh_from_db()
        assert (device.status, device.failed_polls) == ("online", 1)

        services.device_poll_all()
        device.refresh_from_db()
        assert (device.status, device.offline_reason) == ("offline", "unreachable")
        outage = Outage.objects.get(device=device)
        assert outage.ended_at is None and outage.reason == "unreachable"
    finally:
        fleet.sim.online(fleet["flaky"])

    services.device_poll_all()
    device.refresh_from_db()
    assert (device.status, device.offline_reason, device.failed_polls) == ("online", "", 0)
    assert Outage.objects.get(device=device).ended_at is not None


def test_a_slow_device_does_not_delay_the_others(add, fleet, devices_settings):
    devices = [add(role) for role in ("slow", "hs110", "hs100", "bulb")]
    fleet.sim.delay(fleet["slow"], 5000)
    try:
        started = time.monotonic()
        summary = services.device_poll_all()
        elapsed = time.monotonic() - started
    finally:
        fleet.sim.delay(fleet["slow"], 0)

    assert elapsed < devices_settings.KASA_POLL_DEADLINE + 1.0
    assert (summary.succeeded, summary.failed) == (3, 1)
    assert Reading.objects.filter(device__in=devices[1:]).count() == 3


def test_later_polls_reuse_each_devices_connection(add, fleet):
    device = add("hs100")
    services.device_poll_all()
    accepted = fleet.sim.state(fleet["hs100"])["connectionsAccepted"]
    fleet.sim.relay(fleet["hs100"], on=False)

    services.device_poll_all()
    services.device_poll_all()

    assert fleet.sim.state(fleet["hs100"])["connectionsAccepted"] == accepted
    device.refresh_from_db()
    assert (device.status, device.is_on) == ("online", False)  # fresh state, same connection


def test_a_kept_device_is_asked_only_for_what_a_poll_records(add, fleet):
    # python-kasa's update() would also ask for schedules, usage, anti-theft, countdown,
    # cloud and time settings every time: work for the device that no poll records.
    plug, bulb, strip = add("hs110"), add("bulb"), add("hs300")
    services.device_poll_all()  # connects: everything is read once
    fleet.sim.relay(fleet["hs110"], on=False)
    fleet.sim.emeter(fleet["hs110"], power=42.0, voltage=231.0, current=0.2, total=12.5)
    services.device_poll_all()

    asked = {role: set(fleet.sim.state(fleet[role])["lastRequest"]) for role in ("hs110", "bulb")}
    assert asked["hs110"] == {"system", "emeter"}
    assert asked["bulb"] <= {
        "system", "smartlife.iot.common.emeter", "smartlife.iot.smartbulb.lightingservice",
    }  # fmt: skip
    assert set(fleet.sim.state(fleet["hs300"])["lastRequest"]) == {"context", "emeter"}
    plug.refresh_from_db()  # and every recorded value is still fresh
    assert (plug.status, plug.is_on, plug.current_power_w) == ("online", False, 42.0)
    latest = Reading.objects.filter(device=plug).latest("timestamp")
    assert (latest.voltage, latest.current, latest.energy_total_kwh) == (231.0, 0.2, 12.5)
    outlets = Device.objects.filter(parent=strip).count()
    assert Reading.objects.filter(device__parent=strip).count() == outlets * 2
    assert Reading.objects.filter(device=bulb).count() == 2


@pytest.mark.django_db(transaction=True)  # the pool's threads see the test's device
def test_polls_from_the_workers_other_threads_reuse_the_same_connection(add, fleet):
    # The worker runs tasks on a pool of threads: a device keeps one connection, whichever
    # thread's task polls it.
    add("hs100")
    services.device_poll_all()
    accepted = fleet.sim.state(fleet["hs100"])["connectionsAccepted"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(2):
            pool.submit(services.device_poll_all).result()

    assert fleet.sim.state(fleet["hs100"])["connectionsAccepted"] == accepted


def test_a_deleted_devices_connection_is_closed_at_the_next_poll(add, fleet):
    device = add("hs100")
    services.device_poll_all()
    kept = fleet.sim.state(fleet["hs100"])["connectionsOpen"]
    assert kept >= 1

    services.device_delete(device=device)
    services.device_poll_all()

    deadline = time.monotonic() + 5
    while (
        fleet.sim.state(fleet["hs100"])["connectionsOpen"] >= kept and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    assert fleet.sim.state(fleet["hs100"])["connectionsOpen"] == kept - 1


def test_poll_runs_never_overlap(add):
    add("hs110")
    with poll_lock() as held:
        assert held
        assert services.device_poll_all().skipped
    assert not services.device_poll_all().skipped


def test_a_device_with_a_new_ip_is_moved_not_duplicated(db, devices_settings):
    first, second = free_loopback_block(2)
    mac = "50:C7:BF:AA:00:01"
    with Simulator([device_spec("hs110", first, mac=mac, alias="Roamer")]):
        device = services.device_add_manual(ip=first)
        services.device_poll_all()
    with Simulator([device_spec("hs110", second, mac=mac, alias="Roamer")]):
        services.device_discover(targets=[second], timeout=0.5, add_new=False)
        services.device_poll_all()

    moved = Device.objects.get()
    assert (moved.pk, moved.host, moved.status) == (device.pk, second, "online")
    assert Reading.objects.filter(device=moved).count() == 2  # history kept


def test_a_poll_follows_two_devices_that_swapped_ips(db, devices_settings):
    a, b = free_loopback_block(2)
    macs = ["50:C7:BF:AA:00:0A", "50:C7:BF:AA:00:0B"]
    with Simulator([device_spec("hs110", a, mac=macs[0]), device_spec("hs110", b, mac=macs[1])]):
        services.device_add_manual(ip=a)
        services.device_add_manual(ip=b)
    with Simulator([device_spec("hs110", b, mac=macs[0]), device_spec("hs110", a, mac=macs[1])]):
        summary = services.device_poll_all()

    assert summary.succeeded == 2
    hosts = dict(Device.objects.values_list("mac", "host"))
    assert hosts == {macs[0]: b, macs[1]: a}


def test_missed_days_are_backfilled_from_the_devices_daily_statistics(add, fleet):
    address = fleet["switch"]
    fleet.sim.emeter(address, power=10.0, total=20.0)
    device = add("switch")
    services.device_poll_all()
    today = timezone.localdate()
    missed = [today - timedelta(days=2), today - timedelta(days=1)]
    for day, kwh in zip(missed, (1.5, 2.5), strict=True):
        fleet.sim.daystat(address, day.year, day.month, {day.day: kwh})
    Device.objects.filter(pk=device.pk).update(last_reading_at=timezone.now() - timedelta(days=3))
    fleet.sim.emeter(address, power=10.0, total=26.0)

    services.device_poll_all()

    days = {r.day: r for r in DailyRollup.objects.filter(device=device)}
    assert days[missed[0]].energy_kwh == pytest.approx(1.5) and days[missed[0]].backfilled
    assert days[missed[1]].energy_kwh == pytest.approx(2.5)
    total = HourlyRollup.objects.filter(device=device).aggregate(s=Sum("energy_kwh"))["s"]
    assert total == pytest.approx(6.0)  # the counter's 6 kWh, none lost, none doubled


def test_rollups_updated_is_sent_after_the_poll_commits(
    add, fleet, django_capture_on_commit_callbacks
):
    device = add("hs110")
    received = []

    def receiver(sender, device_ids, hours, **kwargs):
        received.append((device_ids, hours))

    rollups_updated.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.device_poll_all()
    finally:
        rollups_updated.disconnect(receiver)
    assert received and received[0][0] == [device.pk]
    assert received[0][1][0].minute == 0


def test_poll_now_returns_a_task_id(operator_api, add):
    device = add("hs100")
    response = operator_api.post(f"/api/devices/{device.pk}/poll")
    assert response.status_code == 202
    assert response.json()["task_id"] and response.json()["device_id"] == device.pk


def test_viewers_may_not_poll(viewer_api, add):
    device = add("hs100")
    assert viewer_api.post(f"/api/devices/{device.pk}/poll").status_code == 403


def test_polls_speak_the_protocol_stored_for_the_device(add, fleet):
    device = add("hs100")
    assert device.connection == {}  # the simulator speaks the legacy protocol
    with socket.socket() as probe:  # a port on the device's address that nothing serves
        probe.bind((device.host, 0))
        closed = probe.getsockname()[1]
    newer = {"device_family": "SMART.KASAPLUG", "encryption_type": "KLAP", "login_version": 2,
             "http_port": closed}  # fmt: skip
    Device.objects.filter(pk=device.pk).update(connection=newer)  # as discovery stores KLAP

    assert services.device_poll_all().failed == 1  # it spoke KLAP over HTTP to that port

    Device.objects.filter(pk=device.pk).update(connection={})
    assert services.device_poll_all().succeeded == 1
