"""The environment variables both settings.py and the launchers (run.py, serve.py,
embedded_redis.py) read, each with its one default.

Plain functions, no Django: the launchers run before settings load, and they change the
environment (make run sets KASA_DATA_DIR and REDIS_URL for the processes it starts), so
each call reads the value as it is now.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
WEB_SERVERS = ("uvicorn", "daphne")


@functools.cache
def _django_environ():
    import environ

    return environ.Env()


def __getattr__(name: str):
    """`env`, django-environ's reader (settings.py: URLs, lists), loaded when first asked
    for: it imports parts of Django (4 MiB), and the launcher, a process that must stay
    small, reads only the plain values below."""
    if name == "env":
        return _django_environ()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value is None else int(value)


def _bool(name: str, default: bool) -> bool:
    """As django-environ reads a bool: a number other than 0, or true/on/ok/y/yes."""
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value) != 0
    except ValueError:
        return value.strip().lower() in ("true", "on", "ok", "y", "yes")


def secret(name: str, default: str = "") -> str:
    """Read NAME, or the file named by NAME_FILE (docker/systemd secrets)."""
    path = _str(f"{name}_FILE", "")
    if path:
        return Path(path).read_text().strip()
    return _str(name, default)


def has_secret(name: str) -> bool:
    return bool(_str(name, "") or _str(f"{name}_FILE", ""))


def data_dir() -> Path:
    return Path(_str("KASA_DATA_DIR", str(BASE_DIR / "var"))).resolve()


def host() -> str:
    return _str("HOST", "127.0.0.1")


def port() -> int:
    return _int("PORT", 5272)


def web_workers() -> int:
    """Web processes sharing the port (at least one)."""
    return max(1, _int("WEB_WORKERS", 1))


def web_server() -> str:
    """The ASGI server of the web process: uvicorn (default) or daphne."""
    name = _str("WEB_SERVER", "uvicorn").strip().lower()
    if name not in WEB_SERVERS:
        raise ValueError(f"WEB_SERVER must be one of {', '.join(WEB_SERVERS)}, not {name!r}")
    return name


def behind_proxy() -> bool:
    return _bool("BEHIND_PROXY", False)


def forwarded_allow_ips() -> str:
    return _str("FORWARDED_ALLOW_IPS", "127.0.0.1")


def log_level() -> str:
    return _str("LOG_LEVEL", "INFO")


def worker_concurrency() -> int:
    """Threads of the one worker process (the Procfile passes it to celery)."""
    return _int("WORKER_CONCURRENCY", 4)


def redis_url() -> str:
    """REDIS_URL, or "" when unset (make run then starts an embedded server)."""
    return _str("REDIS_URL", "")
