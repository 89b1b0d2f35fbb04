"""Live sockets at scale: many dashboards, polling and API clients together against one web process.

Profiles (issue 17 item 1, issue 26):
- idle:  50 sockets for 5 minutes, polling every 30 s (sockets wait long between events);
- scale: 1,000 sockets for 10 minutes, polling every 10 s, 20 API clients on /api/devices.

Each socket is a real authenticated client subscribed to all devices, in client processes of
their own: half native WebSockets to /ws/devices/ (aiohttp), half Socket.IO clients at
/socket.io/ (python-socketio, websocket transport) unless --transport says otherwise. Simulated plugs on loopback (4 HS110 and an HS300 strip
with 6 outlets: 11 devices) are polled by the poll the worker runs (devices.services.
device_poll_all) from this process, so each poll publishes through the real channel layer.
Figures: unexpected closes, updates missing or duplicated per socket and poll, poll -> socket
latency (from the reading's own timestamp to its arrival at the client), web process RSS and
its growth per socket, API p99 during the soak.

Run: .venv/bin/python benchmarks/bench_sockets.py [--profile idle|scale|both] [--quick]
     [--sockets N --minutes M --interval S --api-clients C --web-workers W]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import psutil
from _common import (
    bench_database,
    bench_env,
    cpu_seconds,
    percentile,
    process,
    report,
    rss_mib,
    setup_django,
    vendor_label,
    wait_http,
)

PROFILES = {
    "idle": {"sockets": 50, "minutes": 5.0, "interval": 30.0, "api_clients": 0},
    "scale": {"sockets": 1000, "minutes": 10.0, "interval": 10.0, "api_clients": 20},
}
CLIENT_PROCESSES = 2
LATENCY_P99_BUDGET_MS = 500


# -- the dashboards (a client process) -----------------------------------------------------


def _client_main(port, tokens, count, duration, results, ready, start_barrier, transport):
    import uvloop

    uvloop.install()
    run = _client if transport == "native" else _socketio_client
    results.put(asyncio.run(run(port, tokens, count, duration, ready, start_barrier)))


async def _socketio_client(port, tokens, count, duration, ready, start_barrier):
    """The same dashboards over Socket.IO (python-socketio's client, websocket transport)."""
    import socketio

    url = f"http://127.0.0.1:{port}"
    received: list[list[tuple[str, int, float]]] = [[] for _ in range(count)]
    unexpected: list[str] = []
    refused = 0
    stopping = False
    clients = []

    async def one(index: int):
        nonlocal refused
        client = socketio.AsyncClient(reconnection=False)
        mine = received[index]

        @client.on("device_update")
        async def update(body):
            data = body["data"]
            mine.append((data["timestamp"], data["device_id"], time.time()))

        @client.on("disconnect")
        async def gone(*_):
            if not stopping:
                unexpected.append("socket.io disconnect")

        try:
            await client.connect(url, auth={"token": tokens[index % len(tokens)]},
                                 transports=["websocket"], wait_timeout=60)  # fmt: skip
        except socketio.exceptions.ConnectionError as exc:
            refused += 1
            unexpected.append(f"socket.io refused: {exc}")
            return None
        await client.emit("subscribe_all")
        return client

    for start in range(0, count, 50):
        clients += await asyncio.gather(*(one(i) for i in range(start, min(start + 50, count))))
    ready.set()
    start_barrier.wait()
    await asyncio.sleep(duration)
    stopping = True
    await asyncio.gather(*(c.disconnect() for c in clients if c), return_exceptions=True)
    return {"received": received, "unexpected": unexpected, "refused": refused,
            "cpu": time.process_time()}  # fmt: skip


async def _client(port, tokens, count, duration, ready, start_barrier):
    import aiohttp
    import orjson

    url = f"ws://127.0.0.1:{port}/ws/devices/"
    origin = f"http://127.0.0.1:{port}"
    received: list[list[tuple[str, int, float]]] = [[] for _ in range(count)]
    unexpected: list[str] = []
    refused = 0
    stopping = False
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(index: int):
            nonlocal refused
            token = tokens[index % len(tokens)]
            try:
                ws = await http.ws_connect(f"{url}?token={token}", headers={"Origin": origin})
            except aiohttp.WSServerHandshakeError as exc:
                refused += 1
                unexpected.append(f"handshake {exc.status}")
                return None
            await ws.send_str('{"event": "subscribe_all"}')
            return ws

        sockets = []
        for start in range(0, count, 100):  # open in waves, as dashboards come and go
            sockets += await asyncio.gather(
                *(one(i) for i in range(start, min(start + 100, count)))
            )
        ready.set()
        start_barrier.wait()

        async def read(index: int, ws):
            mine = received[index]
            while True:
                message = await ws.receive()
                if message.type == aiohttp.WSMsgType.TEXT:
                    body = orjson.loads(message.data)
                    if body.get("event") == "device_update":
                        data = body["data"]
                        mine.append((data["timestamp"], data["device_id"], time.time()))
                    continue
                if not stopping:
                    unexpected.append(f"{message.type.name} {ws.close_code}")
                return

        readers = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(sockets) if ws]
        await asyncio.sleep(duration)
        stopping = True
        for ws in sockets:
            if ws:
                await ws.close()
        await asyncio.gather(*readers, return_exceptions=True)
    return {"received": received, "unexpected": unexpected, "refused": refused,
            "cpu": time.process_time()}  # fmt: skip


