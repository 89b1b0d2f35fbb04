"""A loopback stand-in for a newer (KLAP v2) Kasa device: it completes the KLAP handshake
only for a client that knows its owner's TP-Link credentials, and counts such logins.

KLAP v2: handshake1 receives the client's 16-byte seed and answers our seed followed by
sha256(client seed + our seed + auth hash); handshake2 receives
sha256(our seed + client seed + auth hash), which only a client holding the credentials
can compute. auth hash = sha256(sha1(username) + sha1(password)).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _sha(name: str, data: bytes) -> bytes:
    return hashlib.new(name, data).digest()


class KlapPeer:
    def __init__(self, username: str, password: str, host: str = "127.0.0.1"):
        self.auth_hash = _sha(
            "sha256", _sha("sha1", username.encode()) + _sha("sha1", password.encode())
        )
        self.handshakes = 0  # handshake1 requests: a client tried to talk to us
        self.logins = 0  # handshake2 proofs made with the owner's credentials
        self._seeds: dict[bytes, bytes] = {}
        self.server = ThreadingHTTPServer((host, 0), self._handler())
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def host(self) -> str:
        return self.server.server_address[0]

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def connection(self) -> dict:
        """What discovery stores for such a device (Device.connection)."""
        return {"device_family": "SMART.KASAPLUG", "encryption_type": "KLAP",
                "login_version": 2, "http_port": self.port}  # fmt: skip

    def _handler(self):
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path.startswith("/app/handshake1"):
                    peer.handshakes += 1
                    ours = secrets.token_bytes(16)
                    peer._seeds[body + ours] = ours
                    proof = _sha("sha256", body + ours + peer.auth_hash)
                    return self._answer(200, ours + proof, cookie=True)
                if self.path.startswith("/app/handshake2"):
                    for pair in list(peer._seeds):
                        theirs, ours = pair[:16], pair[16:]
                        if body == _sha("sha256", ours + theirs + peer.auth_hash):
                            peer.logins += 1
                            return self._answer(200, b"")
                    return self._answer(403, b"")
                return self._answer(500, b"")  # no device behind: requests after login fail

            def _answer(self, status: int, data: bytes, cookie: bool = False):
                self.send_response(status)
                if cookie:
                    self.send_header("Set-Cookie", "TP_SESSIONID=test;TIMEOUT=86400")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
