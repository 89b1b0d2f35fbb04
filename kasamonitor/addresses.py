"""Addresses people type in (camera, webhook and snapshot URLs, host names): checked and
re-serialised before they are stored, so what reaches the wire is what the checks saw.

A URL goes verbatim into an RTSP request line or an HTTP request, so a CR/LF in it would
start a second request to whatever listens there ("rtsp://127.0.0.1:6379/x\\r\\nSET k v"
talks to Redis). Control characters, whitespace and invisible format characters are
refused anywhere in an address, never silently stripped.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

HOSTNAME = re.compile(
    r"(?=.{1,253}\Z)[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*"
)
# Characters that may stay as they are in a path, query or fragment; the rest is %-encoded.
_SAFE_PART = "/:@!$&'()*+,;=-._~%?"
DEFAULT_PORTS = {"http": 80, "https": 443, "rtsp": 554, "rtsps": 322}


class AddressError(ValueError):
    """The address is refused; the message says why, in words for the person who typed it."""


@dataclass(frozen=True)
class CleanUrl:
    url: str  # re-serialised, user info included when there was some
    bare: str  # the same without user info
    scheme: str
    host: str
    port: int  # the explicit port, or the scheme's default
    username: str | None  # %-decoded
    password: str | None


def unsafe_character(value: str) -> str | None:
    """Return a description of the first control, whitespace or format character, or None."""
    for ch in value:
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            return f"U+{ord(ch):04X}"
    return None


def _refuse_unsafe(value: str) -> None:
    found = unsafe_character(value)
    if found:
        raise AddressError(f"No spaces or control characters allowed (found {found}).")


def clean_host(value: str) -> str:
    """Return the IP address (normalised) or host name; raise AddressError otherwise."""
    if not isinstance(value, str) or not value:
        raise AddressError("Enter an IP address or a host name.")
    _refuse_unsafe(value)
    try:
        return str(ipaddress.ip_address(value.strip("[]") if ":" in value else value))
    except ValueError:
        pass
    if not value.isascii():  # an internationalised name: its ASCII (punycode) form
        try:
            value = value.encode("idna").decode("ascii")
        except UnicodeError:
            raise AddressError("Enter an IP address or a host name.") from None
    if HOSTNAME.fullmatch(value):
        return value.lower()
    raise AddressError("Enter an IP address or a host name.")


def clean_url(value: str, *, schemes: tuple[str, ...], credentials: bool = True) -> CleanUrl:
    """Parse, check and re-serialise a URL with one of `schemes` and a host."""
    if not isinstance(value, str) or not value:
        raise AddressError("Enter a URL.")
    _refuse_unsafe(value)
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme not in schemes or not parts.hostname:
        raise AddressError(f"Enter a {' or '.join(s + '://' for s in schemes)} URL with a host.")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise AddressError("The port is not a number 1-65535.")
    if not credentials and (parts.username is not None or parts.password is not None):
        raise AddressError("Put credentials in username/password, not in the URL.")
    host = clean_host(parts.hostname)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    path, query, fragment = (quote(p, safe=_SAFE_PART) for p in parts[2:])
    bare = urlunsplit((scheme, netloc, path, query, fragment))
    if parts.username is not None or parts.password is not None:
        userinfo = parts.netloc.rpartition("@")[0]  # as typed: %-escapes kept
        netloc = f"{quote(userinfo, safe='%:!$&()*+,;=-._~')}@{netloc}"
    return CleanUrl(
        url=urlunsplit((scheme, netloc, path, query, fragment)),
        bare=bare,
        scheme=scheme,
        host=host,
        port=port or DEFAULT_PORTS.get(scheme, 0),
        username=None if parts.username is None else unquote(parts.username),
        password=None if parts.password is None else unquote(parts.password),
    )