# -- polling and API load (this process) ---------------------------------------------------


def _poller(interval: float, stop: threading.Event, cycles: list):
    from devices import services

    while not stop.is_set():
        started = time.time()
        summary = services.device_poll_all()
        cycles.append((started, time.time(), summary.succeeded))
        stop.wait(max(0.0, interval - (time.time() - started)))


def _api_load(port: int, token: str, clients: int, seconds: float, out: list):
    from loadgen import load

    latencies, errors = asyncio.run(
        load("127.0.0.1", port, "/api/devices", connections=clients, seconds=seconds,
             headers={"Authorization": f"Bearer {token}"})
    )  # fmt: skip
    out.extend([latencies, errors])


# -- one soak --------------------------------------------------------------------------------


def soak(data_dir: Path, name: str, sockets: int, minutes: float, interval: float,
         api_clients: int, web_workers: int, transport: str = "native") -> bool:  # fmt: skip
    from accounts.models import User
    from accounts.sessions import session_start
    from devices.models import Device

    print(f"-- {name}: {sockets} sockets ({transport}), {minutes:g} min, polling every "
          f"{interval:g} s, {api_clients} API clients, {web_workers} web process(es), "
          f"{vendor_label()}")  # fmt: skip
    users = [
        User.objects.create_user(f"dash{name}{i}", f"d{name}{i}@example.com", "Dash-pass-1234",
                                 role="viewer")
        for i in range(10)
    ]  # fmt: skip
    tokens = [session_start(u, ip="127.0.0.1", user_agent="bench").access for u in users]
    devices = Device.objects.count()
    duration = minutes * 60

    port = _free_port()
    env = bench_env(data_dir, PORT=str(port), WEB_WORKERS=str(web_workers),
                    WS_MAX_CONNECTIONS=str(sockets + 100))  # fmt: skip
    log = data_dir / f"web-{name}.log"
    with process([sys.executable, "-m", "kasamonitor.serve"], env, log) as web:
        wait_http(f"http://127.0.0.1:{port}/health")
        time.sleep(1)
        rss_before = rss_mib(web.pid, tree=True)

        ctx = multiprocessing.get_context("spawn")
        results = ctx.Queue()
        barrier = ctx.Barrier(CLIENT_PROCESSES + 1)
        readies, clients = [], []
        per_client = [sockets // CLIENT_PROCESSES + (i < sockets % CLIENT_PROCESSES)
                      for i in range(CLIENT_PROCESSES)]  # fmt: skip
        kinds = {"native": ["native"] * CLIENT_PROCESSES,
                 "socketio": ["socketio"] * CLIENT_PROCESSES,
                 "both": ["native", "socketio"]}[transport]  # fmt: skip
        for count, kind in zip(per_client, kinds, strict=True):
            ready = ctx.Event()
            proc = ctx.Process(target=_client_main,
                               args=(port, tokens, count, duration, results, ready, barrier,
                                     kind))  # fmt: skip
            proc.start()
            readies.append(ready)
            clients.append(proc)
        opened = time.monotonic()
        for ready in readies:
            if not ready.wait(timeout=300):
                raise SystemExit("the socket clients did not connect within 5 minutes")
        print(f"   {sockets} sockets open in {time.monotonic() - opened:.1f} s")
        time.sleep(2)
        rss_open = rss_mib(web.pid, tree=True)

        stop = threading.Event()
        cycles: list = []
        api: list = []
        barrier.wait()
        poller = threading.Thread(target=_poller, args=(interval, stop, cycles))
        poller.start()
        api_thread = None
        if api_clients:
            api_thread = threading.Thread(
                target=_api_load, args=(port, tokens[0], api_clients, duration - 5, api)
            )
            api_thread.start()
        rss_peak = rss_open
        web_cpu = cpu_seconds(web.pid)
        web_times = psutil.Process(web.pid).cpu_times()
        deadline = time.monotonic() + duration
        while time.monotonic() < deadline:
            time.sleep(min(5, max(0.1, deadline - time.monotonic())))
            rss_peak = max(rss_peak, rss_mib(web.pid, tree=True))
        web_cpu = cpu_seconds(web.pid) - web_cpu
        web_times_end = psutil.Process(web.pid).cpu_times()
        web_user = web_times_end.user - web_times.user
        web_system = web_times_end.system - web_times.system
        stop.set()
        poller.join()
        if api_thread:
            api_thread.join()
        outcome = [results.get(timeout=120) for _ in clients]
        for proc in clients:
            proc.join(timeout=30)
        web_log = log.read_text(errors="replace")

    clients_cpu = sum(r.get("cpu", 0) for r in outcome)
    print(f"   CPU during the soak: web process {web_cpu:.1f} s (user {web_user:.1f}, kernel "
          f"{web_system:.1f}), socket clients {clients_cpu:.1f} s (incl. connecting), over "
          f"{duration:.0f} s")  # fmt: skip
    return judge(name, outcome, cycles, devices, sockets, interval, api,
                 rss_before, rss_open, rss_peak, web_log)  # fmt: skip


