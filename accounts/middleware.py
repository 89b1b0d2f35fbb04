"""Ends a Django admin session whose login session has ended (see sessions.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import auth

from . import sessions


class ConsoleSessionMiddleware:
    """Log the admin console's cookie session out once its login session has ended.

    Sits right after AuthenticationMiddleware. Requests without Django's session cookie
    (the API, the web UI's pages) pass untouched.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.SESSION_COOKIE_NAME in request.COOKIES
            and auth.SESSION_KEY in request.session
            and sessions.console_session(request) is None
        ):
            auth.logout(request)  # flushes the session: the next page asks for a login
        return self.get_response(request)
