"""Memory of password hashing: the web process's RSS while 20 logins run at once.

Budget (issue 24 item 3): logins in flight add at most 64 MiB to the web processes
(PASSWORD_HASHING_MEMORY_MIB; accounts/hashing.py: Argon2id 19 MiB t=2 p=1, at most 3
hashes at once in one web process). One real web process (kasamonitor.serve, WEB_WORKERS=1)
on its own database; 20 users, each logging in through POST /api/auth/login on a connection
of its own, all 20 released together, ROUNDS times. RSS is sampled every 2 ms; the figure is
the peak minus the RSS before the first login (after a warm-up request). The RSS left after
the last round, the login time p50/max and the hashes' time alone are printed beside it.
Builds its own database (SQLite, or kasa_bench_logins when DATABASE_URL is PostgreSQL).

Run: .venv/bin/python benchmarks/bench_logins.py
"""

from __future__ import annotations

import http.client
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import (
    Client,
    bench_database,
    percentile,
    report,
    rss_mib,
    setup_django,
    vendor_label,
    web_server,
)

LOGINS = 20
ROUNDS = 3
BUDGET_MIB = 64
PASSWORD = "Bench!Passw0rd-1234"
# Every login is a real 200: lift the login limits (5/min per IP) for this one client.
LIMITS = {"RATE_LIMIT_LOGIN": "1000000/m", "API_RATE_LIMIT_PER_IP": "10000000/m"}


def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="kasa-bench-logins-"))
    from kasamonitor.embedded_redis import ensure_redis

    redis = ensure_redis(data_dir)
    try:
        with bench_database("logins"):
            setup_django(data_dir, **LIMITS)
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            return run(data_dir)
    finally:
        if redis:
            redis.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def login(port: int, username: str) -> tuple[float, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    body = json.dumps({"username": username, "password": PASSWORD})
    started = time.perf_counter()
    conn.request("POST", "/api/auth/login", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return time.perf_counter() - started, response.status


def run(data_dir: Path) -> int:
    from django.contrib.auth.hashers import make_password
    from django.db import connections

    from accounts.hashing import hashing_plan
    from accounts.models import User

    plan = hashing_plan()
    started = time.perf_counter()
    encoded = make_password(PASSWORD)
    hash_seconds = time.perf_counter() - started
    for n in range(LOGINS):
        user = User.objects.create_user(f"user{n}", f"user{n}@example.com", "x", role="viewer")
        User.objects.filter(pk=user.pk).update(password=encoded)
    connections.close_all()

    with web_server(data_dir, **LIMITS) as (port, web):
        warm = Client(port)
        warm.get("/api/auth/setup-required")
        warm.close()
        time.sleep(0.5)
        before = rss_mib(web.pid)
        peak, stop = [before], threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_mib(web.pid))
                time.sleep(0.002)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        times, statuses = [], []
        for _ in range(ROUNDS):
            gate = threading.Barrier(LOGINS)

            def one(n, gate=gate):
                gate.wait()
                seconds, status = login(port, f"user{n}")
                times.append(seconds)
                statuses.append(status)

            threads = [threading.Thread(target=one, args=(n,)) for n in range(LOGINS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            time.sleep(0.3)
        stop.set()
        sampler.join()
        after = rss_mib(web.pid)

    bad = [s for s in statuses if s != 200]
    print(f"{vendor_label()}: Argon2id m={plan.memory_kib // 1024} MiB t={plan.time_cost} p=1, "
          f"{plan.slots} at once per web process; one hash {hash_seconds * 1000:.0f} ms; "
          f"{LOGINS} concurrent logins x {ROUNDS} rounds: p50 {percentile(times, 50) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms; RSS before {before:.0f} MiB, peak {peak[0]:.0f} MiB, "
          f"after {after:.0f} MiB (+{after - before:.0f}); non-200 answers: {len(bad)}")  # fmt: skip
    ok = report(f"web RSS growth, {LOGINS} logins at once", peak[0] - before, "MiB", BUDGET_MIB)
    return 0 if ok and not bad else 1


if __name__ == "__main__":
    sys.exit(main())
