"""Loaded with `-p tests.plugin_env` before pytest-django sets Django up.

Gives each test run its own data dir, keys and Redis namespace, and starts the embedded
Redis when REDIS_URL is unset, so `make test` needs no services and two runs never collide.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

_state: dict = {}


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # The suite drives socket.io servers with python-socketio's own client, whose import
    # of aiohttp kasamonitor refuses (kasamonitor/optional_imports.py: make run's
    # processes are servers only); loaded first, the client finds it.
    import aiohttp  # noqa: F401

    from kasamonitor.datadir import restrict_umask

    restrict_umask()  # as every Kasa Monitor process does (settings.py), before Redis starts
    run_id = secrets.token_hex(4)
    data_dir = Path(tempfile.mkdtemp(prefix="kasa-test-"))
    _state["data_dir"] = data_dir
    os.environ.update(
        KASA_DATA_DIR=str(data_dir),
        SECRET_KEY="test-" + secrets.token_hex(16),
        DEBUG="false",
        COOKIE_SECURE="false",
        KASA_DISCOVERY_TARGET="127.255.255.255",
        CACHE_KEY_PREFIX=f"kasa-test-{run_id}",
        CHANNEL_PREFIX=f"asgi-test-{run_id}",
        CELERY_QUEUE=f"kasa-test-{run_id}",
        LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
        # Live servers in tests take every request from 127.0.0.1; the security tests set
        # the production limits themselves.
        API_RATE_LIMIT_PER_IP="100000/m",
        API_RATE_LIMIT_PER_USER="100000/h",
    )
    from kasamonitor.embedded_redis import ensure_redis

    _state["redis"] = ensure_redis(data_dir)


def pytest_unconfigure(config):
    server = _state.pop("redis", None)
    if server:
        server.stop()
    data_dir = _state.pop("data_dir", None)
    if data_dir and not os.environ.get("KASA_KEEP_TEST_DATA"):
        shutil.rmtree(data_dir, ignore_errors=True)
