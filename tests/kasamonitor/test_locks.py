"""Locks shared by processes: a holder that died on this machine does not keep everyone
waiting for the lock's time to live (a worker killed mid-poll stopped polling for 5 min);
a live holder, or one elsewhere, is respected. Real processes, the real cache (Redis)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from django.core.cache import cache

from devices.polling import LOCK_KEY, LOCK_TTL, device_poll_all
from kasamonitor import locks

HOLDER = [
    sys.executable,
    "-c",
    "from kasamonitor.locks import holder_name; print(holder_name(), flush=True)",
]


def _holder_of_a_process_that_ended() -> str:
    return subprocess.run(HOLDER, capture_output=True, text=True, check=True).stdout.strip()


def test_a_lock_left_by_a_process_that_ended_is_taken_over_at_once(caplog):
    cache.add("test:lock", _holder_of_a_process_that_ended(), timeout=300)
    with (
        caplog.at_level(logging.WARNING, logger="kasamonitor.locks"),
        locks.held("test:lock", 300) as acquired,
    ):
        assert acquired
        assert cache.get("test:lock").split("|")[2] == str(os.getpid())  # ours now
    assert "which has ended: taken over" in caplog.text
    assert cache.get("test:lock") is None  # released after use


def test_a_lock_held_by_a_live_process_waits_until_it_is_released():
    child = subprocess.Popen(
        [*HOLDER[:2], HOLDER[2] + "; import time; time.sleep(60)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        cache.add("test:lock", child.stdout.readline().strip(), timeout=300)
        with locks.held("test:lock", 300, wait=0.3) as acquired:
            assert not acquired
    finally:
        child.kill()
        child.wait()
    with locks.held("test:lock", 300) as acquired:  # its process is gone now
        assert acquired


@pytest.mark.parametrize(
    "holder",
    ["other-host|4026531836|1|x", "not a holder", f"{locks.holder_name().split('|')[0]}|1|1|x"],
)
def test_a_holder_on_another_machine_or_pid_namespace_is_never_second_guessed(holder):
    cache.add("test:lock", holder, timeout=300)
    with locks.held("test:lock", 300, wait=0.1) as acquired:
        assert not acquired
    assert cache.get("test:lock") == holder


@pytest.mark.django_db
def test_polling_goes_on_at_once_after_a_worker_died_holding_the_poll_lock():
    cache.add(LOCK_KEY, _holder_of_a_process_that_ended(), timeout=LOCK_TTL)
    assert device_poll_all().skipped is False
    assert cache.get(LOCK_KEY) is None
