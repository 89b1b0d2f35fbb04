"""What every export produces before a writer turns it into a file: titled tables of rows."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings

Progress = Callable[[int], None]


@dataclass
class Column:
    key: str
    title: str
    kind: str = "string"  # string | float | int | bool | datetime | date
    unit: str = ""


@dataclass
class Chart:
    """A chart a writer may draw: values of `series` columns against the `label` column."""

    kind: str  # bar | line | pie
    title: str
    label: str
    series: list[str]


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: Iterable[tuple]
    chart: Chart | None = None


@dataclass
class Document:
    title: str
    meta: dict
    tables: list[Table]
    single: bool = True  # a single streamed table (JSON "records") vs. report sections
    charts: bool = True
    extras: dict = field(default_factory=dict)


def rounder(places: int | None) -> Callable[[float | None], float | None]:
    """Return a function rounding floats to `places` (identity when None)."""
    if places is None:
        return lambda v: v
    return lambda v: None if v is None else round(v, places)


def anonymize_ip(ip: str) -> str:
    """Zero the host part: the last octet of IPv4, the last 80 bits of IPv6."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def hash_identifier(value: str) -> str:
    """Return a stable keyed hash, so one device keeps one pseudonym across exports."""
    key = settings.SECRET_KEY.encode()
    return "dev_" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:16]


def device_labels(device, privacy: set[str]) -> dict[str, str | None]:
    """Return the device_ip / device_name / device_id columns after the privacy options."""
    ip = device.host
    if "anonymize_ip_addresses" in privacy:
        ip = anonymize_ip(ip)
    if "remove_location_data" in privacy:
        ip = None
    device_id = device.device_id
    if "hash_device_identifiers" in privacy:
        device_id = hash_identifier(device_id)
    return {"device_ip": ip, "device_name": device.name, "device_id": device_id}
