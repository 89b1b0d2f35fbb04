"""$KASA_DATA_DIR is private to the account that runs Kasa Monitor.

It holds the database (password hashes, TOTP seeds, encrypted device and camera
credentials), the secret key, backups, exports, TLS keys and, without SMTP, `mail/` with
password-reset links. Every process (the `make run` launcher, web, worker, job
processes, manage.py) sets the umask to 077 before it creates anything, so new files are
0600 and new folders 0700, and the folder itself is created 0700. A data directory left
open by an older version is tightened at start, and the log says so.

No Django imports: settings.py and the launcher use this before Django is set up.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

UMASK = 0o077
OPEN_BITS = 0o077  # group and others


def restrict_umask() -> None:
    """Make every file this process (and its children) creates private to its owner."""
    os.umask(UMASK)


def ensure(path: Path) -> Path:
    """Set the private umask and create the data directory (0700) if it is missing."""
    restrict_umask()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def tighten(path: Path) -> tuple[int, list[str]]:
    """Take group/other permissions off the data directory and everything inside it
    (symbolic links are not followed). Return (how many entries were changed, the entries
    that could not be changed, e.g. owned by another account)."""
    changed, failed = 0, []
    for entry in _entries(path):
        try:
            info = os.lstat(entry)
            mode = stat.S_IMODE(info.st_mode)
            if mode & OPEN_BITS and not stat.S_ISLNK(info.st_mode):
                os.chmod(entry, mode & ~OPEN_BITS)
                changed += 1
        except FileNotFoundError:
            continue  # removed while we walked (a temp file): nothing to protect
        except OSError:
            failed.append(entry)
    return changed, failed


def _entries(path: Path):
    if not path.is_dir():
        return
    yield str(path)
    for root, dirs, files in os.walk(path, onerror=lambda error: None):
        for name in dirs + files:
            yield os.path.join(root, name)
