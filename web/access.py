"""Who is looking at a page: the user of the HTTP-only access cookie, as the API sees it.

The pages' forms post to views decorated here; Django's CsrfViewMiddleware checks their
{% csrf_token %} (the API's cookie mode checks the X-CSRFToken header of the scripts). A
missing, expired or revoked token makes the visitor anonymous; anonymous visitors go to
/login?next=..., whose script first tries a silent cookie refresh.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from accounts.authentication import ACCESS_COOKIE, authenticate_token
from accounts.permissions import has_permission
from accounts.roles import ADMIN
from kasamonitor.errors import ApiError

from .context import layout

LOGIN_URL = "/login"


def cookie_user(request):
    """Return the active user of the request's access cookie, or None."""
    raw = request.COOKIES.get(ACCESS_COOKIE)
    if not raw:
        return None
    try:
        user, token = authenticate_token(raw)
    except (ApiError, ValueError, KeyError):
        return None
    if not user.is_active:
        return None
    request.auth = token
    return user


def page(permission: str | None = None, *, admin: bool = False):
    """Decorate a page view: log in first, then need `permission` (or the admin role)."""

    def decorate(view):
        @wraps(view)
        @ensure_csrf_cookie  # the pages' scripts send it back as X-CSRFToken
        def wrapper(request, *args, **kwargs):
            user = cookie_user(request)
            if user is None:
                return redirect_to_login(request.get_full_path(), LOGIN_URL)
            request.user = user
            allowed = user.role == ADMIN if admin else has_permission(user, permission or "")
            if (admin or permission) and not allowed:
                return render(request, "web/forbidden.html", layout(request), status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def public(view):
    """Decorate a page anyone may open (login, setup, password reset)."""

    @wraps(view)
    @ensure_csrf_cookie
    def wrapper(request, *args, **kwargs):
        user = cookie_user(request)
        if user is not None:
            request.user = user
        return view(request, *args, **kwargs)

    return wrapper
