"""manage.py discover [--target ADDR ...] [--timeout S] [--known-only]"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devices import services
from devices.kasa_client import KasaClientError


class Command(BaseCommand):
    help = "Discover Kasa devices on KASA_DISCOVERY_TARGET (or --target) and add them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--target", action="append", help="Broadcast or device address (repeatable)."
        )
        parser.add_argument("--timeout", type=float, default=settings.KASA_DISCOVERY_TIMEOUT)
        parser.add_argument(
            "--known-only", action="store_true", help="Only update devices already known."
        )

    def handle(self, *args, target, timeout, known_only, **options):
        targets = target or list(settings.KASA_DISCOVERY_TARGET)
        self.stdout.write(f"Discovering on {', '.join(targets)} for {timeout:g} s ...")
        try:
            devices = services.device_discover(
                targets=targets, timeout=timeout, add_new=not known_only
            )
        except (KasaClientError, ValueError, OSError) as exc:
            raise CommandError(f"Discovery failed: {exc}") from exc
        for d in devices:
            self.stdout.write(
                f"  {d.host:<15} {d.mac:<17} {d.model:<8} {d.device_type:<6} {d.alias}"
                + (f"  ({d.outlets.count()} outlets)" if d.is_strip else "")
            )
        return f"Found {len(devices)} device(s)."
