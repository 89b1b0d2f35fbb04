"""The environment variables both settings.py and the launchers (run.py, serve.py,
embedded_redis.py) read, each with its one default.

Plain functions, no Django: the launchers run before settings load, and they change the
environment (make run sets KASA_DATA_DIR and REDIS_URL for the processes it starts), so
each call reads the value as it is now.
"""

from __future__ import annotations

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
WEB_SERVERS = ("uvicorn", "daphne")

env = environ.Env()


def secret(name: str, default: str = "") -> str:
    """Read NAME, or the file named by NAME_FILE (docker/systemd secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


def has_secret(name: str) -> bool:
    return bool(env.str(name, default="") or env.str(f"{name}_FILE", default=""))


def data_dir() -> Path:
    return Path(env.str("KASA_DATA_DIR", default=str(BASE_DIR / "var"))).resolve()


def host() -> str:
    return env.str("HOST", default="127.0.0.1")


def port() -> int:
    return env.int("PORT", default=5272)


def web_workers() -> int:
    """Web processes sharing the port (at least one)."""
    return max(1, env.int("WEB_WORKERS", default=1))


def web_server() -> str:
    """The ASGI server of the web process: uvicorn (default) or daphne."""
    name = env.str("WEB_SERVER", default="uvicorn").strip().lower()
    if name not in WEB_SERVERS:
        raise ValueError(f"WEB_SERVER must be one of {', '.join(WEB_SERVERS)}, not {name!r}")
    return name


def behind_proxy() -> bool:
    return env.bool("BEHIND_PROXY", default=False)


def forwarded_allow_ips() -> str:
    return env.str("FORWARDED_ALLOW_IPS", default="127.0.0.1")


def log_level() -> str:
    return env.str("LOG_LEVEL", default="INFO")


def worker_concurrency() -> int:
    """Threads of the one worker process (the Procfile passes it to celery)."""
    return env.int("WORKER_CONCURRENCY", default=4)


def redis_url() -> str:
    """REDIS_URL, or "" when unset (make run then starts an embedded server)."""
    return env.str("REDIS_URL", default="")
