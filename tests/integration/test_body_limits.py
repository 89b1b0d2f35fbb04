"""An oversize body is refused while it arrives, not after the server has stored it all
(issue 18 item 9): a chunked upload without a length, like /dev/zero piped to curl."""

from __future__ import annotations

import json
import select
import socket

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CHUNK = b"0" * 65536
ENDLESS = 200 * 1024 * 1024  # what the client would send if nothing stopped it


def _chunked_post(port: int, path: str, content_type: str) -> tuple[int, dict, int]:
    """POST an endless chunked body; return (status, error body, bytes sent before the
    server answered or closed the connection)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    sock.sendall(head.encode())
    sent = 0
    answer = b""
    frame = b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK)
    sock.settimeout(5)
    while sent < ENDLESS:
        if select.select([sock], [], [], 0)[0]:  # the server answered (or closed)
            break
        try:
            sock.sendall(frame)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            break  # it stopped reading: the answer is waiting
        sent += len(CHUNK)
    sock.setblocking(True)
    sock.settimeout(10)
    try:
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    except OSError:
        pass
    sock.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, json.loads(body) if body.strip().startswith(b"{") else {}, sent


@pytest.mark.parametrize(
    ("path", "content_type", "limit_mb"),
    [
        ("/api/auth/login", "application/json", 2),  # a JSON body: 2 MB
        ("/api/system/ssl/upload-cert", "multipart/form-data; boundary=x", 10),  # uploads: 10 MB
    ],
)
def test_an_endless_chunked_body_is_refused_once_it_passes_the_routes_limit(
    live_server_url, path, content_type, limit_mb
):
    port = int(live_server_url.rsplit(":", 1)[1])
    status, error, sent = _chunked_post(port, path, content_type)
    assert status == 413, (status, error)
    assert error["error_code"] == "PAYLOAD_TOO_LARGE"
    assert limit_mb * 2**20 <= error["limit_bytes"] < (limit_mb + 1) * 2**20
    # Answered when the limit was passed: the client got no further than the limit plus
    # what the sockets' buffers held, nowhere near what it meant to send.
    assert sent < (limit_mb + 16) * 2**20, sent


def test_a_declared_oversize_body_is_refused_before_it_is_sent(live_server_url):
    port = int(live_server_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n"
        )
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_body_within_the_limit_still_reaches_the_view(live_server_url):
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        live_server_url + "/api/auth/login",
        data=json.dumps(
            {"username": "nobody", "password": "x" * 100, "pad": "y" * 500_000}
        ).encode(),
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code in (401, 429)  # a 500-KB body: the view judged the credentials
