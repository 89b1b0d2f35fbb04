"""How Django serves HTTP under ASGI here: one thread hop per request, on reused threads.

Three costs of Django's stock ASGI handler, the first two measured on GET /api/devices
(py-spy):
- Its middleware chain mixes sync-only middleware (rate limits, WhiteNoise) with
  async-capable ones, so a request crossed between the event loop and a worker thread
  several times (async_to_sync inside sync_to_async), ~40 % of the request's time.
  `SyncChainHandler` runs the whole chain and the view synchronously in ONE
  sync_to_async call, exactly as under WSGI. No view here is async.
- Every request got a new thread-sensitive context, i.e. a new thread, so it also
  opened a new database connection (connections are per thread) that CONN_MAX_AGE could
  never keep. `PooledThreads` lends each request one of WEB_THREADS long-lived
  single-thread executors for its whole life (asgiref lets the caller own a context's
  executor), so Django's thread-sensitive guarantee holds (all of one request's sync code
  runs on one thread) and connections are reused. When all are busy (slow downloads,
  long reports) a request gets a thread of its own, as before, and closes its database
  connections when it ends: nothing ever waits for a pooled thread.
- A streaming response with a sync iterator (FileResponse: export and backup downloads,
  WhiteNoise's static files) is read WHOLE into memory by Django under ASGI before the
  first byte goes out. `run_get_response` hands the server an async iterator that reads
  one block at a time off the event loop instead.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler
from django.db import connections
from django.http import FileResponse


class SyncChainHandler(ASGIHandler):
    def __init__(self):
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    async def run_get_response(self, request):
        response = await sync_to_async(self.get_response, thread_sensitive=True)(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):  # as ASGIHandler: the server chunks the body
            response.block_size = self.chunk_size
        if response.streaming and not response.is_async:
            response.streaming_content = _read_off_the_loop(response.streaming_content)
        return response


async def _read_off_the_loop(chunks):
    """Yield a sync iterator's chunks, each read in a worker thread."""
    step = partial(next, chunks, None)
    while (chunk := await sync_to_async(step, thread_sensitive=False)()) is not None:
        yield chunk


class PooledThreads:
    def __init__(self, app, size: int):
        self.app = app
        self.size = size
        self._free: asyncio.LifoQueue | None = None
        self._loop = None

    def _pool(self) -> asyncio.LifoQueue:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # made on the server's loop (tests may bring new loops)
            self._loop, self._free = loop, asyncio.LifoQueue()
            for number in range(self.size):
                self._free.put_nowait(
                    ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"request-{number}")
                )
        return self._free

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        free = self._pool()
        if free.empty():
            return await self._on_own_thread(scope, receive, send)
        executor = free.get_nowait()  # LIFO: the thread used last has a warm connection
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.app(scope, receive, send)
        finally:
            free.put_nowait(executor)

    async def _on_own_thread(self, scope, receive, send):
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="request-extra")
        try:
            async with ThreadSensitiveContext(executor=executor):
                try:
                    await self.app(scope, receive, send)
                finally:
                    await sync_to_async(connections.close_all)()  # the thread ends here
        finally:
            executor.shutdown(wait=False)
