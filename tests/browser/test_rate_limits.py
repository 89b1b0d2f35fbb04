"""A 429 in the web UI: the page says how long to wait (Retry-After) and never logs anyone out.

A web process of its own with a small per-IP API limit, counted in a cache namespace of
its own, so the test knows how many requests the browser has left.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests import live
from tests.browser.support import log_in, screenshot
from tests.browser.test_web_ui import watch_errors
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LIMIT = 12  # API requests per client IP per window


@pytest.fixture
def limited_app(browser_app, tmp_path):
    """A second web process on the test database, allowing LIMIT API requests per IP."""
    import urllib.request

    port = live.free_port()
    env = live.web_env(
        port,
        API_RATE_LIMIT_PER_IP=f"{LIMIT}/1d",  # a day: the allowance does not come back mid-test
        CACHE_KEY_PREFIX="rl" + secrets.token_hex(6),  # fresh counters every run
    )
    with live.running(live.WEB_ARGS, env, tmp_path / "web.log") as web:
        url = f"http://127.0.0.1:{port}"

        def up():
            if web.poll() is not None:
                raise RuntimeError((tmp_path / "web.log").read_text())
            try:
                return urllib.request.urlopen(url + "/health/live", timeout=1).status == 200
            except OSError:
                return False

        live.wait_until(up, timeout=30, what="the rate-limited web process")
        yield url


@pytest.fixture
def limited_page(chromium, limited_app):
    context = chromium.new_context(base_url=limited_app, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def counted(page) -> list:
    """Every request the page sends that the API limit counts, in order, with its answer."""
    seen: list = []

    def note(request):
        if urlparse(request.url).path.startswith(("/api/", "/download/")):
            seen.append(request)

    page.on("request", note)
    return seen


def test_a_429_shows_the_wait_and_never_logs_out(limited_page, limited_app):
    page, base = limited_page, limited_app
    errors = watch_errors(page)
    requests = counted(page)
    log_in(page, UserFactory(username="rita", role="viewer"), base)
    page.goto("/costs")
    expect(page.locator("[data-field=total_cost]")).not_to_have_text("—")
    # Spend the allowance but one, from the page itself, as a script loop would.
    while len(requests) < LIMIT - 1:
        page.evaluate("fetch('/api/auth/me', {credentials: 'same-origin'})")
        page.wait_for_timeout(50)

    # The access cookie runs out: the page's next call gets 401 (the last request allowed),
    # and the silent refresh that follows is refused with 429.
    page.context.clear_cookies(name="access_token")
    with page.expect_response(lambda r: r.url.endswith("/api/auth/refresh")) as refresh:
        page.get_by_label("Period").select_option("last_month")
    assert refresh.value.status == 429
    retry_after = int(refresh.value.headers["retry-after"])

    notice = page.locator("#flash [data-rate-limit]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Too many requests: please wait")
    expect(notice).to_contain_text("You are still signed in.")
    shown = int(notice.get_attribute("data-seconds"))
    assert retry_after - 10 <= shown <= retry_after
    expect(page.locator("#costs-message")).to_contain_text(
        re.compile(r"Try again in \d+ (s|min|h)")
    )
    expect(page).to_have_url(re.compile(r"/costs$"))  # not sent to the login page
    screenshot(page, "costs-rate-limited")

    # A call that is itself refused with 429 says the same, and still does not log out.
    with page.expect_response(lambda r: r.url.split("?")[0].endswith("/api/costs")) as costs:
        page.get_by_label("Period").select_option("last_7_days")
    assert costs.value.status == 429
    expect(notice).to_contain_text("You are still signed in.")
    expect(page).to_have_url(re.compile(r"/costs$"))
    assert any(c["name"] == "refresh_token" for c in page.context.cookies())

    # Even the login page, reached without an access cookie, keeps the session and says so.
    page.goto("/costs")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.locator("#login-error")).to_contain_text("your session is still open")
    assert not errors, errors
