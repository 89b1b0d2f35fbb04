"""Browser tests: Playwright drives Debian's Chromium against the real web process + worker.

Screenshots of the main pages are saved under test-artifacts/screenshots/ so a person can
see what the UI looks like.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests import live

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def browser_app(django_db_setup, live_worker, tmp_path_factory):
    """The web process + the session's Celery worker (which takes tasks only during the
    tests that use it: tests/conftest.py _drain_live_worker) on the test database, with
    static files collected."""
    env = live.process_env()
    # As the Makefile's install step: collected once per checkout (./staticfiles), under a
    # lock (CI's two passes share the folder), and only when a source changed.
    subprocess.run(
        [sys.executable, "-m", "kasamonitor.prepare", "static"],
        cwd=live.BASE_DIR, env=env, check=True,
    )  # fmt: skip
    logs = tmp_path_factory.mktemp("browser-app")
    port = live.free_port()
    # The flows log in through the form many times a minute, all from 127.0.0.1; the login
    # limit itself is tested in tests/accounts and tests/web (test_forms.py).
    env = live.web_env(port, RATE_LIMIT_LOGIN="100/m")
    with live.running(live.WEB_ARGS, env, logs / "web.log") as web:
        url = f"http://127.0.0.1:{port}"

        def up():
            import urllib.request

            if web.poll() is not None:
                raise RuntimeError((logs / "web.log").read_text())
            try:
                return urllib.request.urlopen(url + "/health/live", timeout=1).status == 200
            except OSError:
                return False

        live.wait_until(up, timeout=30, what="the web process")
        yield url


@pytest.fixture(scope="module")
def chromium():
    """Module scope: Playwright's loop must be gone before other modules' asyncio tests.

    While it runs, an event loop is running in this thread, so Django would refuse the
    tests' (and the database teardown's) plain synchronous ORM calls without the flag.
    """
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:  # Playwright gives each context a fresh profile
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(chromium, browser_app):
    context = chromium.new_context(base_url=browser_app, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


# -- the web UI's fixtures (issue 9) --------------------------------------------------------


@pytest.fixture(scope="session")
def sim():
    """One simulated HS110 plug (with an energy meter) on a free loopback address."""
    from tests.simulator import Simulator, device_spec, free_loopback_block

    (address,) = free_loopback_block(1)
    with Simulator([device_spec("hs110", address, alias="Kettle")]) as simulator:
        yield simulator
