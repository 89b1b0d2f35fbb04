"""The main flows with JavaScript off: Chromium with java_script_enabled=False against the
web process + a Celery worker + a simulated plug. Every form posts to a Django view."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests import live
from tests.browser.support import log_in, screenshot
from tests.factories import DeviceFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PASSWORD = "Str0ng!Passw0rd"
NEW_PASSWORD = "An0ther!Passw0rd"


@pytest.fixture
def page(chromium, browser_app):
    """A browser page with JavaScript off (it replaces conftest's page here)."""
    context = chromium.new_context(
        base_url=browser_app, java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def no_secret_in_url(page, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in page.url


def reload_until(page, locator, timeout: float = 60) -> None:
    """Reload (as a person without scripts would, or the <noscript> refresh does) until shown."""
    deadline = time.monotonic() + timeout
    while not locator.count():
        assert time.monotonic() < deadline, f"not shown after {timeout} s: {locator}"
        time.sleep(1)
        page.reload()


def test_first_run_setup_login_and_logout(page, browser_app):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    page.get_by_label("Username").fill("root")
    page.get_by_label("Email").fill("root@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill("not the same")
    page.get_by_role("button", name="Create administrator").click()
    expect(page.locator(".field-error")).to_contain_text("Not the same")
    expect(page.get_by_label("Email")).to_have_value("root@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create administrator").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Getting started")).to_be_visible()
    no_secret_in_url(page, PASSWORD)
    screenshot(page, "nojs-dashboard-first-run")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("Username or email").fill("root")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#login-error")).to_contain_text("Invalid")
    expect(page.get_by_label("Username or email")).to_have_value("root")
    no_secret_in_url(page, "wrong password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    no_secret_in_url(page, PASSWORD)


def _two_factor_user():
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import totp as two_factor
    from accounts.models import User

    UserFactory(username="tess", role="viewer", email="tess@example.com")
    user = User.objects.get(username="tess")
    setup = two_factor.setup(user)
    two_factor.enable(user, f"{totp(TOTPDevice.objects.get(user=user).bin_key):06d}")
    return user, setup


def test_login_with_an_app_code_or_a_backup_code(page, browser_app):
    from tests.browser.test_web_ui import unused_totp_code

    user, setup = _two_factor_user()
    for code in ("app", setup.backup_codes[0]):
        page.goto("/login?next=/costs")
        page.get_by_label("Username or email").fill("tess")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        code_box = page.get_by_label("Code")
        expect(code_box).to_be_visible()
        screenshot(page, "nojs-login-2fa")
        code_box.fill("000000" if code != "000000" else "111111")
        page.get_by_role("button", name="Verify").click()
        expect(page.locator("#otp-error")).to_contain_text("nvalid")
        expect(code_box).to_be_visible()
        time.sleep(1.1)  # django-otp holds the app's codes for 1 s after a wrong one
        code_box.fill(unused_totp_code(user, setup.secret) if code == "app" else code)
        page.get_by_role("button", name="Verify").click()
        expect(page.get_by_role("heading", name="Costs", level=1)).to_be_visible()
        no_secret_in_url(page, PASSWORD, code)
        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(re.compile(r"/login$"))


def test_forgot_and_reset_password(page, browser_app):
    from accounts import passwords
    from accounts.models import PasswordResetToken, User

    UserFactory(username="rita", role="viewer", email="rita@example.com")
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("rita@example.com")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.locator("#flash")).to_contain_text("reset link is on its way")
    no_secret_in_url(page, "rita@example.com")
    # The worker mails a link (its token ends any earlier one): wait for it, then take a
    # token of our own, which is what that mail holds (a token taken first was ended by the
    # worker's when the worker came second).
    rita = User.objects.get(username="rita")
    live.wait_until(
        lambda: PasswordResetToken.objects.filter(user=rita).exists(), what="the reset mail"
    )

    token = passwords.reset_issue(rita)  # what the mail holds
    page.goto(f"/reset-password?token={token}")
    expect(page).to_have_url(re.compile(r"/reset-password$"))  # the token left the URL
    page.get_by_label("New password", exact=True).fill("weak")
    page.get_by_label("Repeat new password").fill("weak")
    page.get_by_role("button", name="Set new password").click()
    expect(page.locator("#error-password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("#flash")).to_contain_text("password has been reset")
    page.get_by_label("Username or email").fill("rita")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    no_secret_in_url(page, token, NEW_PASSWORD)


def test_change_password(page, browser_app):
    from accounts.models import User

    log_in(page, UserFactory(username="carl", role="viewer"), browser_app)
    page.goto("/account")
    form = page.locator("#password-form")
    form.get_by_label("Current password").fill("not it")
    form.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    form.get_by_label("Repeat new password").fill(NEW_PASSWORD)
    form.get_by_role("button", name="Change password").click()
    expect(page.locator("#password-form .message.error")).to_contain_text("incorrect")
    form.get_by_label("Current password").fill(PASSWORD)
    form.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    form.get_by_label("Repeat new password").fill(NEW_PASSWORD)
    form.get_by_role("button", name="Change password").click()
    expect(page.locator("#flash")).to_contain_text("Password changed")
    assert User.objects.get(username="carl").check_password(NEW_PASSWORD)
    no_secret_in_url(page, NEW_PASSWORD, PASSWORD)


def test_rate_plan(page, browser_app):
    log_in(page, UserFactory(username="otto", role="operator"), browser_app)
    page.goto("/rates")
    page.get_by_label("Plan type").select_option("time_of_use")
    rows = page.locator(".tou-row")
    rows.nth(0).get_by_label("Name").fill("Night")
    rows.nth(0).get_by_label("From hour").fill("0")
    rows.nth(0).get_by_label("To hour").fill("30")
    rows.nth(0).get_by_label("Price per kWh").fill("0.08")
    page.get_by_role("button", name="Save plan").click()
    expect(page.locator("#rates-message")).to_contain_text("end_hour")
    expect(rows.nth(0).locator(".field-error")).to_be_visible()  # at the field named
    expect(rows.nth(0).get_by_label("Name")).to_have_value("Night")
    rows.nth(0).get_by_label("To hour").fill("6")
    rows.nth(1).get_by_label("Name").fill("Day")
    rows.nth(1).get_by_label("From hour").fill("6")
    rows.nth(1).get_by_label("To hour").fill("22")
    rows.nth(1).get_by_label("Price per kWh").fill("0.12")
    page.get_by_role("button", name="Save plan").click()
    expect(page.locator("#rates-message")).to_contain_text("Saved")
    expect(page.locator("#rates-fallback")).to_contain_text("22:00–24:00 every day")
    expect(page.get_by_label("Plan type")).to_have_value("time_of_use")


def test_add_a_device_by_ip_and_switch_it(page, browser_app, sim):
    (address,) = sim.hosts
    sim.relay(address, True)
    log_in(page, UserFactory(username="olga", role="operator"), browser_app)
    page.goto("/")
    page.get_by_label("Add by IP address").fill("not an address")
    page.get_by_role("button", name="Add by IP").click()
    expect(page.locator("#error-ip")).to_be_visible()
    page.get_by_label("Add by IP address").fill(address)
    page.get_by_role("button", name="Add by IP").click()
    card = page.locator(".device-card", has_text="Kettle")
    expect(card).to_be_visible(timeout=15_000)
    expect(page.locator("#flash")).to_contain_text("Added Kettle")
    card.get_by_role("button", name=re.compile("^Turn off")).click()
    expect(page.locator("#flash")).to_contain_text("Kettle is off")
    assert sim.state(address)["relay"] == 0
    card.get_by_role("button", name=re.compile("^Turn on")).click()
    expect(page.locator("#flash")).to_contain_text("Kettle is on")
    assert sim.state(address)["relay"] == 1
    screenshot(page, "nojs-dashboard")


def test_create_an_export_and_download_it(page, browser_app, tmp_path):
    DeviceFactory(alias="Fridge")
    log_in(page, UserFactory(username="olivia", role="operator"), browser_app)
    page.goto("/exports")
    page.get_by_label("Format").select_option("csv")
    page.get_by_role("button", name="Create export").click()
    expect(page.locator("#flash")).to_contain_text("Export queued")
    download = page.locator("#export-table tbody tr").first.get_by_role("link", name="Download")
    reload_until(page, download)
    with page.expect_download() as info:
        download.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert "timestamp" in path.read_text().splitlines()[0]


def test_start_a_backup(page, browser_app):
    log_in(page, UserFactory(username="ada", role="admin"), browser_app)
    page.goto("/backups")
    page.get_by_label("Compression").select_option("none")
    page.get_by_role("button", name="Create backup").click()
    expect(page.locator("#flash")).to_contain_text("Backup started")
    reload_until(page, page.locator("#backups-table tbody tr"))
    expect(page.locator("#backups-table")).to_contain_text(".7z")


def test_the_insights_show_their_numbers_without_javascript(page, browser_app):
    """The always-on list, the projection and What changed for the chosen period are in the
    pages as text (the charts are the scripts' extra; test_insights.py has the arithmetic)."""
    from billing import services as billing_services
    from tests.insights.support import power_hours

    now = time.time()
    heater = DeviceFactory(alias="Heater")
    hour = (int(now) // 3600) * 3600
    hours = [datetime.fromtimestamp(hour - 3600 * n, UTC) for n in range(1, 70 * 24)]
    power_hours(heater, dict.fromkeys(hours, 100.0))  # 0.1 kWh every hour
    billing_services.rate_plan_save(
        {"rate_type": "simple", "rate_per_kwh": 0.20, "currency": "EUR", "timezone": "UTC"}
    )
    billing_services.price_pending()
    log_in(page, UserFactory(role="viewer"), browser_app)
    page.goto("/")
    # 100 W: 876 kWh a year at 0.20 = 175.20 EUR.
    expect(page.locator("#standby li")).to_have_text("Heater: 100.0 W always on ≈ 175.20 EUR/yr")
    expect(page.locator("#bill-projection [data-field=projected_cost]")).to_contain_text("EUR")
    expect(page.locator("#bill-chart svg")).to_have_count(0)
    page.goto("/costs")
    page.get_by_label("Period").select_option("last_month")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"period=last_month"))
    # Last month: 24 hours a day x 0.1 kWh = 2.4 kWh a day, and at the default grid
    # intensity (475 g/kWh) 1.14 kg of CO2 a day.
    first = datetime.fromtimestamp(hour, UTC).date().replace(day=1)
    last = first - timedelta(days=1)
    kwh, kg = 2.4 * last.day, 1.14 * last.day
    expect(page.locator("#changes")).to_contain_text(f"({last.replace(day=1)} to {last})")
    expect(page.locator("#changes tr.household [data-field=cost]")).to_have_text(
        f"{kwh * 0.20:.2f} EUR ({kwh:,.3f} kWh · {kg:,.2f} kg CO₂)"
    )
    screenshot(page, "insights-costs-nojs")
