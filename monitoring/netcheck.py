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
    except TimeoutError:
        return TcpCheck(False, error=f"timed out after {timeout:g} s")
    except OSError as exc:
        return TcpCheck(False, error=(exc.strerror or str(exc))[:200])
    latency = round((time.perf_counter() - started) * 1000, 2)
    writer.close()
    with suppress(OSError):
        await writer.wait_closed()
    return TcpCheck(True, latency_ms=latency)


async def bounded_gather(coros: Iterable[Awaitable[T]], limit: int) -> list[T]:
    """Await coroutines with at most `limit` running at once; results keep their order."""
    semaphore = asyncio.Semaphore(limit)

    async def one(coro: Awaitable[T]) -> T:
        async with semaphore:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))
