"""manage.py works on a fresh checkout: like `make run`, it keeps a secret key in the data dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def run_manage(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SECRET_KEY_FILE")}
    env.update(KASA_DATA_DIR=str(tmp_path), DEBUG="false")
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )


def test_manage_creates_and_reuses_a_private_secret_key(tmp_path):
    first = run_manage(tmp_path, "check")
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "secret_key"
    key = key_file.read_text()
    assert len(key) >= 50 and key_file.stat().st_mode & 0o077 == 0
    assert run_manage(tmp_path, "check").returncode == 0
    assert key_file.read_text() == key
