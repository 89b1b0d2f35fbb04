"""Helpers of the web page tests."""

from __future__ import annotations

from django.test import Client

from accounts import sessions


def logged_in_client(user) -> Client:
    """A Django test client carrying a real access cookie for a new login session."""
    issued = sessions.session_start(user, ip="127.0.0.1", user_agent="pytest")
    client = Client()
    client.cookies["access_token"] = issued.access
    return client
