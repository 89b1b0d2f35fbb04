"""How Django runs under ASGI here: one thread per request for its whole chain, reused threads."""

from __future__ import annotations

import asyncio
import io
import threading
import warnings

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from channels.testing import HttpCommunicator
from django.db import connection
from django.http import FileResponse, HttpResponse
from django.test import override_settings
from django.urls import path

from kasamonitor.asgi_django import PooledThreads, SyncChainHandler

seen: list[tuple[str, int]] = []


class RecordingMiddleware:
    """A sync-only middleware, as the rate limiter and WhiteNoise are."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seen.append(("middleware", threading.get_ident()))
        return self.get_response(request)


def probe(request):
    seen.append(("view", threading.get_ident()))
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    seen.append(("connection", id(connection.connection)))
    return HttpResponse("ok")


urlpatterns = [path("probe", probe)]

CHAIN = [
    "django.middleware.common.CommonMiddleware",  # async-capable
    "tests.kasamonitor.test_asgi_django.RecordingMiddleware",  # sync only
    "django_otp.middleware.OTPMiddleware",  # async-capable
]


def _app(size: int):
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=CHAIN):
        return PooledThreads(SyncChainHandler(), size)


async def _get(app) -> int:
    with override_settings(ROOT_URLCONF=__name__):
        communicator = HttpCommunicator(app, "GET", "/probe", headers=[(b"host", b"127.0.0.1")])
        response = await communicator.get_response(timeout=10)
    return response["status"]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_request_runs_its_middleware_and_view_on_one_thread_that_the_next_reuses():
    app = _app(size=1)
    seen.clear()
    assert await _get(app) == 200
    assert await _get(app) == 200
    threads = {ident for kind, ident in seen if kind in ("middleware", "view")}
    assert len(threads) == 1 and threading.get_ident() not in threads
    # The second request found the first one's database connection open on that thread.
    connections = [ident for kind, ident in seen if kind == "connection"]
    assert len(connections) == 2 and connections[0] == connections[1]


@pytest.mark.asyncio
async def test_a_slow_request_holding_every_pooled_thread_does_not_stop_the_next():
    release = threading.Event()
    started = []

    async def app(scope, receive, send):  # a stand-in for Django: sync work on its thread
        def work():
            started.append(threading.get_ident())
            if len(started) == 1:
                release.wait(10)

        await sync_to_async(work)()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    pooled = PooledThreads(app, size=1)
    slow = asyncio.create_task(HttpCommunicator(pooled, "GET", "/").get_response(timeout=10))
    await asyncio.sleep(0.1)
    quick = await HttpCommunicator(pooled, "GET", "/").get_response(timeout=5)
    assert quick["status"] == 200 and len(started) == 2 and started[0] != started[1]
    release.set()
    assert (await slow)["status"] == 200
    await HttpCommunicator(pooled, "GET", "/").get_response(timeout=5)
    assert started[2] == started[0]  # the pooled thread is back; the extra one is gone


class CountingFile(io.BytesIO):
    """A file that remembers how much of it has been read."""

    read_so_far = 0

    def read(self, size=-1):
        data = super().read(size)
        CountingFile.read_so_far += len(data)
        return data


SIZE = 4 * 1024 * 1024


def download(request):
    return FileResponse(CountingFile(b"x" * SIZE), content_type="application/octet-stream")


urlpatterns.append(path("download", download))


@pytest.mark.asyncio
async def test_a_large_download_is_sent_block_by_block_not_read_whole_first():
    app = _app(size=1)
    CountingFile.read_so_far = 0
    with override_settings(ROOT_URLCONF=__name__), warnings.catch_warnings():
        warnings.simplefilter("error")  # Django warns when it has to read an iterator whole
        communicator = ApplicationCommunicator(app, {
            "type": "http", "method": "GET", "path": "/download", "query_string": b"",
            "headers": [(b"host", b"127.0.0.1")], "http_version": "1.1", "scheme": "http",
        })  # fmt: skip
        await communicator.send_input({"type": "http.request", "body": b""})
        start = await communicator.receive_output(timeout=10)
        first = await communicator.receive_output(timeout=10)
        read_when_first_block_left = CountingFile.read_so_far
        received = len(first["body"])
        while True:
            message = await communicator.receive_output(timeout=10)
            received += len(message.get("body", b""))
            if not message.get("more_body"):
                break
    assert start["status"] == 200 and received == SIZE
    assert read_when_first_block_left < SIZE // 4
