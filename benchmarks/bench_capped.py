"""The whole `make run` under a 400 MiB memory cap while everything heavy happens at once.

Target (issue 24 item 6): `make run` (launcher, embedded Redis, web, worker with its
scheduler thread, and the job processes the worker starts for exports and backups) in a
memory cgroup limited to 400 MiB, swap off, survives all of this at the same time with no
process killed:
- 200 simulated HS110 plugs on loopback polled by make run's own scheduler every 10 s;
- a year's costs (GET /api/costs over 365 days) asked back to back by a client process;
- a 1,000,000-row CSV export asked through POST /api/exports/create and downloaded;
- a backup asked through POST /api/backups/create (what the Backups page does).
The database holds a year of one-minute readings of 10 devices (benchmarks/yeardata.py,
5,256,000 rows; the export takes the last 100,000 minutes of them).

The cgroup: a child of this process's own memory cgroup (cgroup v2: memory.max and
memory.swap.max = 0; cgroup v1: memory.limit_in_bytes and memory.memsw.limit_in_bytes),
which the launcher joins before it starts anything (a shell writes its own PID to
cgroup.procs, then execs make run), so every process of make run is born in it. The
simulator, this script and its clients stay outside; so does a PostgreSQL server (its
backends are not make run's processes), while pg_dump, started by the backup, is inside.
When no cgroup can be made (not root, no memory controller, no delegation) the run goes on
uncapped and says so: the "cap applied" line fails and the exit status is 1.

Printed: the cgroup's peak (the kernel's high-water mark, which counts reclaimable page
cache, so it sits near the cap whenever files are read) and the peak of its anonymous
memory (sampled every 50 ms: what cannot be reclaimed); each kind of process's peak RSS;
the cgroup's OOM and OOM-kill counts; make run's processes alive at the end; each job's
outcome and duration; the polls (longest gap between two readings of one plug).
Exit status 1 if the cap was not applied, any process was killed or restarted, a job
failed, or a poll was late; the durations have the stand-alone budgets beside them.
Builds its own database (SQLite, or kasa_bench_capped when DATABASE_URL is PostgreSQL).

Run: chrt -r 10 nice -n 0 .venv/bin/python benchmarks/bench_capped.py
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from _common import (
    admin_token,
    bench_database,
    bench_env,
    free_port,
    process,
    report,
    setup_django,
    vendor_label,
    wait_http,
)

CAP_MIB = 400
DEVICES = 200
POLL_SECONDS = 10
EXPORT_MINUTES = 100_000  # x 10 devices = 1,000,000 readings
EXPORT_FIELDS = ["timestamp", "device_ip", "device_name", "power_w", "energy_kwh", "voltage",  # bench_export
                 "cost"]  # fmt: skip
AFTER_JOBS = 2 * POLL_SECONDS  # keep everything running this long after the jobs finish


# -- the cgroup --------------------------------------------------------------------------------


class Cgroup:
    """A memory cgroup of our own, child of this process's: v2 or v1, whichever is mounted."""

    def __init__(self, path: Path, version: int):
        self.path, self.version = path, version

    @classmethod
    def create(cls, limit_mib: int) -> tuple[Cgroup | None, str]:
        """Make the cgroup with its limit; return (cgroup, how) or (None, why not)."""
        reasons = []
        for make in (cls._v2, cls._v1):
            try:
                group = make(limit_mib)
            except OSError as exc:
                reasons.append(f"{make.__name__[1:]}: {exc}")
                continue
            if group:
                return group, group.describe()
        return None, "; ".join(reasons) or "no memory cgroup hierarchy is mounted"

    @staticmethod
    def _own(controller: str) -> str:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controllers == controller or controller in controllers.split(","):
                return path.lstrip("/")
        raise OSError(f"this process is in no {controller or 'v2'} cgroup")

    @classmethod
    def _v2(cls, limit_mib: int) -> Cgroup | None:
        root = next((p for p in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified"))
                     if (p / "cgroup.controllers").is_file()), None)  # fmt: skip
        if root is None or "memory" not in (root / "cgroup.controllers").read_text().split():
            raise OSError("no cgroup v2 hierarchy with the memory controller")
        parent = root / cls._own("")
        if "memory" not in (parent / "cgroup.subtree_control").read_text().split():
            # Refused (EBUSY) when the parent holds processes itself and is not the root.
            (parent / "cgroup.subtree_control").write_text("+memory")
        group = cls(cls._mkdir(parent), 2)
        group._write("memory.max", str(limit_mib * 2**20))
        if (group.path / "memory.swap.max").exists():
            group._write("memory.swap.max", "0")
        return group

    @classmethod
    def _v1(cls, limit_mib: int) -> Cgroup | None:
        mount = Path("/sys/fs/cgroup/memory")
        if not (mount / "memory.limit_in_bytes").is_file():
            raise OSError("no cgroup v1 memory hierarchy at /sys/fs/cgroup/memory")
        group = cls(cls._mkdir(mount / cls._own("memory")), 1)
        group._write("memory.limit_in_bytes", str(limit_mib * 2**20))
        if (group.path / "memory.memsw.limit_in_bytes").exists():  # memory + swap: no swap
            group._write("memory.memsw.limit_in_bytes", str(limit_mib * 2**20))
        return group

    @staticmethod
    def _mkdir(parent: Path) -> Path:
        path = parent / f"kasa-bench-capped-{os.getpid()}"
        path.mkdir()
        return path

    def _write(self, name: str, value: str) -> None:
        (self.path / name).write_text(value)

    def _read(self, name: str) -> str:
        return (self.path / name).read_text()

    def _stat(self, key: str) -> int:
        for line in self._read("memory.stat").splitlines():
            name, value = line.split()
            if name == key:
                return int(value)
        return 0

    def describe(self) -> str:
        if self.version == 2:
            swap = (self.path / "memory.swap.max").exists()
            return (f"cgroup v2 {self.path}: memory.max = {self._read('memory.max').strip()}"
                    f"{', memory.swap.max = 0' if swap else ' (no swap controller)'}")  # fmt: skip
        memsw = (self.path / "memory.memsw.limit_in_bytes").exists()
        return (f"cgroup v1 {self.path}: memory.limit_in_bytes = "
                f"{self._read('memory.limit_in_bytes').strip()}"
                f"{', memory.memsw.limit_in_bytes the same (no swap)' if memsw else ''}")  # fmt: skip

    @property
    def procs(self) -> Path:
        return self.path / "cgroup.procs"

    def current(self) -> int:
        return int(self._read("memory.current" if self.version == 2 else "memory.usage_in_bytes"))

    def anon(self) -> int:
        """Memory the kernel cannot reclaim without swap: anonymous pages (+ shmem)."""
        if self.version == 2:
            return self._stat("anon") + self._stat("shmem")
        return self._stat("rss") + self._stat("shmem")

    def peak(self) -> int | None:
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        return int(self._read(name)) if (self.path / name).exists() else None

    def events(self) -> dict[str, int]:
        """OOM counts: how often the limit was hit with nothing to reclaim, and kills."""
        if self.version == 2:
            out = dict(line.split() for line in self._read("memory.events").splitlines())
            return {"oom": int(out.get("oom", 0)), "oom_kill": int(out.get("oom_kill", 0)),
                    "max (limit reached)": int(out.get("max", 0))}  # fmt: skip
        out = dict(line.split() for line in self._read("memory.oom_control").splitlines())
        return {"under_oom": int(out.get("under_oom", 0)),
                "oom_kill": int(out.get("oom_kill", 0)),
                "failcnt (limit reached)": int(self._read("memory.failcnt"))}  # fmt: skip

    def remove(self) -> None:
        for _ in range(50):  # the last processes may still be exiting
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.2)
        print(f"WARNING: could not remove {self.path} (processes left in it?)")


