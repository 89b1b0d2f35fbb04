"""Reachability by TCP connect, with a timeout, for network hosts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class TcpCheck:
    reachable: bool
    latency_ms: float | None = None
    error: str = ""


async def tcp_check(host: str, port: int, timeout: float) -> TcpCheck:
    """Connect to host:port and close again; refused or timed out means unreachable."""
    started = time.perf_counter()
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (TimeoutError, OSError) as exc:
        return TcpCheck(False, error=failure_category(exc, timeout))
    latency = round((time.perf_counter() - started) * 1000, 2)
    writer.close()
    with suppress(OSError):
        await writer.wait_closed()
    return TcpCheck(True, latency_ms=latency)


def failure_category(exc: BaseException, timeout: float) -> str:
    """Say why a connection failed in one of three words, never the OS's own text.

    The OS's message (no route to host, network unreachable, host down, the address it
    tried) would turn host and camera checks into a tool for mapping the network; whether
    something refused, stayed silent or could not be reached is all an operator needs.
    """
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return "unreachable"


async def bounded_gather(coros: Iterable[Awaitable[T]], limit: int) -> list[T]:
    """Await coroutines with at most `limit` running at once; results keep their order."""
    semaphore = asyncio.Semaphore(limit)

    async def one(coro: Awaitable[T]) -> T:
        async with semaphore:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))
