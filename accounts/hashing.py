"""Password hashing with a memory bound: Argon2id at OWASP's parameters, a few hashes at a time.

Argon2 is memory-hard on purpose: each hash (a new password, a login, the dummy hash for an
unknown name) allocates its whole memory cost while it runs. Django's default (100 MiB,
8 lanes) made every login in flight add 100 MiB to the web process. Here:

- the parameters are the first row of OWASP's Argon2id table whose memory fits one web
  process's share of PASSWORD_HASHING_MEMORY_MIB (48 MiB by default) split over
  WEB_WORKERS processes: 19 MiB t=2, else 12 MiB t=3, 9 MiB t=4, 7 MiB t=5; one lane;
- every hash and every check of a password passes one gate per process, weighted by the
  hash's memory, as many at once as fit that share and no more than the cores: with one
  web process 2 hashes of 19 MiB run at once (38 MiB), a third waits. The 48 MiB leave
  16 MiB of the 64 MiB target (issue 24) for the login requests themselves (20 at once
  add ~15 MiB, benchmarks/bench_logins.py);
- a stored hash with a larger memory cost (Django's old 100 MiB) takes the whole gate: it
  runs alone in its process, once, and the login that verifies it rewrites it with the
  current parameters (Django's must_update).

The dummy hash Django's login runs for an unknown name uses the same hasher, so an unknown
name costs what a wrong password costs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.exceptions import ImproperlyConfigured

KIB_PER_MIB = 1024
# OWASP Password Storage Cheat Sheet, Argon2id rows at one lane (memory KiB, passes),
# strongest memory first; each row is the same defence (memory x passes kept ~constant).
OWASP_ARGON2ID = ((19 * 1024, 2), (12 * 1024, 3), (9 * 1024, 4), (7 * 1024, 5))


@dataclass(frozen=True)
class HashingPlan:
    memory_kib: int  # Argon2 memory cost of one hash
    time_cost: int  # Argon2 passes
    slots: int  # hashes at once in one web process
    budget_kib: int  # what one web process may spend on hashing at once (slots x memory)
    web_workers: int

    @property
    def total_mib(self) -> float:
        """Memory all web processes can spend on hashing at once, at the worst."""
        return self.budget_kib * self.web_workers / KIB_PER_MIB


def hashing_plan(
    budget_mib: int | None = None, web_workers: int | None = None, cpus: int | None = None
) -> HashingPlan:
    """The Argon2 parameters and the per-process bound for a memory budget over the web processes.

    More hashes at once than cores buys no speed, only memory: the slots stop at the cores.
    """
    budget_mib = settings.PASSWORD_HASHING_MEMORY_MIB if budget_mib is None else budget_mib
    web_workers = settings.WEB_WORKERS if web_workers is None else web_workers
    cpus = (os.cpu_count() or 1) if cpus is None else cpus
    per_process = budget_mib * KIB_PER_MIB // max(1, web_workers)
    for memory_kib, time_cost in OWASP_ARGON2ID:
        if memory_kib <= per_process:
            slots = max(1, min(per_process // memory_kib, cpus))
            return HashingPlan(memory_kib, time_cost, slots, memory_kib * slots, web_workers)
    smallest = OWASP_ARGON2ID[-1][0] // KIB_PER_MIB
    raise ImproperlyConfigured(
        f"PASSWORD_HASHING_MEMORY_MIB={budget_mib} over WEB_WORKERS={web_workers} leaves "
        f"{per_process // KIB_PER_MIB} MiB per web process, below OWASP's smallest Argon2id "
        f"row ({smallest} MiB): raise PASSWORD_HASHING_MEMORY_MIB to at least "
        f"{smallest * web_workers} or lower WEB_WORKERS."
    )


class HashGate:
    """A semaphore weighted in KiB: hashes whose memory adds up to at most `capacity` at once."""

    def __init__(self, capacity_kib: int):
        self._cond = threading.Condition()
        self.capacity = capacity_kib
        self.in_use = 0  # KiB held now
        self.running = 0  # hashes running now
        self.peak_kib = 0
        self.peak_running = 0

    def resize(self, capacity_kib: int) -> None:
        with self._cond:
            self.capacity = capacity_kib
            self._cond.notify_all()

    def reset_peaks(self) -> None:
        with self._cond:
            self.peak_kib, self.peak_running = self.in_use, self.running

    def acquire(self, kib: int) -> int:
        with self._cond:
            kib = min(kib, self.capacity)  # a larger legacy hash waits for the whole gate
            self._cond.wait_for(lambda: self.in_use + kib <= self.capacity)
            self.in_use += kib
            self.running += 1
            self.peak_kib = max(self.peak_kib, self.in_use)
            self.peak_running = max(self.peak_running, self.running)
            return kib

    def release(self, kib: int) -> None:
        with self._cond:
            self.in_use -= kib
            self.running -= 1
            self._cond.notify_all()

    def held(self, kib: int):
        gate = self

        class _Held:
            def __enter__(self):
                self.kib = gate.acquire(kib)

            def __exit__(self, *exc):
                gate.release(self.kib)

        return _Held()


# One gate per process: every hasher instance (Django caches one) shares it.
gate = HashGate(0)


def hashing_stats() -> dict[str, int]:
    """The gate's gauges in this process: hashes running now, the most at once, KiB held."""
    return {
        "running": gate.running,
        "peak_running": gate.peak_running,
        "in_use_kib": gate.in_use,
        "peak_kib": gate.peak_kib,
        "capacity_kib": gate.capacity,
    }


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD = 4 * 1024 * 1024


def _hashes_memory_back_to_the_system() -> None:
    """Have glibc serve Argon2's blocks (7-19 MiB) with mmap, always, so each goes back to
    the system when its hash ends.

    By default glibc raises its mmap threshold to the size of a freed block (up to 32 MiB):
    after the first hash, the next ones come from the heap of the thread that runs them and
    stay there when freed. Requests run on WEB_THREADS threads (and short-lived ones past
    them), glibc keeps up to 8 heaps per core, and each kept 19-38 MiB: 20 logins left the
    web process 370 MiB larger (benchmarks/bench_logins.py). A fixed threshold ends the
    adjustment; blocks above 4 MiB are rare outside hashing. Without glibc's mallopt (musl,
    macOS) nothing is changed.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


class BoundedArgon2PasswordHasher(Argon2PasswordHasher):
    """Django's Argon2id hasher at the plan's parameters, each hash and check through the gate."""

    parallelism = 1

    def __init__(self):
        plan = hashing_plan()
        self.memory_cost = plan.memory_kib
        self.time_cost = plan.time_cost
        gate.resize(plan.budget_kib)
        _hashes_memory_back_to_the_system()

    def encode(self, password, salt):
        with gate.held(self.memory_cost):
            return super().encode(password, salt)

    def verify(self, password, encoded):
        try:
            memory = self.decode(encoded)["memory_cost"]
        except Exception:  # a malformed hash: Django's verify answers False below
            memory = self.memory_cost
        with gate.held(memory):
            return super().verify(password, encoded)
