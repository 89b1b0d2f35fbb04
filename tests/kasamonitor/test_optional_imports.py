"""What make run's processes load at start (kasamonitor/optional_imports.py, issue 24 item 1).

Each check starts a fresh Python, as the Procfile does, on make run's defaults (SQLite),
sets up the process as the web process or the worker does, and reads sys.modules: the
packages our libraries would import for features we never use are not there, and they
still import normally for code that does use them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests import live

# What the refused imports would load, and what we load at first use: openpyxl
# (kasamonitor/lazy.py), cryptography's Rust core (kasamonitor/crypto.py, security/pem.py;
# python-kasa loads it in the worker when it first polls).
UNUSED = ["psycopg", "requests", "aiohttp", "openpyxl", "cryptography.hazmat.bindings._rust"]

WEB = """
import django
django.setup()
import kasamonitor.asgi  # the ASGI application: views, sockets, socket.io
from django.urls import get_resolver
get_resolver().url_patterns  # every view, as the first request loads them
from import_export.formats import base_formats  # the admin's: xlsx offered, as a binary format
assert base_formats.XLSX in base_formats.DEFAULT_FORMATS, base_formats.DEFAULT_FORMATS
assert base_formats.XLSX in base_formats.BINARY_FORMATS, base_formats.BINARY_FORMATS
"""

WORKER = """
from kasamonitor.worker import build
build()  # make run's worker, set up as at its start: Django, every task module
"""

REPORT = """
import json, sys
loaded = {name: name in sys.modules for name in %r + ["drf_spectacular.plumbing", "click_repl"]}
import aiohttp, requests, psycopg, openpyxl, cryptography.x509  # who needs them gets them
print(json.dumps(loaded))
"""


def _loaded_at_start(setup: str, **env: str) -> dict[str, bool]:
    environment = live.process_env(**env)
    environment.pop("DATABASE_URL")  # make run's default: SQLite in the data directory
    environment["DJANGO_SETTINGS_MODULE"] = "kasamonitor.settings"
    code = "import kasamonitor\n" + setup + REPORT % UNUSED
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=live.BASE_DIR, env=environment,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.integration
def test_the_web_process_loads_no_unused_package():
    loaded = _loaded_at_start(WEB)
    expected = {**dict.fromkeys(UNUSED, False), "drf_spectacular.plumbing": True}
    assert loaded == {**expected, "click_repl": False}


@pytest.mark.integration
def test_the_worker_loads_no_unused_package():
    # The Procfile's worker (kasamonitor/worker.py): no admin autodiscovery, no system
    # checks, so no URL map and none of the API schema's machinery (loaded with the URL
    # map: kasamonitor/urls.py), and not Celery's command line with its interactive shell.
    loaded = _loaded_at_start(WORKER)
    assert loaded == dict.fromkeys(UNUSED + ["drf_spectacular.plumbing", "click_repl"], False)


def test_a_refused_import_is_refused_for_that_library_only():
    code = """
import sys
import kasamonitor
sys.modules.pop("requests", None)
try:
    exec("import requests", {"__name__": "rest_framework.compat"})
except ImportError as error:
    print("refused:", error)
exec("import requests", {"__name__": "integrations.something"})
print("imported:", "requests" in sys.modules)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=live.BASE_DIR, env=dict(os.environ),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "refused: requests is not imported for rest_framework.compat" in result.stdout
    assert "imported: True" in result.stdout
