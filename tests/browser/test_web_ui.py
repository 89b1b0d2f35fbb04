"""The web UI in a real browser: Chromium against the web process + a Celery worker + simulated plugs.

Each test saves screenshots of the pages it visits under test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import time
from base64 import b32decode

import pytest
from playwright.sync_api import expect

from tests.browser.support import api_post, log_in, screenshot
from tests.factories import DeviceFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PASSWORD = "Str0ng!Passw0rd"


def watch_errors(page) -> list[str]:
    """Collect script errors and CSP violations: the pages must run without either."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    return errors


def totp_code(secret: str) -> str:
    from django_otp.oath import totp

    return f"{totp(_key(secret)):06d}"


def unused_totp_code(user, secret: str) -> str:
    """A code the server takes now: a time step after the last one used, inside its window
    (the step now, shifted by the drift the device learnt at setup, or the next one)."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user)
    while True:
        otp = TOTP(_key(secret), device.step, device.t0, device.digits, device.drift)
        otp.time = time.time()
        for ahead in (0, 1):  # both still valid if the server's clock reaches the next step
            if otp.t() + ahead > device.last_t:
                otp.drift = device.drift + ahead
                return f"{otp.token():06d}"
        time.sleep(0.5)  # the setup code used this step already


def _key(secret: str) -> bytes:
    return b32decode(secret + "=" * (-len(secret) % 8))


def test_first_run_setup_leads_to_an_empty_dashboard(page, browser_app):
    errors = watch_errors(page)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup$"))  # / -> /login -> /setup on first run
    screenshot(page, "setup")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Email").fill("root@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill("not the same")
    page.get_by_role("button", name="Create administrator").click()
    expect(page.locator(".field-error")).to_contain_text("not the same")
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create administrator").click()
    expect(page.get_by_role("heading", name="No devices yet")).to_be_visible()
    expect(page.get_by_role("button", name="Discover devices")).to_be_visible()
    expect(page.get_by_role("button", name="Add by IP")).to_be_visible()
    screenshot(page, "dashboard-empty")
    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login$"))
    screenshot(page, "login")
    assert not errors, errors


def test_live_power_updates_and_the_switch_turns_the_plug_off(page, browser_app, sim):
    errors = watch_errors(page)
    (address,) = sim.hosts
    sim.relay(address, True)
    sim.emeter(address, power=42.0, voltage=230.0, current=0.2)
    log_in(page, UserFactory(username="olivia", role="operator"), browser_app)
    page.goto("/")
    page.get_by_label("Add by IP address").fill(address)
    page.get_by_role("button", name="Add by IP").click()
    card = page.locator(".device-card", has_text="Kettle")
    expect(card).to_be_visible(timeout=15_000)  # the page reloads once the plug is added
    expect(page.locator("#live-state")).to_contain_text("Live")

    page.evaluate("window.__notReloaded = true")
    device_id = card.get_attribute("data-device-id")
    sim.emeter(address, power=1234.5, voltage=230.0, current=5.4)
    assert api_post(page, f"/api/devices/{device_id}/poll")["status"] == 202
    expect(card.locator("[data-field=power]")).to_have_text("1,234.5", timeout=20_000)
    assert page.evaluate("window.__notReloaded") is True
    screenshot(page, "dashboard")

    toggle = card.get_by_role("switch")
    expect(toggle).to_be_checked()
    toggle.click()
    expect(page.locator("#flash")).to_contain_text("is off")
    expect(toggle).not_to_be_checked()
    deadline = time.monotonic() + 5
    while sim.state(address)["relay"] != 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sim.state(address)["relay"] == 0

    card.get_by_role("link", name="Kettle").click()
    expect(page.get_by_role("heading", name="Kettle", level=1)).to_be_visible()
    expect(page.locator("#history-chart .main-svg").first).to_be_attached(timeout=15_000)
    page.get_by_label("Range").select_option("7d")
    expect(page.locator("#chart-message")).to_be_hidden()
    page.get_by_label("Range").select_option("24h")
    expect(page.locator("#history-chart .scatterlayer .trace")).to_have_count(1)
    expect(page.locator("#chart-message")).to_be_hidden()
    screenshot(page, "device")
    assert not errors, errors


def test_an_export_is_created_followed_and_downloaded(page, browser_app, tmp_path):
    errors = watch_errors(page)
    DeviceFactory(alias="Fridge")
    log_in(page, UserFactory(username="olivia", role="operator"), browser_app)
    page.goto("/exports")
    expect(page.get_by_text("No exports yet")).to_be_visible()
    page.get_by_label("Format").select_option("csv")
    page.get_by_role("button", name="Create export").click()
    row = page.locator("#export-table tbody tr").first
    download_link = row.get_by_role("link", name="Download")
    expect(download_link).to_be_visible(timeout=30_000)
    screenshot(page, "exports")
    with page.expect_download() as info:
        download_link.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.suffix == ".csv"
    assert "timestamp" in path.read_text().splitlines()[0]
    assert not errors, errors


def test_two_factor_setup_then_login_asks_for_the_code(page, browser_app):
    errors = watch_errors(page)
    UserFactory(username="alice", role="admin", email="alice@example.com")
    from accounts.models import User

    log_in(page, User.objects.get(username="alice"), browser_app)
    page.goto("/account")
    page.get_by_role("button", name="Set up two-factor authentication").click()
    expect(page.locator("img.qr")).to_have_attribute("src", re.compile(r"^data:image/png"))
    expect(page.locator("[data-field=codes] li")).to_have_count(10)
    secret = page.locator("[data-field=secret]").inner_text()
    screenshot(page, "account-2fa-setup")
    page.get_by_label("Code from the app").fill(
        "000000" if totp_code(secret) != "000000" else "111111"
    )
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.locator("#two-factor [data-result]")).to_contain_text("invalid")
    page.get_by_label("Code from the app").fill(totp_code(secret))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.locator("#two-factor")).to_contain_text("Two-factor authentication is on")
    screenshot(page, "account")

    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("Username or email").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    code_box = page.get_by_label("Code")
    expect(code_box).to_be_visible()
    screenshot(page, "login-2fa")
    code_box.fill(unused_totp_code(User.objects.get(username="alice"), secret))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert not errors, errors


def test_another_session_can_be_revoked(page, browser_app, chromium):
    errors = watch_errors(page)
    viewer = UserFactory(username="vera", role="viewer")
    other = chromium.new_context(base_url=browser_app)
    try:
        other_page = other.new_page()
        log_in(other_page, viewer, browser_app)
        other_page.goto("/")
        expect(other_page.get_by_role("heading", name="Dashboard")).to_be_visible()

        log_in(page, viewer, browser_app)
        page.goto("/account")
        rows = page.locator("#sessions-table tbody tr")
        expect(rows).to_have_count(2)
        expect(page.get_by_text("This device")).to_be_visible()
        rows.get_by_role("button", name=re.compile("^Log out")).click()
        expect(rows).to_have_count(1)
        expect(page.locator("#flash")).to_contain_text("logged out")

        # The other browser's live socket is closed with its session: it goes to the login
        # page by itself, and stays out.
        expect(other_page).to_have_url(re.compile(r"/login\?next="))
        other_page.goto("/costs")
        expect(other_page).to_have_url(re.compile(r"/login\?next="))
    finally:
        other.close()
    assert not errors, errors


def test_every_main_page_renders_for_an_admin(page, browser_app):
    errors = watch_errors(page)
    DeviceFactory(alias="Desk lamp", current_power_w=12.5, is_on=True)
    admin = UserFactory(username="ada", role="admin")
    log_in(page, admin, browser_app)
    for path, heading in [
        ("/costs", "Costs"),
        ("/rates", "Electricity rates"),
        ("/alerts", "Alerts"),
        ("/backups", "Backups"),
        ("/users", "Users"),
        ("/exports", "Exports"),
    ]:
        page.goto(path)
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        page.wait_for_load_state("networkidle")
        screenshot(page, path.strip("/"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    expect(page.locator(".device-card", has_text="Desk lamp")).to_be_visible()
    screenshot(page, "dashboard-phone")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert not errors, errors


def test_a_time_of_use_plan_with_uncovered_hours_says_what_they_cost(page, browser_app):
    errors = watch_errors(page)
    log_in(page, UserFactory(username="otto", role="operator"), browser_app)
    page.goto("/rates")
    page.get_by_label("Plan type").select_option("time_of_use")
    for n, (label, start, end, rate) in enumerate(
        [("Off-Peak", "0", "6", "0.08"), ("Peak", "6", "22", "0.12")]
    ):
        if n:
            page.get_by_role("button", name="Add a period").click()
        row = page.locator(".tou-row").nth(n)
        row.get_by_label("Name").fill(label)
        row.get_by_label("From hour").fill(start)
        row.get_by_label("To hour").fill(end)
        row.get_by_label("Price per kWh").fill(rate)
    page.get_by_role("button", name="Save plan").click()
    expect(page.locator("#rates-message")).to_contain_text("Saved")
    fallback = page.locator("#rates-fallback")
    expect(fallback).to_have_text(
        "Hours no period covers are priced at 0.08 per kWh (the first period's price): "
        "22:00–24:00 every day."
    )
    page.get_by_label("Price for other hours").fill("0.05")
    page.get_by_role("button", name="Save plan").click()
    expect(fallback).to_contain_text("at 0.05 per kWh (the price for other hours)")
    screenshot(page, "rates-uncovered-hours")
    page.reload()
    expect(fallback).to_contain_text("at 0.05 per kWh")
    expect(page.get_by_label("Price for other hours")).to_have_value("0.05")
    assert not errors, errors


def test_a_right_code_while_the_app_is_held_shows_the_wait(page, browser_app):
    from accounts import totp as two_factor
    from accounts.models import User

    errors = watch_errors(page)
    UserFactory(username="hana", role="viewer", email="hana@example.com")
    user = User.objects.get(username="hana")
    secret = two_factor.setup(user).secret
    two_factor.enable(user, totp_code(secret))
    page.goto("/login")
    page.get_by_label("Username or email").fill("hana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    code_box, box = page.get_by_label("Code"), page.locator("#otp-error")
    verify = page.locator("#otp-form button[type=submit]")
    for _ in range(2):  # two wrong codes, the second after the first one's 1 s hold
        time.sleep(1.1)
        code_box.fill("000000" if totp_code(secret) != "000000" else "111111")
        verify.click()
        expect(box).to_contain_text("invalid")
    code_box.fill(unused_totp_code(user, secret))
    verify.click()  # the app is held for 2 s: the page says to wait and counts down
    expect(box).to_contain_text("Too many wrong codes in a row: wait 2 seconds")
    expect(verify).to_be_disabled()
    expect(verify).to_have_text(re.compile(r"^Wait \d s$"))
    screenshot(page, "login-2fa-wait")
    expect(verify).to_have_text("Verify", timeout=5_000)
    expect(box).to_have_text("You can try again now.")
    verify.click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert not errors, errors


def test_log_out_everywhere_else_keeps_this_session(page, browser_app, chromium):
    errors = watch_errors(page)
    viewer = UserFactory(username="wendy", role="viewer")
    other = chromium.new_context(base_url=browser_app)
    try:
        other_page = other.new_page()
        log_in(other_page, viewer, browser_app)
        log_in(page, viewer, browser_app)
        page.goto("/account")
        expect(page.locator("#sessions-table tbody tr")).to_have_count(2)
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Log out everywhere else").click()
        expect(page.locator("#flash")).to_contain_text("1 other session(s) logged out.")
        expect(page.locator("#sessions-table tbody tr")).to_have_count(1)
        other_page.goto("/costs")
        expect(other_page).to_have_url(re.compile(r"/login\?next="))
        page.goto("/costs")
        expect(page.get_by_role("heading", name="Costs", level=1)).to_be_visible()
    finally:
        other.close()
    assert not errors, errors