# -- make run's processes ----------------------------------------------------------------------


def kind(proc) -> str:
    """Which of make run's processes this is, from its command line."""
    line = " ".join(proc.cmdline())
    if "redis-server" in line:
        return "redis"
    if "kasamonitor.run" in line or line.startswith("/bin/sh -c"):
        return "launcher"
    if "kasamonitor.serve" in line:
        return "web"
    if "kasamonitor.worker" in line or ("celery" in line and "worker" in line):
        return "worker"
    if "multiprocessing.spawn" in line:
        return "job process"  # kasamonitor.jobs: an export or a backup
    if "multiprocessing.resource_tracker" in line:
        return "job resource tracker"
    return "job " + proc.name()


class Sampler(threading.Thread):
    """Every 50 ms: the cgroup's charge and anonymous memory, every process's RSS."""

    def __init__(self, launcher_pid: int, group: Cgroup | None):
        super().__init__(daemon=True)
        self.launcher_pid, self.group = launcher_pid, group
        self.stop = threading.Event()
        self.peak_rss: dict[int, float] = {}  # by PID
        self.peak_tree = self.peak_current = self.peak_anon = 0.0
        self.seen: dict[int, str] = {}

    def run(self) -> None:
        import psutil

        while not self.stop.is_set():
            try:
                root = psutil.Process(self.launcher_pid)
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                return
            total = 0.0
            for proc in procs:
                try:
                    if proc.status() == psutil.STATUS_ZOMBIE:  # no memory, no command line
                        continue
                    name, rss = kind(proc), proc.memory_info().rss / 2**20
                except psutil.Error:
                    continue
                # The latest name: a process the worker starts carries the worker's command
                # line until it execs Python for the job.
                self.seen[proc.pid] = name
                self.peak_rss[proc.pid] = max(self.peak_rss.get(proc.pid, 0.0), rss)
                total += rss
            self.peak_tree = max(self.peak_tree, total)
            if self.group:
                self.peak_current = max(self.peak_current, self.group.current() / 2**20)
                self.peak_anon = max(self.peak_anon, self.group.anon() / 2**20)
            self.stop.wait(0.05)