def judge(name, outcome, cycles, devices, sockets, interval, api,
          rss_before, rss_open, rss_peak, web_log) -> bool:  # fmt: skip
    # Only polls whose updates had time to arrive before the clients stopped count.
    counted = cycles[:-1] if len(cycles) > 1 else cycles
    latencies: list[float] = []
    fanout: list[float] = []  # the poll's end (after its publish) -> the socket
    missing = duplicated = 0
    unexpected: list[str] = []
    refused = 0
    for result in outcome:
        unexpected += result["unexpected"]
        refused += result["refused"]
        for socket_messages in result["received"]:
            per_cycle: dict[int, list[int]] = {}
            for stamp, device_id, arrived in socket_messages:
                polled = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
                latencies.append(arrived - polled)
                cycle = next(
                    (i for i, (s, e, _) in enumerate(counted) if s - 1 <= polled <= e + 1), None
                )
                if cycle is not None:
                    per_cycle.setdefault(cycle, []).append(device_id)
                    fanout.append(arrived - counted[cycle][1])
            for i in range(len(counted)):
                got = per_cycle.get(i, [])
                missing += max(0, devices - len(set(got)))
                duplicated += len(got) - len(set(got))
    open_sockets = sockets - refused
    expected = open_sockets * devices * len(counted)
    print(f"   polls: {len(cycles)} ({len(counted)} counted), devices per poll: {devices}, "
          f"updates expected {expected}, missing {missing}, duplicated {duplicated}")  # fmt: skip
    if unexpected:
        print(
            f"   unexpected closes / refusals: {unexpected[:10]}{' …' if len(unexpected) > 10 else ''}"
        )
    if "Traceback" in web_log or '"level": "ERROR"' in web_log:
        print("   web process logged errors:\n" + web_log[-3000:])
    ok = True
    ok &= report(
        f"{name}: unexpected closes or refusals ({sockets} sockets)", len(unexpected), "", 0
    )
    ok &= report(f"{name}: updates missing or duplicated", missing + duplicated, "", 0)
    if latencies:
        ok &= report(f"{name}: poll -> socket latency p50", percentile(latencies, 50) * 1000, "ms",
                     LATENCY_P99_BUDGET_MS)  # fmt: skip
        ok &= report(f"{name}: poll -> socket latency p99", percentile(latencies, 99) * 1000, "ms",
                     LATENCY_P99_BUDGET_MS)  # fmt: skip
    if fanout:
        polls = [end - start for start, end, _ in counted]
        # The poll's end comes after its publish (its last writes follow the events), so
        # "poll end -> socket" can be below zero when the sockets are fast.
        print(f"   the poll itself (devices, database, publish, what follows): p50 "
              f"{percentile(polls, 50) * 1000:.0f} ms; poll end -> socket p50 "
              f"{percentile(fanout, 50) * 1000:.0f} ms, p99 {percentile(fanout, 99) * 1000:.0f} ms")  # fmt: skip
    per_socket_kib = (rss_open - rss_before) * 1024 / max(1, open_sockets)
    print(f"   web RSS: {rss_before:.0f} MiB idle, {rss_open:.0f} MiB with {open_sockets} sockets "
          f"({per_socket_kib:.0f} KiB per socket), peak {rss_peak:.0f} MiB")  # fmt: skip
    report(f"{name}: web RSS growth per socket", per_socket_kib, "KiB", 200)
    if api and api[0]:
        latencies_api, errors = api
        print(f"   API: {len(latencies_api)} requests, {len(errors)} errors")
        ok &= report(f"{name}: GET /api/devices p99 during the soak",
                     percentile(latencies_api, 99) * 1000, "ms", 500)  # fmt: skip
        ok &= report(f"{name}: API errors", len(errors), "", 0)
    return ok


