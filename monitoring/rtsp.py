"""A tiny RTSP client: OPTIONS then DESCRIBE over TCP, enough to tell whether a camera is up.

Any RTSP answer means the camera is online; a 401 to DESCRIBE means online but the
credentials are missing or wrong. Refused, timed out or not RTSP at all means offline.
rtsps:// is spoken over TLS (certificate checked); a Basic challenge, which would hand the
password over as it is, is answered only there.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
import ssl
import time
from contextlib import suppress
from dataclasses import dataclass, field, replace

from kasamonitor.addresses import AddressError, clean_url

from .netcheck import failure_category

SCHEMES = ("rtsp", "rtsps")
USER_AGENT = "KasaMonitor"
MAX_HEAD = 16 * 1024
MAX_BODY = 64 * 1024


class RtspProtocolError(Exception):
    """The peer did not answer like an RTSP server."""


@dataclass(frozen=True)
class RtspResponse:
    code: int
    reason: str
    headers: dict[str, list[str]] = field(default_factory=dict)
    withheld: bool = False  # we had credentials but did not answer the challenge

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else ""


@dataclass(frozen=True)
class RtspProbe:
    status: str  # "online" or "offline"
    auth_required: bool = False
    code: int | None = None
    server: str = ""
    detail: str = ""
    latency_ms: float | None = None


def split_url(url: str) -> tuple[str, int, bool]:
    """Return (host, port, tls); refuse anything but a clean rtsp(s):// URL, so no stored
    value can put a CR/LF (a second request) on the wire."""
    try:
        parsed = clean_url(url, schemes=SCHEMES, credentials=False)
    except AddressError as exc:
        raise ValueError(f"invalid camera URL: {exc}") from exc
    return parsed.host, parsed.port, parsed.scheme == "rtsps"


async def probe(url: str, *, username: str = "", password: str = "", timeout: float = 3.0):
    """Return an RtspProbe for the stream at url (no password in url)."""
    started = time.perf_counter()
    try:
        host, port, tls = split_url(url)
    except ValueError as exc:
        return RtspProbe("offline", detail=str(exc))
    try:
        response = await asyncio.wait_for(
            _options_describe(host, port, tls, url, username, password), timeout
        )
    except RtspProtocolError as exc:
        return RtspProbe("offline", detail=str(exc))  # our own words about the answer
    except ssl.SSLCertVerificationError:  # an OSError and a ValueError: before both
        return RtspProbe("offline", detail="TLS certificate not trusted")
    except ssl.SSLError:
        return RtspProbe("offline", detail="TLS handshake failed")
    except ValueError:
        return RtspProbe("offline", detail="not an RTSP answer")
    except (TimeoutError, OSError) as exc:
        return RtspProbe("offline", detail=failure_category(exc, timeout))
    latency = round((time.perf_counter() - started) * 1000, 2)
    return _verdict(response, bool(username or password), latency)


def _verdict(response: RtspResponse, had_credentials: bool, latency: float) -> RtspProbe:
    server = response.header("server")[:100]
    if response.code == 401:
        detail = "credentials rejected" if had_credentials else "authentication required"
        if had_credentials and response.withheld:
            detail = (
                "the camera asks for Basic authentication over plain rtsp://: password not sent"
            )
        return RtspProbe("online", True, 401, server, detail, latency)
    detail = "stream described" if response.code < 300 else f"DESCRIBE answered {response.code}"
    return RtspProbe("online", False, response.code, server, detail, latency)


async def _options_describe(host, port, tls, url, username, password) -> RtspResponse:
    context = ssl.create_default_context() if tls else None
    reader, writer = await asyncio.open_connection(host, port, ssl=context)
    try:
        await _request(reader, writer, "OPTIONS", url, 1, {})
        accept = {"Accept": "application/sdp"}
        response = await _request(reader, writer, "DESCRIBE", url, 2, accept)
        if response.code == 401 and (username or password):
            auth = authorization(response, "DESCRIBE", url, username, password, tls=tls)
            if auth:
                headers = {**accept, "Authorization": auth}
                response = await _request(reader, writer, "DESCRIBE", url, 3, headers)
            else:
                response = replace(response, withheld=True)
        return response
    finally:
        writer.close()
        with suppress(OSError):
            await writer.wait_closed()


async def _request(reader, writer, method, url, cseq, headers) -> RtspResponse:
    lines = [f"{method} {url} RTSP/1.0", f"CSeq: {cseq}", f"User-Agent: {USER_AGENT}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    return await read_response(reader)


async def read_response(reader: asyncio.StreamReader) -> RtspResponse:
    """Read one RTSP response head (and skip its body)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        raise RtspProtocolError("connection closed before an RTSP answer") from exc
    if len(head) > MAX_HEAD:
        raise RtspProtocolError("RTSP answer head too large")
    response = parse_head(head.decode("latin-1"))
    length = int(response.header("content-length") or 0)
    if 0 < length <= MAX_BODY:
        await reader.readexactly(length)
    return response


def parse_head(text: str) -> RtspResponse:
    status, *header_lines = text.strip("\r\n").split("\r\n")
    match = re.match(r"RTSP/\d\.\d (\d{3}) ?(.*)", status)
    if not match:
        raise RtspProtocolError("not an RTSP server")
    headers: dict[str, list[str]] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return RtspResponse(int(match[1]), match[2], headers)


def authorization(
    response: RtspResponse, method: str, uri: str, user: str, pwd: str, *, tls: bool = False
) -> str:
    """Answer a 401 challenge: Digest when offered (most cameras), else Basic over TLS only
    (Basic is the password itself, readable by anyone on the path); "" when not answered."""
    challenges = response.headers.get("www-authenticate", [])
    digest = next((c for c in challenges if c.lower().startswith("digest")), None)
    if digest:
        params = {k: quoted or bare for k, quoted, bare in _PARAM.findall(digest[6:])}
        return _digest(params, method, uri, user, pwd)
    if tls and any(c.lower().startswith("basic") for c in challenges):
        return "Basic " + base64.b64encode(f"{user}:{pwd}".encode()).decode()
    return ""


_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _digest(params: dict[str, str], method: str, uri: str, user: str, pwd: str) -> str:
    realm, nonce = params.get("realm", ""), params.get("nonce", "")
    ha1, ha2 = _md5(f"{user}:{realm}:{pwd}"), _md5(f"{method}:{uri}")
    value = f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}"'
    if "auth" in params.get("qop", "").split(","):
        cnonce = secrets.token_hex(8)
        answer = _md5(f"{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}")
        return f'{value}, response="{answer}", qop=auth, nc=00000001, cnonce="{cnonce}"'
    return f'{value}, response="{_md5(f"{ha1}:{nonce}:{ha2}")}"'
