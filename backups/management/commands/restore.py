"""manage.py restore: restore a backup archive (backups.restore.backup_restore)."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backups import archive, services
from backups.restore import backup_restore
from kasamonitor.errors import ApiError, NotFound

from ._progress import ProgressLine, ask_password

PROMPT = object()


class Command(BaseCommand):
    help = "Restore a backup archive (validated first; a safety backup is taken before)."

    def add_arguments(self, parser):
        parser.add_argument("archive", help="Archive path, or the name of a stored backup.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        parser.add_argument("--password", nargs="?", const=PROMPT, default=None)
        parser.add_argument("--config-only", action="store_true", help="Keep the database.")
        parser.add_argument("--data-only", action="store_true", help="Keep today's configuration.")

    def handle(self, *args, **options):
        path = self._find(options["archive"])
        password = options["password"]
        needs = password is None and archive.is_encrypted(path) and sys.stdin.isatty()
        if password is PROMPT or needs:
            password = ask_password(getpass.getpass, confirm=False)
        if not options["yes"] and not self._confirmed(path):
            raise CommandError("Restore cancelled.")
        try:
            result = backup_restore(
                path,
                password=password,
                restore_database=not options["config_only"],
                restore_config=not options["data_only"],
                progress=ProgressLine(self.stdout, options["verbosity"] > 0),
            )
        except ApiError as exc:
            raise CommandError(f"Restore refused: {exc.message}") from exc
        return (
            f"Restored {', '.join(result['restored'])} from {path.name}; "
            f"the previous state is in {result['safety_backup']}."
        )

    @staticmethod
    def _find(name: str) -> Path:
        path = Path(name)
        if path.is_file():
            return path
        try:
            return services.backup_path(name)
        except (ApiError, NotFound):
            raise CommandError(f"backup file {name} not found") from None

    def _confirmed(self, path: Path) -> bool:
        self.stdout.write(f"This replaces the current data with {path.name}.")
        try:
            return input("Type 'yes' to continue: ").strip().lower() == "yes"
        except EOFError:  # no terminal to answer: --yes is required
            return False
