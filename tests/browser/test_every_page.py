"""Every page, logged out and logged in, at desktop (1280 px) and phone (390 px) width, with
JavaScript on and off: a screenshot of each (test-artifacts/screenshots/), no 404 for any
asset (the favicon included), every form with a password field posts, nothing scrolls
sideways on a phone, and axe-core finds no serious or critical accessibility violation."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.support import log_in, screenshot
from tests.factories import DeviceFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LOGGED_OUT = [("setup", "/setup"), ("login", "/login"), ("forgot-password", "/forgot-password"),
              ("reset-password", "/reset-password")]  # fmt: skip
LOGGED_IN = [("dashboard", "/"), ("costs", "/costs"), ("rates", "/rates"),
             ("exports", "/exports"), ("alerts", "/alerts"), ("backups", "/backups"),
             ("account", "/account"), ("users", "/users"), ("not-found", "/devices/999999")]  # fmt: skip


def axe_problems(page) -> list[str]:
    """Run axe-core in the page (WCAG 2.x A/AA rules): the serious and critical violations."""
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate(
        "async () => JSON.stringify(await axe.run(document, "
        "{runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}))"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in json.loads(result)["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def axe_problems_of_html(checker, html: str, base: str) -> list[str]:
    """axe-core on a page as a browser without JavaScript built it (Playwright cannot run
    code in a page whose context has JavaScript off): its DOM, scripts removed, loaded into
    a page of a JavaScript context, with its styles."""
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
    html = html.replace("<head>", f'<head><base href="{base}/">', 1)
    page = checker.new_page()
    page.set_content(html, wait_until="load")
    try:
        return axe_problems(page)
    finally:
        page.close()


# A form's CSRF token differs on every response; without it, a page built the same way
# without JavaScript at both widths is the same document.
CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*')


def check_page(
    context, path: str, name: str, js: bool, size: str, checker=None, checked=None
) -> list[str]:
    """Open one page; return what is wrong with it (after taking its screenshot).

    Without JavaScript the checker page axe runs in has one width whatever `size` is, so a
    document already checked (`checked`: its findings by document) is not checked again."""
    page = context.new_page()
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.goto(path)
    page.wait_for_load_state("networkidle")
    screenshot(page, f"{name}-{size}-{'js' if js else 'nojs'}")
    problems = [f"404: {url}" for url in missing if not url.endswith("/devices/999999")]
    for form in page.locator("form:has(input[type=password])").all():
        if form.get_attribute("method") != "post":
            problems.append(f"a password form that does not post: {form.get_attribute('id')}")
    fits = "document.documentElement.scrollWidth <= window.innerWidth + 1"
    if size == "phone" and js and not page.evaluate(fits):
        problems.append("scrolls sideways at 390 px")
    if js:
        problems += axe_problems(page)
    else:
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
        html = page.content()
        checked = {} if checked is None else checked
        document = CSRF_VALUE.sub(r"\1", html)
        if document not in checked:
            checked[document] = axe_problems_of_html(checker, html, origin)
        problems += checked[document]
    page.close()
    return [f"{name} ({size}, js {'on' if js else 'off'}): {p}" for p in problems]


def sweep(chromium, base: str, pages, user=None) -> list[str]:
    problems: list[str] = []
    checker = chromium.new_context(base_url=base, bypass_csp=True)
    checked: dict[str, list[str]] = {}
    for size, viewport in SIZES.items():
        for js in (True, False):
            # bypass_csp: axe-core is injected as an inline script, which the pages' CSP
            # (rightly) refuses.
            context = chromium.new_context(
                base_url=base, viewport=viewport, java_script_enabled=js, bypass_csp=js
            )
            if user is not None:
                log_in(context.new_page(), user, base)
            for name, path in pages:
                problems += check_page(context, path, name, js, size, checker, checked)
            context.close()
    checker.close()
    return problems


def _world():
    """A plug, and a strip with three outlets, so the dashboard shows both kinds of card."""
    DeviceFactory(alias="Kettle", current_power_w=1234.5, is_on=True)
    strip = DeviceFactory(alias="Desk strip", model="HS300", device_type="strip",
                          current_power_w=60.0)  # fmt: skip
    for n in range(3):
        DeviceFactory(alias=f"Outlet {n + 1}", model="HS300", device_type="outlet",
                      parent=strip, host=strip.host, child_id=f"{strip.device_id}0{n}",
                      current_power_w=20.0, is_on=n != 1)  # fmt: skip
    return strip


def test_every_page_in_every_state(chromium, browser_app):
    problems = sweep(chromium, browser_app, LOGGED_OUT[:1])  # first run: no user yet
    admin = UserFactory(username="ada", role="admin", full_name="Ada Admin")
    problems += sweep(chromium, browser_app, LOGGED_OUT[1:])
    strip = _world()
    pages = [*LOGGED_IN, ("device", f"/devices/{strip.pk}")]
    problems += sweep(chromium, browser_app, pages, user=admin)
    assert not problems, "\n".join(problems)


def test_the_phone_menu_opens_without_javascript(chromium, browser_app):
    admin = UserFactory(username="ada", role="admin")
    for js in (True, False):
        context = chromium.new_context(
            base_url=browser_app, viewport=SIZES["phone"], java_script_enabled=js
        )
        page = context.new_page()
        log_in(page, admin, browser_app)
        page.goto("/")
        users = page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Users")
        expect(users).to_be_hidden()
        page.get_by_text("Menu", exact=True).click()
        expect(users).to_be_visible()
        screenshot(page, f"menu-phone-{'js' if js else 'nojs'}")
        users.click()
        expect(page.get_by_role("heading", name="Users", level=1)).to_be_visible()
        context.close()


def test_a_strip_is_one_card_with_its_outlets(chromium, browser_app):
    strip = _world()
    context = chromium.new_context(base_url=browser_app, java_script_enabled=False)
    page = context.new_page()
    log_in(page, UserFactory(username="olga", role="operator"), browser_app)
    page.goto("/")
    cards = page.locator("#devices > li.device-card")
    expect(cards).to_have_count(2)  # the plug and the strip: outlets are inside the strip
    strip_card = cards.filter(has_text="Desk strip")
    outlets = strip_card.locator(".outlet-card")
    expect(outlets).to_have_count(3)
    expect(outlets.nth(1).get_by_role("button", name="Turn on Outlet 2")).to_be_visible()
    expect(outlets.nth(0).get_by_role("link", name="Outlet 1")).to_have_attribute(
        "href", f"/devices/{strip.outlets.order_by('child_id').first().pk}"
    )
    strip_card.get_by_text("Outlets of Desk strip").click()  # collapses (a <details>)
    expect(outlets.nth(0)).to_be_hidden()
    context.close()


def tab_to(page, locator, most: int = 80) -> None:
    """Press Tab until `locator` has the focus; every element passed on the way must show
    where the focus is (an outline or a box shadow)."""
    target = locator.element_handle()
    for _ in range(most):
        page.keyboard.press("Tab")
        focus = page.evaluate(
            """() => { const el = document.activeElement; const s = getComputedStyle(el);
                 return {tag: el.tagName, text: (el.textContent || el.name || '').trim().slice(0, 40),
                         visible: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                                  || s.boxShadow !== 'none'}; }"""
        )
        assert focus["visible"] or focus["tag"] == "BODY", f"no visible focus on {focus}"
        if page.evaluate("el => document.activeElement === el", target):
            return
    raise AssertionError(f"Tab never reached {locator}")


def test_the_main_flow_with_the_keyboard_alone(page, browser_app, sim):
    (address,) = sim.hosts
    sim.relay(address, True)
    UserFactory(username="kim", role="operator")
    page.goto("/login")
    # The username box has the focus: Chromium applies autofocus at a rendering step that a
    # loaded machine may reach after the page's load event, and a key typed before is lost.
    expect(page.get_by_label("Username or email")).to_be_focused()
    page.keyboard.type("kim")
    page.keyboard.press("Tab")
    page.keyboard.type("Str0ng!Passw0rd")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()

    tab_to(page, page.get_by_label("Add by IP address"))
    page.keyboard.type(address)
    page.keyboard.press("Enter")
    switch = page.get_by_role("switch", name="Power for Kettle")
    expect(switch).to_be_visible(timeout=15_000)
    expect(switch).to_be_checked()
    tab_to(page, switch)
    page.keyboard.press("Space")
    expect(page.locator("#flash")).to_contain_text("Kettle is off")  # announced: aria-live
    expect(switch).not_to_be_checked()
    assert sim.state(address)["relay"] == 0
    tab_to(page, page.get_by_role("link", name="Kettle"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Kettle", level=1)).to_be_visible()


def test_the_accessibility_check_does_find_violations(chromium, browser_app):
    """The sweep's "no violations" means something: the same check, on a page built as a
    browser without JavaScript builds it, reports an image without alt text and an unnamed
    button."""
    checker = chromium.new_context(base_url=browser_app, bypass_csp=True)
    bad = '<html lang="en"><head><title>t</title></head><body><main><h1>t</h1><img src="/x.png"><button></button></main></body></html>'
    found = " ".join(axe_problems_of_html(checker, bad, browser_app))
    checker.close()
    assert "image-alt (critical)" in found and "button-name (critical)" in found
