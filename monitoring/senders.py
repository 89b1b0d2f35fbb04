"""Transports for notifications: Django mail and JSON POSTs with urllib (short timeouts)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import send_mail

from kasamonitor.addresses import clean_url

from . import conf


class DeliveryFailed(Exception):
    """A temporary failure (network error, 5xx, 429): the task retries with back-off."""


class DeliveryRejected(Exception):
    """The receiver refused the message for good (4xx): retrying would not help."""


def check_webhook_url(url: str) -> None:
    """Raise ValueError unless url is a clean http(s) URL (urllib would also open file://
    URLs; a row stored before the checks could still hold a CR/LF)."""
    clean_url(url, schemes=("http", "https"))


def post_json(url: str, payload: dict) -> int:
    """POST payload as JSON to url; return the HTTP status."""
    check_webhook_url(url)
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, default=str).encode(),
        headers={
            "Content-Type": "application/json",
            "User-Agent": f"KasaMonitor/{settings.VERSION}",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=conf.get("webhook_timeout")) as response:
            response.read(4096)
            return response.status
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise DeliveryFailed(f"webhook answered HTTP {exc.code}") from exc
        raise DeliveryRejected(f"webhook answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryFailed(f"webhook unreachable: {getattr(exc, 'reason', exc)}") from exc


def email_addresses(target: str) -> list[str]:
    return [address.strip() for address in target.replace(";", ",").split(",") if address.strip()]


def send_email(target: str, subject: str, body: str) -> None:
    """Mail subject/body to the comma-separated addresses in target."""
    try:
        send_mail(subject[:200], body, None, email_addresses(target), fail_silently=False)
    except OSError as exc:  # smtplib errors are OSErrors
        raise DeliveryFailed(f"mail not sent: {exc}") from exc
