"""The console's front page shows the state at a glance, and never breaks because a part is down."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from kasamonitor import admin_dashboard, heartbeat
from tests.factories import DeviceFactory
from tests.monitoring.factories import AlertFactory

pytestmark = pytest.mark.django_db


def _row(content: str, label: str) -> str:
    """The text of one status row, tags removed."""
    rows = re.findall(r'<tr class="kasa-status-\w+">.*?</tr>', content, re.S)
    texts = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]
    found = [text for text in texts if text.startswith(label + " ")]
    assert found, f"no {label} row in {texts}"
    return found[0]


@pytest.fixture
def worker_heartbeat():
    key = f"{settings.WORKER_HEARTBEAT_KEY}:test-host-1"
    heartbeat.redis_client().set(key, json.dumps({"at": time.time()}), ex=60)
    yield
    heartbeat.redis_client().delete(key)


def test_it_shows_devices_alerts_processes_and_the_last_backup(
    console, clean_backups_dir, worker_heartbeat
):
    DeviceFactory.create_batch(2, status="online", last_polled_at=timezone.now())
    DeviceFactory(status="offline")
    AlertFactory()
    AlertFactory(resolved_at=timezone.now())
    stamp = (timezone.now() - timedelta(hours=3)).strftime("%Y%m%d_%H%M%S")
    (clean_backups_dir / f"kasa_backup_{stamp}_scheduled.7z").write_bytes(b"x" * 2048)

    content = console.get("/admin/").content.decode()

    assert "2 online, 1 offline, 0 unknown" in _row(content, "Devices")
    assert "Error" in _row(content, "Devices")  # an offline device wants attention
    assert "?status__exact=offline" in content
    assert "0 minutes ago" in _row(content, "Last poll")
    assert "Running 1 instance(s)" in _row(content, "Worker")
    assert "Not running" in _row(content, "Scheduler")
    assert "Open alerts Warning 1 2 not acknowledged (resolved included)" in _row(
        content, "Open alerts"
    )
    assert "3 hours ago scheduled, 2.0 KB" in _row(content, "Last backup")


def test_a_fresh_install_says_never(console, clean_backups_dir):
    content = console.get("/admin/").content.decode()
    assert "Never" in _row(content, "Last backup")
    assert "never" in _row(content, "Last poll")
    assert "0 online, 0 offline, 0 unknown" in _row(content, "Devices")


def test_a_failed_backup_job_shows_even_with_an_older_archive(console, clean_backups_dir):
    from backups.models import BackupJob

    stamp = (timezone.now() - timedelta(days=1)).strftime("%Y%m%d_%H%M%S")
    (clean_backups_dir / f"kasa_backup_{stamp}.7z").write_bytes(b"x")
    BackupJob.objects.create(status="failed", error="disk full")
    row = _row(console.get("/admin/").content.decode(), "Last backup")
    assert "Error" in row and "disk full" in row


def test_a_down_redis_shows_unknown_not_an_error_page(console, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = console.get("/admin/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Unknown" in _row(content, "Worker") and "Unknown" in _row(content, "Scheduler")
    assert "0 online" in _row(content, "Devices")  # the other parts still show


def test_a_part_that_fails_shows_unknown(console, monkeypatch):
    import devices.selectors
    import monitoring.selectors

    def broken():
        raise RuntimeError("table missing during a restore")

    monkeypatch.setattr(devices.selectors, "fleet_counts", broken)
    monkeypatch.setattr(monitoring.selectors, "alert_summary", broken)
    content = console.get("/admin/").content.decode()
    assert "Unknown" in _row(content, "Devices") and "Unknown" in _row(content, "Open alerts")


def test_system_state_gathers_every_part(clean_backups_dir):
    state = admin_dashboard.system_state()
    assert set(state) == {"devices", "worker", "scheduler", "alerts", "backup"}
    assert state["devices"]["total"] == 0 and state["backup"]["created"] is None


def test_the_panel_is_a_captioned_table_with_row_headers(console):
    content = console.get("/admin/").content.decode()
    assert '<caption id="kasa-status-title">System status</caption>' in content
    assert content.count('<th scope="row">') == 6
    # Colours come from the admin's variables, so dark mode recolours the panel too.
    style = content.split("#kasa-status", 1)[1].split("</style>", 1)[0]
    assert "#" not in style.replace("#kasa-status", "")
