"""The documented manage.py commands work whether or not `make run` (and its Redis) is running.

Each runs as a real `manage.py` process. "Stopped" is REDIS_URL on a loopback port nothing
listens on; "running" is the launcher's embedded Redis, which a command finds by itself.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest
import redis

from backups.importer import SOURCE_SCHEMA
from kasamonitor.embedded_redis import EmbeddedRedis
from tests import live
from tests.simulator import Simulator, device_spec, free_loopback_block

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _closed_redis_url() -> str:
    return f"redis://127.0.0.1:{live.free_port()}/0"  # nothing listens there


def _manage(*args: str, stack: str = "stopped", **env: str) -> subprocess.CompletedProcess:
    extra = {"REDIS_URL": _closed_redis_url()} if stack == "stopped" else {}
    environment = live.process_env(**extra, **env)
    if stack != "stopped":
        environment.pop("REDIS_URL")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=live.BASE_DIR, env=environment,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _ok(result: subprocess.CompletedProcess) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    return output


def _original_db(path, *, bad_timestamp: bool = False):
    """The original app's database: two plugs with three hours of minute readings, a flat rate."""
    db = sqlite3.connect(path)
    db.executescript(SOURCE_SCHEMA)
    db.executemany(
        "INSERT INTO device_info (device_ip, alias, model, device_type, mac) VALUES (?,?,?,?,?)",
        [("127.0.2.10", "Fridge", "HS110", "plug", "50-c7-bf-aa-bb-01"),
         ("127.0.2.11", "Desk", "HS110", "plug", "50-c7-bf-aa-bb-02")],
    )  # fmt: skip
    rows = [
        (ip, f"2024-01-15 {m // 60:02d}:{m % 60:02d}:00", 1, 600.0, 120.0, 5.0, m / 100)
        for ip in ("127.0.2.10", "127.0.2.11")
        for m in range(180)
    ]
    if bad_timestamp:
        rows[-1] = ("127.0.2.11", "yesterday", 1, 600.0, 120.0, 5.0, 9.0)
    db.executemany(
        "INSERT INTO device_readings (device_ip, timestamp, is_on, current_power_w, voltage,"
        " current, total_energy_kwh) VALUES (?,?,?,?,?,?,?)",
        rows,
    )
    db.execute(
        "INSERT INTO electricity_rates (name, rate_type, rate_config, currency, is_active,"
        " created_at) VALUES ('Flat', 'flat', '{\"flat_rate\": 0.25}', 'USD', 1, '2024-01-01')"
    )
    db.commit()
    db.close()
    return path


def test_an_import_without_redis_lands_readings_rollups_plan_and_their_costs(tmp_path, admin_api):
    from billing import rollups as pricing
    from billing.models import HourlyCost, RatePlan
    from devices.models import DailyRollup, HourlyRollup, Reading

    result = _manage("import_kasa_monitor", str(_original_db(tmp_path / "kasa_monitor.db")))

    _ok(result)
    assert Reading.objects.count() == 360
    assert HourlyRollup.objects.count() == 6  # 2 devices x 3 hours
    assert DailyRollup.objects.count() == 2
    assert RatePlan.objects.count() == 1
    last = result.stdout.strip().splitlines()[-1]
    assert "costs: priced by this import" in last
    # No worker ran: the import priced its hours with its plan (flat 0.25) itself.
    assert not pricing.pending_hours()
    assert HourlyCost.objects.count() == 6
    response = admin_api.get("/api/costs?start_date=2024-01-15&end_date=2024-01-15")
    assert response.status_code == 200, response.json()
    kwh = sum(HourlyRollup.objects.values_list("energy_kwh", flat=True))
    assert kwh > 0
    assert response.json()["total_kwh"] == pytest.approx(kwh)
    assert response.json()["total_cost"] == round(kwh * 0.25, 2)


def test_an_import_that_fails_part_way_leaves_nothing_behind(tmp_path):
    from billing.models import RatePlan
    from devices.models import Device, HourlyRollup, Reading

    source = _original_db(tmp_path / "kasa_monitor.db", bad_timestamp=True)

    result = _manage("import_kasa_monitor", str(source), "--no-backup")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "unreadable timestamp 'yesterday'" in result.stderr.strip().splitlines()[-1]
    assert Device.objects.count() == Reading.objects.count() == HourlyRollup.objects.count() == 0
    assert not RatePlan.objects.exists()


def test_backup_and_restore_without_redis(tmp_path):
    from devices.models import Device
    from tests.factories import DeviceFactory

    DeviceFactory(alias="Fridge")
    archive = tmp_path / "before.7z"

    _ok(_manage("backup", "--output", str(archive)))
    Device.objects.all().delete()
    restored = _ok(_manage("restore", str(archive), "--yes"))

    assert "Restored database" in restored
    assert list(Device.objects.values_list("alias", flat=True)) == ["Fridge"]


def test_discover_without_redis_adds_the_device_it_finds():
    from devices.models import Device

    (address,) = free_loopback_block(1)
    with Simulator([device_spec("hs110", address, alias="Kettle")]):
        output = _ok(_manage("discover", "--target", address, "--timeout", "1"))

    assert "Found 1 device(s)." in output
    assert Device.objects.get(host=address).alias == "Kettle"


def test_createsuperuser_migrate_and_check_without_redis(tmp_path):
    from accounts.models import User

    _ok(_manage("migrate"))
    _ok(_manage("check", "--deploy", "--fail-level", "ERROR"))
    _ok(_manage("collectstatic", "--noinput", STATIC_ROOT=str(tmp_path / "static")))
    _ok(
        _manage(
            "createsuperuser", "--noinput", "--username", "root", "--email", "root@example.com",
            DJANGO_SUPERUSER_PASSWORD="Str0ng!Passw0rd-root",
        )
    )  # fmt: skip

    assert User.objects.get(username="root").role == "admin"
    assert (tmp_path / "static" / "staticfiles.json").exists()


def test_a_command_beside_make_run_queues_on_its_embedded_redis(tmp_path):
    from django.conf import settings

    server = EmbeddedRedis(tmp_path / "redis")  # what `make run` starts in $KASA_DATA_DIR
    server.start()
    try:
        source = _original_db(tmp_path / "kasa_monitor.db")
        result = _manage(
            "import_kasa_monitor", str(source), "--no-backup",
            stack="running", KASA_DATA_DIR=str(tmp_path),
        )  # fmt: skip

        last = _ok(result).strip().splitlines()[-1]
        assert "costs: priced by this import" in last
        # The imported plan still tells the worker (it finds nothing left to price).
        queued = redis.Redis.from_url(server.url).lrange(settings.CELERY_TASK_DEFAULT_QUEUE, 0, -1)
        tasks = [json.loads(message)["headers"]["task"] for message in queued]
        assert "billing.tasks.price_pending" in tasks
    finally:
        server.stop()
    assert not (tmp_path / "redis" / "url").exists()  # a stopped launcher leaves no address


def test_the_launchers_redis_address_is_private(tmp_path):
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    try:
        url_file = tmp_path / "redis" / "url"
        assert url_file.read_text() == server.url
        assert os.stat(url_file).st_mode & 0o077 == 0  # it holds the password
    finally:
        server.stop()
