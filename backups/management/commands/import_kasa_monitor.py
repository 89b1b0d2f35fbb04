"""manage.py import_kasa_monitor: import the original Kasa Monitor's database."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from backups.importer import import_kasa_monitor
from kasamonitor.errors import ApiError

from ._progress import ProgressLine


class Command(BaseCommand):
    help = "Import devices, readings and the active rate plan from the original Kasa Monitor."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="Its SQLite file (e.g. kasa_monitor.db).")
        parser.add_argument(
            "--source-timezone", default="UTC",
            help="Zone of its timestamps that carry no offset (default UTC).",
        )  # fmt: skip
        parser.add_argument("--no-backup", action="store_true", help="Skip the backup first.")

    def handle(self, *args, **options):
        try:
            tz = ZoneInfo(options["source_timezone"])
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CommandError(f"Unknown time zone {options['source_timezone']!r}") from exc
        try:
            summary = import_kasa_monitor(
                options["path"],
                source_tz=tz,
                take_backup=not options["no_backup"],
                progress=ProgressLine(self.stdout, options["verbosity"] > 0),
            )
        except ApiError as exc:
            raise CommandError(exc.message) from exc
        saved = self._save(asdict(summary))
        self.stdout.write(
            json.dumps(
                {k: v for k, v in asdict(summary).items() if k != "rate_plans"},
                indent=2,
                default=str,
            )
        )
        return (
            f"Imported {summary.devices_created} new device(s) ({summary.devices_matched} matched), "
            f"{summary.readings_imported} reading(s) ({summary.readings_skipped} already present); "
            f"rate plan: {summary.rate_plan}; costs: {summary.costs}. Summary: {saved}"
        )

    @staticmethod
    def _save(summary: dict) -> Path:
        folder = Path(settings.DATA_DIR) / "imports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"kasa_monitor_import_{timezone.now():%Y%m%d_%H%M%S}.json"
        path.write_text(json.dumps(summary, indent=2, default=str))
        return path