# -- the load ----------------------------------------------------------------------------------


def api(port: int, token: str, method: str, path: str, body: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, json.loads(data) if data else None


def guarded(job, *args) -> None:
    """Run a client thread; a refused or dropped connection (the web process was killed)
    is the job's failure, not the bench's crash."""
    out = args[-1]
    try:
        job(*args)
    except (OSError, http.client.HTTPException) as exc:
        out.update(ok=False, error=repr(exc))


def export_csv(port: int, token: str, info: dict, out: dict) -> None:
    """POST /api/exports/create, wait for it, download it; count the rows downloaded."""
    started = time.monotonic()
    end = info["end"]
    start = end - timedelta(minutes=EXPORT_MINUTES)
    body = {"export_type": "device_data", "format": "csv", "fields": EXPORT_FIELDS,
            "date_range": {"start": start.isoformat(), "end": end.isoformat()}}  # fmt: skip
    status, created = api(port, token, "POST", "/api/exports/create", body)
    if status != 202:
        out.update(ok=False, error=f"create: {status} {created}")
        return
    job = created
    while job["status"] in ("queued", "running"):
        time.sleep(0.5)
        status, job = api(port, token, "GET", f"/api/exports/{created['export_id']}")
        if status != 200:
            out.update(ok=False, error=f"status: {status} {job}")
            return
    produced = time.monotonic() - started
    out.update(ran=f"{(job['started_at'] or '')[11:19]}-{(job['completed_at'] or '')[11:19]} UTC")
    if job["status"] != "completed":
        out.update(ok=False, error=f"export {job['status']}: {job['error']}")
        return
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", f"/api/exports/download/{created['export_id']}",
                 headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    response = conn.getresponse()
    size = lines = 0
    while chunk := response.read(1 << 16):
        size += len(chunk)
        lines += chunk.count(b"\n")
    conn.close()
    rows = lines - 1  # the header
    out.update(ok=response.status == 200 and rows == job["record_count"] == EXPORT_MINUTES * 10,
               seconds=time.monotonic() - started, produced=produced, rows=rows,
               mib=size / 2**20, error="" if rows == EXPORT_MINUTES * 10 else
               f"downloaded {rows:,} rows (HTTP {response.status}), job says {job['record_count']}")  # fmt: skip


def backup(port: int, token: str, out: dict) -> None:
    """POST /api/backups/create (the Backups page's button), then poll its progress."""
    started = time.monotonic()
    status, job = api(port, token, "POST", "/api/backups/create", {"type": "manual"})
    if status != 202:
        out.update(ok=False, error=f"create: {status} {job}")
        return
    while job["in_progress"]:
        time.sleep(0.5)
        status, job = api(port, token, "GET", f"/api/backups/progress?job_id={job['job_id']}")
        if status != 200:
            out.update(ok=False, error=f"progress: {status} {job}")
            return
    out.update(ran=f"{(job['started_at'] or '')[11:19]}-{(job['finished_at'] or '')[11:19]} UTC")
    out.update(ok=job["status"] == "completed", seconds=time.monotonic() - started,
               mib=(job["size"] or 0) / 2**20, error=job["error"])  # fmt: skip


def costs_back_to_back(port: int, token: str, path: str, stop, conn) -> None:
    """A client process: a year's costs, again and again; sends (durations, failures)."""
    from _common import Client

    client = Client(port, token)
    times, failures = [], []
    while not stop.is_set():
        try:
            seconds, status, body = client.get(path)
        except (OSError, http.client.HTTPException) as exc:  # the web process was killed
            failures.append(repr(exc))
            time.sleep(1)
            client = Client(port, token)
            continue
        if status == 200 and len(json.loads(body)["daily_breakdown"]) == 365:
            times.append(seconds)
        else:
            failures.append(f"{status} {body[:200]!r}")
    client.close()
    conn.send((times, failures))


# -- the run -----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, default=CAP_MIB, help="the limit in MiB")
    parser.add_argument(
        "--jobs",
        default="export,backup,costs",
        help="which loads to run beside the polls (to find which one needs what)",
    )
    return parser.parse_args()


def main() -> int:
    opts = parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="kasa-bench-capped-"))
    group, how = Cgroup.create(opts.cap)
    print(f"memory cap: {how}" if group else f"memory cap NOT APPLIED: {how}")
    from kasamonitor.embedded_redis import ensure_redis

    os.environ.pop("REDIS_URL", None)  # make run's own embedded Redis, inside the cgroup
    build_redis = ensure_redis(data_dir)  # for building only; stopped before make run starts
    try:
        with bench_database("capped"):
            setup_django(data_dir)
            return run(data_dir, group, build_redis, opts)
    finally:
        if build_redis:
            build_redis.stop()
        if group:
            group.remove()
        shutil.rmtree(data_dir, ignore_errors=True)


