"""manage.py discover [--target ADDR ...] [--timeout S] [--known-only] [--username EMAIL]"""

from __future__ import annotations

import getpass
import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devices import services
from devices.kasa_client import CloudCredentials, KasaClientError

PASSWORD_ENV = "KASA_CLOUD_PASSWORD"


class Command(BaseCommand):
    help = (
        "Discover Kasa devices on KASA_DISCOVERY_TARGET (or --target) and add them. Newer "
        "(KLAP/AES) devices need the household's TP-Link account: --username, with the "
        f"password from ${PASSWORD_ENV} or a prompt (--password works but is visible to "
        "other users in the process list and lands in shell history)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--target", action="append", help="Broadcast or device address (repeatable)."
        )
        parser.add_argument("--timeout", type=float, default=settings.KASA_DISCOVERY_TIMEOUT)
        parser.add_argument(
            "--known-only", action="store_true", help="Only update devices already known."
        )
        parser.add_argument("--username", help="TP-Link account e-mail (KLAP/AES devices).")
        parser.add_argument(
            "--password",
            help=f"Prefer ${PASSWORD_ENV} or the prompt: a command line is not private.",
        )

    def handle(self, *args, target, timeout, known_only, username, password, **options):
        credentials = self._credentials(username, password)
        targets = target or list(settings.KASA_DISCOVERY_TARGET)
        self.stdout.write(f"Discovering on {', '.join(targets)} for {timeout:g} s ...")
        try:
            outcome = services.device_discover_all(
                targets=targets, timeout=timeout, credentials=credentials,
                add_new=not known_only,
            )  # fmt: skip
        except (KasaClientError, ValueError, OSError) as exc:
            raise CommandError(f"Discovery failed: {exc}") from exc
        for d in outcome.devices:
            self.stdout.write(
                f"  {d.host:<15} {d.mac:<17} {d.model:<8} {d.device_type:<6} {d.alias}"
                + (f"  ({d.outlets.count()} outlets)" if d.is_strip else "")
            )
        for lock in outcome.locked:
            why = (
                ("refused the TP-Link account" if outcome.credentials_given
                 else "needs the TP-Link account: run again with --username")
                if lock.reason == "auth_failed" else f"could not be read ({lock.reason})"
            )  # fmt: skip
            self.stdout.write(f"  {lock.host:<15} {lock.mac:<17} {lock.model:<8} {why}")
        return f"Found {len(outcome.devices)} device(s)."

    def _credentials(self, username: str | None, password: str | None) -> CloudCredentials | None:
        if not username:
            if password:
                raise CommandError("--password needs --username.")
            return None
        if password is None:
            password = os.environ.get(PASSWORD_ENV)
        if password is None:
            if not sys.stdin.isatty():
                raise CommandError(
                    f"No password: set ${PASSWORD_ENV}, or run in a terminal to be asked."
                )
            password = getpass.getpass(f"TP-Link password for {username}: ")
        return CloudCredentials(username, password)
