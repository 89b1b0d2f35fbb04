"""`manage.py check --deploy` is clean with production settings."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
OURS = re.compile(r"security|/download|audit|/ssl|signed", re.IGNORECASE)


def check_deploy(tmp_path, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "COOKIE_SECURE")}
    env.update(KASA_DATA_DIR=str(tmp_path), SECRET_KEY=secrets.token_urlsafe(50), DEBUG="0")
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING", *extra],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_check_deploy_has_no_security_warnings_with_production_settings(tmp_path):
    # One run (each costs a Django start and a schema build). Django's own security checks
    # must be silent; drf-spectacular's schema check runs too, and apps under construction
    # may still have schema warnings of their own, but none may come from this app.
    result = check_deploy(tmp_path)
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines() if re.search(r"\.[WE]\d{3}\)", line)]
    assert not [w for w in warnings if "(security." in w or OURS.search(w)], output
    assert result.returncode == 0 or all("drf_spectacular.W" in w for w in warnings), output