def build(hosts: list[str]) -> tuple[dict, str]:
    import yeardata
    from bench_cycle import fleet
    from django.core.management import call_command
    from django.db import connections

    from devices.models import Device
    from devices.periodic import set_poll_interval

    call_command("migrate", verbosity=0)
    token = admin_token()
    info = yeardata.build()
    # The year's devices are history only: not polled (their 127.0.9.x hosts answer nothing).
    Device.objects.filter(pk__in=[d.pk for d in info["devices"]]).update(enabled=False)
    fleet(hosts)  # the 200 simulated plugs, adopted as discovery would
    set_poll_interval(POLL_SECONDS)
    connections.close_all()
    return info, token


def run(data_dir: Path, group: Cgroup | None, build_redis, opts) -> int:
    from tests.simulator import Simulator, device_spec, free_loopback_block

    hosts = free_loopback_block(DEVICES)
    specs = [device_spec("hs110", h, alias=f"Plug {i}") for i, h in enumerate(hosts)]
    with Simulator(specs, ready_timeout=60) as sim:
        sim.dynamic(watts=60.0, noise=0.1)
        started = time.monotonic()
        info, token = build(hosts)
        print(f"{vendor_label()}: built {info['readings']:,} readings of 10 devices and adopted "
              f"{DEVICES} simulated plugs in {time.monotonic() - started:.0f} s")  # fmt: skip
        if build_redis:
            build_redis.stop()
        port = free_port()
        env = bench_env(data_dir, PORT=str(port))
        for name in ("REDIS_URL", "WORKER_CONCURRENCY", "WEB_WORKERS", "WEB_SERVER"):
            env.pop(name, None)  # make run's defaults
        args = [sys.executable, "-m", "kasamonitor.run"]
        if group:  # the shell joins the cgroup, then becomes make run: all of it is born inside
            args = ["/bin/sh", "-c", 'p=$1; shift; echo $$ > "$p" && exec "$@"', "sh",
                    str(group.procs), *args]  # fmt: skip
        with process(args, env, data_dir / "run.log") as launcher:
            wait_http(f"http://127.0.0.1:{port}/health/ready", timeout=120)
            return load(port, token, info, hosts, launcher, group, opts)


