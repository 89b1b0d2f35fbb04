"""Helpers of the browser tests: screenshots, a login session for the page, a POST from it."""

from __future__ import annotations

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG under test-artifacts/screenshots/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, user, base: str) -> str:
    """Give the page's browser a fresh login session of `user` (no login form, no rate limit).

    Returns the session's public id.
    """
    from accounts import sessions

    issued = sessions.session_start(user, ip="127.0.0.1", user_agent="pytest browser")
    page.context.add_cookies(
        [
            {"name": "access_token", "value": issued.access, "url": base + "/", "httpOnly": True},
            {"name": "refresh_token", "value": str(issued.refresh), "url": base + "/api/",
             "httpOnly": True},
        ]
    )  # fmt: skip
    return issued.session.public_id


def api_post(page, path: str, body: dict | None = None):
    """POST from inside the page (its cookies and CSRF token), as the page's own scripts do."""
    return page.evaluate(
        """async ([path, body]) => {
            const csrf = (document.cookie.split('; ').find(c => c.startsWith('csrftoken=')) || '').slice(10);
            const res = await fetch(path, {method: 'POST', credentials: 'same-origin',
                headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
                body: JSON.stringify(body || {})});
            return {status: res.status, body: await res.json().catch(() => null)};
        }""",
        [path, body],
    )
