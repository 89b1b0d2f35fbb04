"""The project's own app: at every process start, the data directory is made private."""

import logging

from django.apps import AppConfig

from .lazy import lazy_tablib_xlsx

logger = logging.getLogger("kasamonitor.datadir")

# Here, not in ready(): this module is imported with every app's before any ready() runs,
# and the admin's ready() (first in INSTALLED_APPS) loads django-import-export's formats.
lazy_tablib_xlsx()


class KasamonitorConfig(AppConfig):
    name = "kasamonitor"
    verbose_name = "Kasa Monitor"

    def ready(self) -> None:
        # The Celery app, so every Django process sends tasks with this project's
        # configuration (the package itself no longer imports it: kasamonitor/__init__.py).
        from . import celery  # noqa: F401

        data_dir_tighten()


def data_dir_tighten() -> None:
    """Take group/other permissions off $KASA_DATA_DIR and its contents (left open by an
    older version or by hand), and say so in the log; runs at every process start."""
    from django.conf import settings

    from . import datadir

    changed, failed = datadir.tighten(settings.DATA_DIR)
    if changed:
        logger.warning(
            "data directory %s was open to other accounts: made %d files and folders in it "
            "private to their owner (no group or other access)", settings.DATA_DIR, changed
        )  # fmt: skip
    if failed:
        logger.error(
            "data directory %s: cannot make %d entries private (another owner?), e.g. %s",
            settings.DATA_DIR, len(failed), failed[0],
        )  # fmt: skip
