"""ASGI entry point: Django for HTTP, Channels for the /ws/ WebSocket routes."""

import gc
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kasamonitor.settings")
django.setup(set_prefix=False)  # as get_asgi_application(): before importing consumers

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from accounts.ws_auth import JWTAuthMiddleware  # noqa: E402
from devices import socketio_server  # noqa: E402
from devices.routing import websocket_urlpatterns  # noqa: E402
from kasamonitor.asgi_body import BodyLimit  # noqa: E402
from kasamonitor.asgi_django import PooledThreads, SyncChainHandler  # noqa: E402
from kasamonitor.asgi_health import HealthFastPath  # noqa: E402
from kasamonitor.asgi_sockets import HttpsOnlySockets, SocketGuard  # noqa: E402

django_asgi_app = BodyLimit(PooledThreads(SyncChainHandler(), settings.WEB_THREADS))

socket_routes = SocketGuard(
    AllowedHostsOriginValidator(JWTAuthMiddleware(URLRouter(websocket_urlpatterns)))
)
application = HttpsOnlySockets(  # require_https holds for live sockets too
    socketio_server.asgi_app(  # /socket.io/: the spec's Socket.IO transport
        HealthFastPath(ProtocolTypeRouter({"http": django_asgi_app, "websocket": socket_routes}))
    )
)

# Everything imported so far lives as long as the process: move it out of the collector's
# reach, so full collections no longer walk it (they showed as p99 spikes under load).
gc.freeze()

# A request needs the GIL back after each database or Redis call; while a long request (a
# year's costs, a year of history) computes in another thread, CPython's default 5-ms switch
# interval made each of those waits up to 5 ms (other requests' p99 31-36 ms during costs
# reports, issue 12); at 0.2 ms: 13-18 ms, and the long requests were not slower.
sys.setswitchinterval(0.0002)
