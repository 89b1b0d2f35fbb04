"""Where export files live: settings.DATA_DIR / "exports" / <user id> / <file> (signed URLs rely on it)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from . import conf


def user_dir(user_id: int) -> Path:
    path = Path(settings.DATA_DIR) / "exports" / str(user_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def job_path(job) -> Path | None:
    return user_dir(job.user_id) / job.file_name if job.file_name else None


def extension(fmt: str, compression: str = "") -> str:
    ext = conf.FORMATS[fmt]["extension"]
    return ext + (conf.COMPRESSIONS[compression]["extension"] if compression else "")


def mime_type(fmt: str, compression: str = "") -> str:
    return (
        conf.COMPRESSIONS[compression]["mime_type"]
        if compression
        else conf.FORMATS[fmt]["mime_type"]
    )


def media_types() -> list[str]:
    """Every Content-Type a download can have (the OpenAPI schema lists them)."""
    types = [f["mime_type"] for f in conf.FORMATS.values()]
    return sorted({*types, *(c["mime_type"] for c in conf.COMPRESSIONS.values())})


def remove(job) -> None:
    path = job_path(job)
    if path is not None:
        path.unlink(missing_ok=True)


def human_size(size: int | float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
