"""$KASA_DATA_DIR is private: what a real Kasa Monitor process creates there is 0600 (files)
and 0700 (folders) whatever umask it was started with, and a data dir left open by an older
version is tightened at start, with a log line saying so."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]

# Run by `manage.py shell`: the database file, a mailed reset link, an export folder and
# file, and a backup written by a job process of its own (as the worker runs them).
CREATE_THINGS = """
from django.core.mail import send_mail
from django.db import connection
from backups import services
from exports.files import user_dir
from kasamonitor.jobs import in_own_process

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE t (x)")
send_mail("Reset your password", "https://kasa.local/reset-password?token=abc", None, ["a@b.c"])
(user_dir(1) / "report.csv").write_text("device,kwh\\n")
print(in_own_process(services.backup_create))
"""


def run_manage(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SECRET_KEY_FILE")}
    env.update(KASA_DATA_DIR=str(data_dir), DEBUG="false", LOG_LEVEL="INFO")
    for name in ("DATABASE_URL", "EMAIL_HOST"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True,
        text=True, timeout=120, preexec_fn=lambda: os.umask(0o022),  # a usual login umask
    )  # fmt: skip


def modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        if not path.is_symlink():
            found[path.relative_to(root).as_posix()] = stat.S_IMODE(path.stat().st_mode)
    return found


def test_everything_a_process_creates_in_the_data_dir_is_private(tmp_path):
    data = tmp_path / "data"  # created by the process

    result = run_manage(data, "shell", "-c", CREATE_THINGS)

    assert result.returncode == 0, result.stderr
    found = modes(data)
    names = set(found)
    assert {"kasamonitor.sqlite3", "secret_key", "exports/1/report.csv"} <= names
    assert any(n.startswith("mail/") for n in names) and any(n.endswith(".7z") for n in names)
    folders = {n for n in names if (data / n).is_dir()}
    assert {n: oct(m) for n, m in found.items() if n in folders and m != 0o700} == {}
    assert {n: oct(m) for n, m in found.items() if n not in folders and m != 0o600} == {}


def test_a_data_dir_left_open_is_tightened_at_start_and_the_log_says_so(tmp_path):
    data = tmp_path / "data"
    (data / "exports" / "1").mkdir(parents=True)
    (data / "mail").mkdir()
    (data / "exports" / "1" / "old.csv").write_text("x")
    (data / "mail" / "reset.log").write_text("https://kasa.local/reset-password?token=abc")
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours")
    (data / "link").symlink_to(outside)
    for path in (data, data / "exports", data / "exports" / "1", data / "mail"):
        path.chmod(0o755)
    for path in (data / "exports" / "1" / "old.csv", data / "mail" / "reset.log", outside):
        path.chmod(0o644)

    result = run_manage(data, "check")

    assert result.returncode == 0, result.stderr
    assert "was open to other accounts" in result.stderr + result.stdout
    found = modes(data)
    assert found["."] == found["exports"] == found["exports/1"] == found["mail"] == 0o700
    assert found["exports/1/old.csv"] == found["mail/reset.log"] == 0o600
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644  # a link is not followed out

    again = run_manage(data, "check")
    assert "was open to other accounts" not in again.stderr + again.stdout
