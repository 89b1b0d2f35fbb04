"""manage.py backup: write a backup archive (backups.services.backup_create)."""

from __future__ import annotations

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backups import services
from backups.archive import COMPRESSION
from kasamonitor.errors import ApiError

from ._progress import ProgressLine, ask_password

PROMPT = object()


class Command(BaseCommand):
    help = "Write a backup archive (database snapshot, configuration, manifest) while running."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", type=Path, help="Archive path or folder (default: $KASA_DATA_DIR/backups)."
        )
        parser.add_argument("--include-logs", action="store_true")
        parser.add_argument("--include-exports", action="store_true")
        parser.add_argument("--compression", choices=list(COMPRESSION), default="normal")
        parser.add_argument(
            "--password", nargs="?", const=PROMPT, default=None,
            help="Encrypt the archive (AES-256, names hidden too). Without a value: prompt.",
        )  # fmt: skip

    def handle(self, *args, **options):
        password = options["password"]
        if password is PROMPT:
            password = ask_password(getpass.getpass, confirm=True)
        try:
            path = services.backup_create(
                include_logs=options["include_logs"],
                include_exports=options["include_exports"],
                compression=options["compression"],
                password=password,
                output=options["output"],
                progress=ProgressLine(self.stdout, options["verbosity"] > 0),
            )
        except (ApiError, OSError) as exc:
            raise CommandError(f"Backup failed: {exc}") from exc
        size = path.stat().st_size / (1024 * 1024)
        return f"Backup written: {path} ({size:.1f} MB)"