def load(port, token, info, hosts, launcher, group, opts) -> int:
    import psutil
    from django.db import connections

    from devices.models import Reading

    sampler = Sampler(launcher.pid, group)
    sampler.start()
    wait_first_poll(hosts)
    root = psutil.Process(launcher.pid)
    resident = {p.pid: kind(p) for p in [root, *root.children(recursive=True)]}
    if group:
        inside = {int(pid) for pid in group.procs.read_text().split()}
        outside = sorted(name for pid, name in resident.items() if pid not in inside)
        print(f"in the cgroup: {len(inside)} processes; outside it: {outside or 'none'}")

    end = info["end"].date() - timedelta(days=1)
    year = f"/api/costs?start_date={end - timedelta(days=364)}&end_date={end}"
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    receive, send = context.Pipe(duplex=False)
    costs = context.Process(target=costs_back_to_back, args=(port, token, year, stop, send))
    window_start = Reading.objects.latest("timestamp").timestamp  # the last poll before the load
    connections.close_all()
    begun = time.monotonic()
    wanted = set(opts.jobs.split(","))
    exported, backed_up = {"ok": False, "error": "did not finish"}, {"ok": False, "error": "-"}
    if "costs" in wanted:
        costs.start()
    jobs = [threading.Thread(target=guarded, args=(export_csv, port, token, info, exported), daemon=True)
            if "export" in wanted else None,
            threading.Thread(target=guarded, args=(backup, port, token, backed_up), daemon=True)
            if "backup" in wanted else None]  # fmt: skip
    jobs = [job for job in jobs if job]
    for job in jobs:
        job.start()
    killed_at = None
    while any(job.is_alive() for job in jobs) and time.monotonic() - begun < 900:
        time.sleep(0.5)
        if killed_at is None and group and group.events()["oom_kill"]:
            killed_at = time.monotonic()
        if killed_at and time.monotonic() - killed_at > 60:
            print("a process was OOM-killed a minute ago: not waiting for the jobs any longer")
            break
    time.sleep(AFTER_JOBS)  # polling and costs go on a little longer
    stop.set()
    times, failures = [], []
    if "costs" in wanted:
        times, failures = receive.recv() if receive.poll(120) else ([], ["no answer"])
        costs.join()
    if "export" not in wanted:
        exported = {"ok": True, "error": "", "skipped": True}
    if "backup" not in wanted:
        backed_up = {"ok": True, "error": "", "skipped": True}
    loaded = time.monotonic() - begun
    sampler.stop.set()
    sampler.join()

    alive = {pid: name for pid, name in resident.items() if running(pid)}
    lost = {pid: name for pid, name in resident.items() if pid not in alive}
    events = group.events() if group else {}
    peak = group.peak() if group else None
    polls = poll_gaps(hosts, window_start)

    print(f"load: {loaded:.0f} s of polling {DEVICES} plugs every {POLL_SECONDS} s, a year's "
          f"costs back to back, a {EXPORT_MINUTES * 10:,}-row CSV export and a backup at once")  # fmt: skip
    print(f"export: {'completed' if exported['ok'] else 'FAILED ' + exported['error']}; "
          f"{exported.get('rows', 0):,} rows, {exported.get('mib', 0):.0f} MiB downloaded; "
          f"made in {exported.get('produced', 0):.1f} s, downloaded by "
          f"{exported.get('seconds', 0):.1f} s (ran {exported.get('ran', '-')})")  # fmt: skip
    print(
        f"backup: {'completed' if backed_up['ok'] else 'FAILED ' + backed_up['error']}; "
        f"archive {backed_up.get('mib', 0):.0f} MiB in {backed_up.get('seconds', 0):.1f} s "
        f"(ran {backed_up.get('ran', '-')})"
    )
    if times:
        print(f"costs: {len(times)} year reports, median {statistics.median(times) * 1000:.0f} "
              f"ms, max {max(times) * 1000:.0f} ms; {len(failures)} failed")  # fmt: skip
    else:
        print(f"costs: no year report answered: {failures[:1]}")
    print(f"polls: {polls['readings']:,} readings of {DEVICES} plugs since the load began; "
          f"longest gap between two readings of one plug {polls['gap']:.1f} s "
          f"(interval {POLL_SECONDS} s); fewest readings of one plug {polls['fewest']}")  # fmt: skip
    print("peak RSS of each process:")
    for pid in sorted(sampler.peak_rss, key=lambda p: -sampler.peak_rss[p]):
        print(f"  {sampler.seen[pid]:<22} {pid:>7} {sampler.peak_rss[pid]:7.1f} MiB")
    print(f"  {'all (peak of the sum)':<30} {sampler.peak_tree:7.1f} MiB  (RSS counts shared "
          f"pages once per process; the cgroup's anonymous memory below counts them once)")  # fmt: skip
    print(f"make run's processes at the start: {sorted(resident.values())}; alive at the end: "
          f"{len(alive)}; lost: {sorted(lost.values()) or 'none'}")  # fmt: skip
    if group:
        print(f"cgroup: kernel peak {(peak or 0) / 2**20:.0f} MiB (with reclaimable page "
              f"cache), sampled peak {sampler.peak_current:.0f} MiB; anonymous memory peak "
              f"{sampler.peak_anon:.0f} MiB; events {events}")  # fmt: skip
    else:
        print("cgroup: NONE - the cap was NOT applied; nothing here proves survival at 400 MiB")

    ok = report("memory cap applied (1 = yes)", 1.0 if group else 0.0, "", 1,
                lower_is_better=False)  # fmt: skip
    ok &= report(f"OOM kills in make run's cgroup ({CAP_MIB} MiB)", events.get("oom_kill", 0),
                 "", 0)  # fmt: skip
    ok &= report("make run processes lost (killed or restarted)", len(lost), "", 0)
    ok &= report("anonymous memory peak of make run's cgroup", sampler.peak_anon, "MiB",
                 CAP_MIB)  # fmt: skip
    ok &= report("jobs failed (export, backup, year costs)",
                 (not exported["ok"]) + (not backed_up["ok"]) + (len(failures) > 0 or ("costs" in wanted and not times)),
                 "", 0)  # fmt: skip
    ok &= report(f"longest gap between a plug's polls (every {POLL_SECONDS} s)", polls["gap"],
                 "s", POLL_SECONDS * 1.5)  # fmt: skip
    # Durations beside their stand-alone budgets: slower here is expected (2 cores shared by
    # all of it), so these do not change the exit status.
    report(f"under the cap: export {EXPORT_MINUTES * 10:,} rows CSV, made + downloaded",
           exported.get("seconds", float("nan")), "s", 20)  # fmt: skip
    report("under the cap: backup of 5.26M readings", backed_up.get("seconds", float("nan")),
           "s", 60)  # fmt: skip
    if times:
        report("under the cap: GET /api/costs a year, median", statistics.median(times) * 1000,
               "ms", 500)  # fmt: skip
    return 0 if ok else 1


