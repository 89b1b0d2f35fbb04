"""GET /api/devices with 200 devices: sequential requests to one warm web process.

Budgets: quiet, p50 <= 6 ms and p99 <= 10 ms (issue 12); while the 200 devices are polled
(200 simulated HS110s on loopback, a poll every 5 s from a process of its own, as the
worker does), p50 <= 3 ms and p99 <= 6 ms (issue 24). The client sends one request at a
time on a keep-alive connection with a real admin access token, so the figure is the
server's own latency, not queueing behind other requests.
Builds its own database (SQLite, or kasa_bench_devices_api when DATABASE_URL is PostgreSQL).

Run: .venv/bin/python benchmarks/bench_devices_api.py
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import (
    Client,
    admin_token,
    bench_database,
    cpu_seconds,
    percentile,
    report,
    setup_django,
    web_server,
)

DEVICES = 200
WARMUP, REQUESTS = 200, int(os.environ.get("BENCH_REQUESTS", "2000"))
POLL_INTERVAL = 5.0  # seconds between poll cycles in the polling phase
POLLING_SECONDS = float(os.environ.get("BENCH_POLLING_SECONDS", "40"))


def build_fleet() -> None:
    from devices.models import Device

    now = datetime.now(UTC)
    Device.objects.bulk_create(
        Device(
            device_id=f"50:C7:BF:00:{n // 256:02X}:{n % 256:02X}",
            mac=f"50:C7:BF:00:{n // 256:02X}:{n % 256:02X}",
            host=f"127.0.{n // 250 + 1}.{n % 250 + 1}",
            alias=f"Plug {n}",
            model="HS110",
            has_emeter=True,
            status=Device.Status.ONLINE,
            is_on=n % 2 == 0,
            rssi=-60,
            current_power_w=60.0 + n,
            voltage=120.0,
            current=0.5,
            energy_total_kwh=51.0,
            today_energy_kwh=1.2,
            month_energy_kwh=30.5,
            last_seen=now,
            last_polled_at=now,
        )
        for n in range(DEVICES)
    )


def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="kasa-bench-devapi-"))
    from kasamonitor.embedded_redis import ensure_redis

    redis = ensure_redis(data_dir)
    try:
        with bench_database("devices_api"):
            setup_django(data_dir)
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            build_fleet()
            token = admin_token()
            ok = measure(data_dir, token) == 0
            return 0 if measure_while_polling(data_dir, token) == 0 and ok else 1
    finally:
        if redis:
            redis.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def measure(data_dir: Path, token: str) -> int:
    with web_server(data_dir) as (port, web):
        client = Client(port, token)
        _, status, body = client.get("/api/devices")
        if status != 200 or len(json.loads(body)) != DEVICES:
            print(f"unexpected answer {status}: {body[:300]!r}")
            return 1
        for _ in range(WARMUP):
            client.get("/api/devices")
        cpu = cpu_seconds(web.pid)
        answers = [client.get("/api/devices") for _ in range(REQUESTS)]
        cpu = (cpu_seconds(web.pid) - cpu) / REQUESTS * 1000
        client.close()
    times = [seconds * 1000 for seconds, _, _ in answers]
    statuses = {status for _, status, _ in answers}
    if statuses != {200}:
        print(f"not every answer was 200: {statuses}")
        return 1
    print(f"{REQUESTS} sequential requests, {len(body)} bytes each; web process CPU "
          f"{cpu:.2f} ms per request")  # fmt: skip
    ok = report(f"GET /api/devices ({DEVICES} devices) p50", percentile(times, 50), "ms", 6)
    ok &= report(f"GET /api/devices ({DEVICES} devices) p99", percentile(times, 99), "ms", 10)
    return 0 if ok else 1


def _poll_every(data_dir: Path, interval: float, stop, cycles) -> None:
    """The worker's part: device_poll_all() every `interval` seconds, in its own process."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    setup_django(data_dir)
    from devices import services

    while not stop.is_set():
        started = time.monotonic()
        services.device_poll_all()
        cycles.value += 1
        stop.wait(max(0.0, interval - (time.monotonic() - started)))


def measure_while_polling(data_dir: Path, token: str) -> int:
    from bench_cycle import fleet

    from devices.models import Device
    from tests.simulator import Simulator, device_spec, free_loopback_block

    Device.objects.all().delete()  # the fleet becomes 200 simulated plugs that answer polls
    hosts = free_loopback_block(DEVICES)
    specs = [device_spec("hs110", h, alias=f"Plug {i}") for i, h in enumerate(hosts)]
    with Simulator(specs, ready_timeout=120) as sim, web_server(data_dir) as (port, web):
        sim.dynamic(watts=60.0, noise=0.1)
        fleet(hosts)
        client = Client(port, token)
        for _ in range(WARMUP):
            client.get("/api/devices")
        context = multiprocessing.get_context("spawn")
        stop, cycles = context.Event(), context.Value("i", 0)
        poller = context.Process(target=_poll_every, args=(data_dir, POLL_INTERVAL, stop, cycles))
        poller.start()
        while cycles.value == 0:  # measure from the first completed cycle on
            time.sleep(0.05)
        cpu = cpu_seconds(web.pid)
        answers = []
        deadline = time.monotonic() + POLLING_SECONDS
        while time.monotonic() < deadline:
            answers.append(client.get("/api/devices"))
        cpu = (cpu_seconds(web.pid) - cpu) / len(answers) * 1000
        stop.set()
        poller.join(timeout=30)
        client.close()
    times = [seconds * 1000 for seconds, _, _ in answers]
    statuses = {status for _, status, _ in answers}
    if statuses != {200}:
        print(f"not every answer was 200: {statuses}")
        return 1
    print(f"while polling {DEVICES} simulated plugs every {POLL_INTERVAL:g} s: {len(answers)} "
          f"sequential requests in {POLLING_SECONDS:g} s ({cycles.value} poll cycles); web "
          f"process CPU {cpu:.2f} ms per request")  # fmt: skip
    label = f"GET /api/devices ({DEVICES} devices) while polling"
    ok = report(f"{label} p50", percentile(times, 50), "ms", 3)
    ok &= report(f"{label} p99", percentile(times, 99), "ms", 6)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
