"""Settings come only from the environment: each variable is parsed as documented."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "DEBUG": settings.DEBUG, "DATA_DIR": str(settings.DATA_DIR), "HOST": settings.HOST,
    "PORT": settings.PORT, "ENGINE": settings.DATABASES["default"]["ENGINE"],
    "DB_NAME": str(settings.DATABASES["default"]["NAME"]), "REDIS_URL": settings.REDIS_URL,
    "CACHE": settings.CACHES["default"]["LOCATION"], "BROKER": settings.CELERY_BROKER_URL,
    "LAYER": settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"],
    "SECRET_KEY": settings.SECRET_KEY, "TARGET": settings.KASA_DISCOVERY_TARGET,
    "EMAIL_BACKEND": settings.EMAIL_BACKEND, "EMAIL_FILE_PATH": str(getattr(settings, "EMAIL_FILE_PATH", "")),
    "EMAIL_HOST": settings.EMAIL_HOST, "CORS": settings.CORS_ALLOWED_ORIGINS,
    "SAMESITE": settings.SESSION_COOKIE_SAMESITE, "COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "LOG_LEVEL": settings.LOGGING["root"]["level"], "HSTS": settings.SECURE_HSTS_SECONDS,
}))
"""


def load(tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in _VARS}
    clean.update({"KASA_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "kasamonitor.settings"})
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=BASE_DIR, env=clean, capture_output=True, text=True
    )


_VARS = {
    "DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_URL", "REDIS_URL", "HOST", "PORT",
    "KASA_DISCOVERY_TARGET", "EMAIL_HOST", "CORS_ALLOWED_ORIGINS", "COOKIE_SAMESITE",
    "COOKIE_SECURE", "LOG_LEVEL",
}  # fmt: skip


def parsed(tmp_path, **env: str) -> dict:
    result = load(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_it_has_safe_local_defaults(tmp_path):
    s = parsed(tmp_path, SECRET_KEY="k" * 50)
    assert s["DEBUG"] is False
    assert s["HOST"] == "127.0.0.1" and s["PORT"] == 5272
    assert s["ENGINE"] == "django.db.backends.sqlite3"
    assert s["DB_NAME"] == str(tmp_path / "kasamonitor.sqlite3")
    assert s["TARGET"] == ["255.255.255.255"]
    assert s["COOKIE_SECURE"] is True and s["HSTS"] == 31536000
    assert s["EMAIL_BACKEND"].endswith("filebased.EmailBackend")
    assert s["EMAIL_FILE_PATH"] == str(tmp_path / "mail")


def test_it_reads_every_variable(tmp_path):
    s = parsed(
        tmp_path,
        SECRET_KEY="s" * 50,
        DEBUG="true",
        HOST="0.0.0.0",
        PORT="8080",
        DATABASE_URL="postgres://kasa:pw@127.0.0.1:5432/kasa",
        REDIS_URL="redis://127.0.0.1:6390/2",
        KASA_DISCOVERY_TARGET="127.255.255.255,127.0.0.9",
        EMAIL_HOST="127.0.0.1",
        CORS_ALLOWED_ORIGINS="https://a.example,https://b.example",
        COOKIE_SAMESITE="Strict",
        LOG_LEVEL="debug",
    )
    assert s["DEBUG"] is True and s["HOST"] == "0.0.0.0" and s["PORT"] == 8080
    assert s["ENGINE"] == "django.db.backends.postgresql" and s["DB_NAME"] == "kasa"
    assert s["CACHE"] == s["BROKER"] == "redis://127.0.0.1:6390/2"
    assert [host["address"] for host in s["LAYER"]] == ["redis://127.0.0.1:6390/2"]
    assert s["TARGET"] == ["127.255.255.255", "127.0.0.9"]
    assert s["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    assert s["CORS"] == ["https://a.example", "https://b.example"]
    assert s["SAMESITE"] == "Strict" and s["COOKIE_SECURE"] is False
    assert s["LOG_LEVEL"] == "DEBUG"


def test_it_reads_the_secret_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file-" + "x" * 40 + "\n")
    assert parsed(tmp_path, SECRET_KEY_FILE=str(secret))["SECRET_KEY"] == "from-a-file-" + "x" * 40


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = load(tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("origins", ["*", "https://ok.example,*"])
def test_production_refuses_a_wildcard_cors_origin(tmp_path, origins):
    result = load(tmp_path, SECRET_KEY="k" * 50, CORS_ALLOWED_ORIGINS=origins)
    assert result.returncode != 0
    assert "CORS_ALLOWED_ORIGINS" in result.stderr


def test_debug_runs_without_a_secret_key(tmp_path):
    assert parsed(tmp_path, DEBUG="1")["DEBUG"] is True
