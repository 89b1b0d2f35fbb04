"""Loopback peers for the monitoring tests: a webhook receiver, an RTSP responder, a TCP port."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 recording JSON POSTs; the first `fail_first` answer 503."""

    def __init__(self, fail_first: int = 0, fail_status: int = 503):
        self.received: list[dict] = []
        self.attempts = 0
        self.fail_first, self.fail_status = fail_first, fail_status
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.attempts += 1
                    failing = receiver.attempts <= receiver.fail_first
                    if not failing:
                        receiver.received.append(json.loads(body))
                self.send_response(receiver.fail_status if failing else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        return Handler

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class RtspResponder:
    """A minimal RTSP server on 127.0.0.1: answers OPTIONS and DESCRIBE, optionally behind
    Digest authentication (realm "cam", the given username/password), or with `basic=True`
    behind a Basic challenge it never accepts. `heads` keeps every request as received."""

    NONCE = "abc123"

    def __init__(self, username: str = "", password: str = "", *, basic: bool = False):
        self.username, self.password, self.basic = username, password, basic
        self.requests: list[str] = []
        self.heads: list[str] = []
        responder = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                while True:
                    head = b""
                    while not head.endswith(b"\r\n\r\n"):
                        line = self.rfile.readline()
                        if not line:
                            return
                        head += line
                    self.wfile.write(responder.answer(head.decode()).encode())

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/stream1") -> str:
        return f"rtsp://127.0.0.1:{self.port}{path}"

    def answer(self, head: str) -> str:
        self.heads.append(head)
        method, uri = head.split(" ")[:2]
        self.requests.append(method)
        cseq = re.search(r"CSeq: (\d+)", head)[1]
        if method == "OPTIONS":
            return f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n"
        if self.basic:
            challenge = 'Basic realm="cam"'
            return f"RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\nWWW-Authenticate: {challenge}\r\n\r\n"
        if self.password and not self._authorized(head, method, uri):
            challenge = f'Digest realm="cam", nonce="{self.NONCE}"'
            return f"RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\nWWW-Authenticate: {challenge}\r\n\r\n"
        sdp = "v=0\r\ns=Stream\r\n"
        return (
            f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nServer: TestCam\r\n"
            f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}"
        )

    def _authorized(self, head: str, method: str, uri: str) -> bool:
        match = re.search(r'Authorization: Digest .*response="([0-9a-f]+)"', head)
        if not match:
            return False
        md5 = lambda text: hashlib.md5(text.encode()).hexdigest()  # noqa: E731
        ha1 = md5(f"{self.username}:cam:{self.password}")
        return match[1] == md5(f"{ha1}:{self.NONCE}:{md5(f'{method}:{uri}')}")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class RecordingPeer:
    """A TCP service on 127.0.0.1 that never answers and keeps every byte it receives (what a
    Redis or any other plain-text service would have read)."""

    def __init__(self):
        self.received = bytearray()
        self.connections = 0
        peer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                peer.connections += 1
                self.request.settimeout(5)
                with contextlib.suppress(OSError):
                    while chunk := self.request.recv(4096):
                        peer.received += chunk

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class TcpListener:
    """A listening TCP socket on 127.0.0.1 that accepts and closes connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


def closed_port() -> int:
    """Return a loopback port nobody listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
