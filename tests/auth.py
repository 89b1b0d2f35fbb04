"""How tests obtain real tokens: a real login session through the accounts services."""

from __future__ import annotations

from accounts.sessions import session_start


def access_token_for(user) -> str:
    """Return an access token of a new login session (the user's 4th ends their 1st)."""
    return session_start(user, ip="127.0.0.1", user_agent="pytest").access