def running(pid: int) -> bool:
    """Alive and not a zombie (a killed child its parent has not reaped yet)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_first_poll(hosts: list[str], timeout: float = 3 * POLL_SECONDS + 30) -> None:
    """Wait until make run's scheduler has polled every simulated plug once."""
    from django.db import connections

    from devices.models import Reading

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        polled = Reading.objects.filter(device__host__in=hosts).values("device").distinct()
        if polled.count() == len(hosts):
            connections.close_all()
            return
        time.sleep(1)
    raise SystemExit("make run's scheduler did not poll every simulated plug in time")


def poll_gaps(hosts: list[str], since) -> dict:
    """The longest gap between two consecutive readings of one plug from `since` to now
    (now included: a plug whose polls stopped shows the time since its last one)."""
    from django.utils import timezone

    from devices.models import Reading

    stamps: dict[int, list] = {}
    rows = Reading.objects.filter(device__host__in=hosts, timestamp__gte=since)
    for device, stamp in rows.order_by("timestamp").values_list("device_id", "timestamp"):
        stamps.setdefault(device, []).append(stamp)
    now, gap = timezone.now(), 0.0
    for series in stamps.values():
        for a, b in zip(series, [*series[1:], now], strict=True):
            gap = max(gap, (b - a).total_seconds())
    fewest = min((len(s) for s in stamps.values()), default=0) if len(stamps) == len(hosts) else 0
    return {"gap": gap if stamps else float("inf"), "fewest": fewest,
            "readings": sum(len(s) for s in stamps.values())}  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