def _free_port() -> int:
    from _common import free_port

    return free_port()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", choices=["idle", "scale", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="1 minute each, for a smoke run")
    parser.add_argument("--sockets", type=int)
    parser.add_argument("--minutes", type=float)
    parser.add_argument("--interval", type=float)
    parser.add_argument("--api-clients", type=int)
    parser.add_argument("--web-workers", type=int, default=1)
    parser.add_argument("--transport", choices=["native", "socketio", "both"], default="both",
                        help="half the sockets native WebSocket, half Socket.IO (default)")  # fmt: skip
    args = parser.parse_args()
    names = ["idle", "scale"] if args.profile == "both" else [args.profile]

    data_dir = Path(tempfile.mkdtemp(prefix="kasa-bench-sockets-"))
    from kasamonitor.embedded_redis import ensure_redis

    redis = ensure_redis(data_dir)
    try:
        with bench_database("sockets"):
            setup_django(data_dir, CELERY_QUEUE=f"bench-sockets-{time.time_ns()}")
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            return run(data_dir, names, args)
    finally:
        if redis:
            redis.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def run(data_dir: Path, names: list[str], args) -> int:
    from bench_cycle import fleet

    from tests.simulator import Simulator, device_spec, free_loopback_block

    hosts = free_loopback_block(5)
    specs = [device_spec("hs110", h, alias=f"Plug {i}") for i, h in enumerate(hosts[:4])]
    specs.append(device_spec("hs300", hosts[4], alias="Strip"))
    ok = True
    with Simulator(specs, ready_timeout=60) as sim:
        sim.dynamic(watts=60.0, noise=0.1)
        fleet(hosts)
        for name in names:
            profile = dict(PROFILES[name])
            if args.quick:
                profile["minutes"] = 1.0
            for key in ("sockets", "minutes", "interval", "api_clients"):
                if getattr(args, key) is not None:
                    profile[key] = getattr(args, key)
            ok &= soak(data_dir, name, web_workers=args.web_workers, transport=args.transport,
                       **profile)  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
