"""`make run`: prepare (secret, Redis) and run the Procfile's processes.

The launcher itself never loads Django: it stays a small process that supervises the
others. The web process migrates and collects static files when they need it, after its
own Django set-up and before it serves (kasamonitor/prepare.py); the worker, which runs the
scheduler in a thread, takes no task before that is done ($KASA_PREPARED_FILE exists;
kasamonitor/celery.py).

Ctrl-C (SIGINT) or SIGTERM stops every process. A process that dies is started again
(kasamonitor/supervisor.py); one that keeps dying stops everything, and the exit code says
so. The embedded Redis is supervised too: when it dies it is started again on the same port
with the same password (EmbeddedRedis.supervise), and the other processes reconnect to it.
"""

from __future__ import annotations

import os
import secrets
import sys
import threading
from pathlib import Path

from honcho.environ import parse_procfile
from honcho.printer import Printer

from . import datadir, env
from .embedded_redis import ensure_redis
from .supervisor import SupervisingManager

BASE_DIR = env.BASE_DIR


def data_dir() -> Path:
    """Create $KASA_DATA_DIR (0700) after setting this process's umask to 077, which every
    process started from here (Redis, web, worker) inherits."""
    path = datadir.ensure(env.data_dir())
    os.environ["KASA_DATA_DIR"] = str(path)
    return path


def ensure_secret_key(path: Path) -> None:
    """Use SECRET_KEY from the environment, or a random one kept in $KASA_DATA_DIR/secret_key."""
    if env.has_secret("SECRET_KEY"):
        return
    key_file = path / "secret_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(50))
    os.environ["SECRET_KEY_FILE"] = str(key_file)


def processes() -> dict[str, str]:
    procfile = parse_procfile((BASE_DIR / "Procfile").read_text())
    return dict(procfile.processes)


def main() -> int:
    path = data_dir()
    ensure_secret_key(path)
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    redis_server = ensure_redis(path)
    stopping = threading.Event()
    watcher = None
    try:
        # Created by the web process once the database and static files are ready; the
        # worker waits for it (a file left by an earlier run must not count).
        prepared = path / ".prepared"
        prepared.unlink(missing_ok=True)
        os.environ["KASA_PREPARED_FILE"] = str(prepared)
        if redis_server:
            watcher = redis_server.supervise(stopping)  # a dead Redis comes back on its port
        manager = SupervisingManager(Printer(sys.stdout))
        for name, command in processes().items():
            manager.add_process(name, command, env=dict(os.environ), cwd=str(BASE_DIR))
        manager.loop()
        # 130/143: stopped by Ctrl-C or SIGTERM, which is a clean stop.
        return 0 if manager.returncode in (None, 130, 143) else manager.returncode
    finally:
        stopping.set()
        if watcher:  # a restart under way finishes first, so stop() stops that server too
            watcher.join(timeout=15)
        if redis_server:
            redis_server.stop()


if __name__ == "__main__":
    sys.exit(main())
