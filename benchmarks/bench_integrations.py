"""Integrations at 1,000 devices: MQTT publishing per poll cycle and a /metrics scrape.

Figures (issue 22):
- what publishing adds to a poll cycle of 1,000 devices (integrations' poll_finished
  receiver: costs, discovery check, 2,000+ messages built and queued) <= 100 ms, the median
  of 10 cycles after a warm-up; the time until Mosquitto confirmed every message is printed
  beside it (the publisher's own thread, not the poll's);
- GET /metrics for 1,000 devices from a real web process <= 50 ms (median of 30; p95 shown).
1,000 devices with live state and 20 days of DailyCost rows each are written straight to a
fresh database (SQLite, or kasa_bench_integrations when DATABASE_URL is PostgreSQL); the
broker is Debian's mosquitto on a free loopback port.

Run: .venv/bin/python benchmarks/bench_integrations.py
"""

from __future__ import annotations

import getpass
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _common import (
    Client,
    bench_database,
    cpu_seconds,
    free_port,
    percentile,
    report,
    setup_django,
    vendor_label,
    web_server,
)

DEVICES = 1000
TOKEN = "bench-metrics-token-0123456789abcdef"


def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="kasa-bench-integrations-"))
    from kasamonitor.embedded_redis import ensure_redis

    redis = ensure_redis(data_dir)
    try:
        with bench_database("integrations"):
            port = free_port()
            setup_django(data_dir, METRICS_TOKEN=TOKEN, MQTT_HOST="127.0.0.1",
                         MQTT_PORT=str(port))  # fmt: skip
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            devices = make_fleet()
            ok = bench_publish(devices, data_dir, port)
            return 0 if bench_metrics(data_dir) and ok else 1
    finally:
        if redis:
            redis.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def make_fleet() -> list:
    from django.utils import timezone

    from billing.models import DailyCost
    from devices.models import Device

    now = timezone.now()
    Device.objects.bulk_create(
        Device(device_id=f"50:C7:BF:{n // 65536:02X}:{n // 256 % 256:02X}:{n % 256:02X}",
               mac=f"50:C7:BF:{n // 65536:02X}:{n // 256 % 256:02X}:{n % 256:02X}",
               host=f"127.1.{n // 250}.{n % 250 + 1}", alias=f"Plug {n}", model="HS110(EU)",
               has_emeter=True, status="online", is_on=True, current_power_w=50.0 + n % 100,
               voltage=230.0, current=0.3, energy_total_kwh=100.0 + n, last_seen=now)
        for n in range(DEVICES)
    )  # fmt: skip
    devices = list(Device.objects.all())
    today = timezone.localdate()
    DailyCost.objects.bulk_create(
        DailyCost(device=d, day=today - timedelta(days=k), kwh=1.0, cost="0.25")
        for d in devices
        for k in range(20)
    )
    return devices


def readings_for(devices: list) -> list:
    from django.utils import timezone

    from devices.models import Reading

    at = timezone.now()
    return [Reading(device=d, timestamp=at, is_on=True, power_w=d.current_power_w, voltage=230.0,
                    current=0.3, energy_total_kwh=d.energy_total_kwh, energy_delta_kwh=0.001)
            for d in devices]  # fmt: skip


def bench_publish(devices: list, data_dir: Path, port: int) -> bool:
    from devices.models import Device
    from devices.polling import PollSummary
    from devices.signals import poll_finished
    from integrations.mqtt import publisher

    conf = data_dir / "mosquitto.conf"
    conf.write_text(f"user {getpass.getuser()}\nlistener {port} 127.0.0.1\nallow_anonymous true\n"
                    "max_queued_messages 0\n")  # fmt: skip
    broker = subprocess.Popen(["/usr/sbin/mosquitto", "-c", str(conf)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        p = publisher.publisher()
        assert p.connected.wait(15), "no broker"
        _drain(p, 0)
        added, added_cpu, building, confirmed = [], [], [], []
        for cycle in range(11):
            summary = PollSummary(polled=DEVICES, succeeded=DEVICES)
            sent_before = p.sent
            started, cpu = time.perf_counter(), time.thread_time()
            poll_finished.send(sender=Device, summary=summary, readings=readings_for(devices),
                               devices=devices)  # fmt: skip
            queued, queued_cpu = time.perf_counter() - started, time.thread_time() - cpu
            p.flush()
            built = time.perf_counter() - started
            _drain(p, sent_before + DEVICES)
            if cycle:  # the first announces 1,000 devices' discovery configs
                added.append(queued * 1000)
                added_cpu.append(queued_cpu * 1000)
                building.append(built * 1000)
                confirmed.append((time.perf_counter() - started) * 1000)
            assert p.sent - sent_before >= DEVICES
        print(f"   the publisher's threads built a cycle's messages in "
              f"{statistics.median(building):.0f} ms (median); "
              f"the broker confirmed a cycle's {p.sent // 11} messages after "
              f"{statistics.median(confirmed):.0f} ms (median), outbox dropped {p.outbox.dropped}; "
              f"the poll thread's CPU for publishing {statistics.median(added_cpu):.0f} ms; "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        publisher.stop()
    finally:
        broker.terminate()
        broker.wait(10)
    return report(f"MQTT publish, added to a 1,000-device cycle ({vendor_label()})",
                  statistics.median(added), "ms", 100)  # fmt: skip


def _drain(p, confirmed: int, timeout: float = 60.0) -> None:
    """Wait until the outbox is empty and `confirmed` messages were acknowledged in all."""
    deadline = time.monotonic() + timeout
    while (len(p.outbox) or p.sent < confirmed) and time.monotonic() < deadline:
        time.sleep(0.002)


def bench_metrics(data_dir: Path) -> bool:
    with web_server(data_dir, METRICS_TOKEN=TOKEN) as (port, proc):
        client = Client(port, TOKEN)
        times = []
        for n in range(33):
            if n == 3:
                cpu = cpu_seconds(proc.pid)
            seconds, status, body = client.get("/metrics")
            assert status == 200 and body.count(b"kasa_device_power_watts{") == DEVICES, status
            if n >= 3:
                times.append(seconds * 1000)
        cpu_ms = (cpu_seconds(proc.pid) - cpu) / len(times) * 1000
        client.close()
    print(f"   /metrics p95 {percentile(times, 95):.1f} ms, {len(body) // 1024} KiB; web process "
          f"CPU {cpu_ms:.1f} ms per scrape; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    return report(f"GET /metrics, 1,000 devices ({vendor_label()})", statistics.median(times),
                  "ms", 50)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
