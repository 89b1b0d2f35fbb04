"""Test data and helpers for export tests: readings, hourly rollups with billing's costs, running a job."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from billing.models import HourlyCost
from devices.models import HourlyRollup, Reading
from exports import files, services
from exports.models import ExportJob
from tests.factories import DeviceFactory

T0 = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
RANGE = {"start": "2024-01-15T00:00:00Z", "end": "2024-01-16T00:00:00Z"}


def make_readings(device, *, start=T0, count=4, step_minutes=15, power=100.0, delta=0.025, **extra):
    """Bulk-create `count` readings every `step_minutes`, power and energy delta fixed or callables."""
    rows = []
    for i in range(count):
        p = power(i) if callable(power) else power
        d = delta(i) if callable(delta) else delta
        rows.append(Reading(device=device, timestamp=start + timedelta(minutes=step_minutes * i),
                            is_on=p > 0, power_w=p, voltage=extra.get("voltage", 230.0),
                            current=round(p / 230.0, 4), energy_total_kwh=round(d * (i + 1), 6),
                            energy_delta_kwh=d))  # fmt: skip
    return Reading.objects.bulk_create(rows)


def price_hours(device, rate: str = "0.20", g_per_kwh: float = 0.0):
    """Create the hourly rollups (energy sums) for a device's readings, and billing's stored
    cost of each hour (energy x rate; none when rate is None)."""
    hours: dict = {}
    for r in Reading.objects.filter(device=device):
        hour = r.timestamp.replace(minute=0, second=0, microsecond=0)
        h = hours.setdefault(hour, {"energy": 0.0, "power": 0.0, "n": 0, "max": 0.0})
        h["energy"] += r.energy_delta_kwh
        h["power"] += r.power_w or 0
        h["n"] += 1
        h["max"] = max(h["max"], r.power_w or 0)
    HourlyRollup.objects.bulk_create([
        HourlyRollup(device=device, hour=hour, energy_kwh=h["energy"], power_sum_w=h["power"],
                     samples=h["n"], max_power_w=h["max"], on_seconds=h["n"] * 900)
        for hour, h in hours.items()
    ])  # fmt: skip
    if rate is not None:
        HourlyCost.objects.bulk_create([
            HourlyCost(device=device, hour=hour, kwh=h["energy"],
                       cost=Decimal(repr(h["energy"])) * Decimal(rate),
                       co2_g=h["energy"] * g_per_kwh)
            for hour, h in hours.items()
        ])  # fmt: skip


def plug(**kwargs):
    return DeviceFactory(**kwargs)


def create_and_run(user, body: dict) -> ExportJob:
    job = services.export_create(user=user, data=body)
    services.export_run(job.pk)
    job.refresh_from_db()
    assert job.status == "completed", job.error
    return job


def file_bytes(job: ExportJob) -> bytes:
    return files.job_path(job).read_bytes()


def pdf_text(data: bytes) -> str:
    """The text drawn in a PDF: reportlab's (Flate-compressed) content streams, inflated."""
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        stream = stream.strip()
        if stream.endswith(b"~>"):
            stream = base64.a85decode(stream[:-2])
        try:
            chunks.append(zlib.decompress(stream))
        except zlib.error:
            chunks.append(stream)
    return b"\n".join(chunks).decode("latin-1")
