"""A small HTTP/1.1 keep-alive load generator (asyncio): N connections, latency per request."""

from __future__ import annotations

import asyncio
import time


async def _connection(host, port, path, headers, deadline, latencies, errors):
    reader, writer = await asyncio.open_connection(host, port)
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if b" 200 " not in status_line:
                errors.append(status_line)
    finally:
        writer.close()


async def load(host, port, path, *, connections=50, seconds=5.0, headers=None):
    """Return (latencies in seconds, error status lines) for `seconds` of closed-loop load."""
    latencies: list[float] = []
    errors: list[bytes] = []
    deadline = time.perf_counter() + seconds
    await asyncio.gather(
        *(
            _connection(host, port, path, headers or {}, deadline, latencies, errors)
            for _ in range(connections)
        )
    )
    return latencies, errors
