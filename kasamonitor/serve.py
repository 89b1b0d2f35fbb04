"""Run the web process on $HOST:$PORT, with TLS when $KASA_DATA_DIR/ssl holds cert.pem and
key.pem: uvicorn by default, daphne with WEB_SERVER=daphne.

Both serve the same ASGI application (kasamonitor.asgi), HTTP and WebSockets, with the
same TLS files, the same trusted proxies and no Server header. uvicorn (uvloop, httptools)
is the default because it is measured several times faster here (docs/architecture.md,
"The web server"); daphne, DESIGN.md's first choice, stays supported and tested
(tests/kasamonitor/test_web_servers.py). WEB_WORKERS > 1 runs that many uvicorn processes
on the same port; daphne serves from one process.

TLS is used only when the two files parse and belong together (a key made for a CSR
whose certificate is not uploaded yet must not stop the web process); otherwise the
reason is printed and plain HTTP is served. X-Forwarded-For and X-Forwarded-Proto are
trusted only with BEHIND_PROXY=1, and then only from the proxies in FORWARDED_ALLOW_IPS
(default 127.0.0.1): the client address is the right-most hop no trusted proxy added, so a
client cannot pick the address the rate limits and the audit log see.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from kasamonitor import env

APP = "kasamonitor.asgi:application"
SERVED_CHAIN = ".served-fullchain.pem"  # cert.pem + chain.pem, written when they are apart


def tls_files(ssl_dir: Path) -> tuple[Path, Path, Path | None] | None:
    """Return (cert, key, chain or None) when TLS can be used, else None."""
    from security.pem import files_match

    cert, key, chain = ssl_dir / "cert.pem", ssl_dir / "key.pem", ssl_dir / "chain.pem"
    if not (cert.is_file() and key.is_file()):
        return None
    if not files_match(cert, key):
        sys.stderr.write(f"serve: {cert} and {key} do not match; serving plain HTTP\n")
        return None
    return cert, key, chain if chain.is_file() else None


def _certificate_file(cert: Path, chain: Path | None) -> Path:
    """The file that hands clients the whole chain: Python's TLS reads one certfile only."""
    if chain is None:
        return cert
    leaf, intermediates = cert.read_bytes(), chain.read_bytes()
    if intermediates.strip() in leaf:  # uploads through the API already keep both in cert.pem
        return cert
    served = cert.parent / SERVED_CHAIN
    served.write_bytes(leaf.rstrip(b"\n") + b"\n" + intermediates)
    return served


DEFAULT_PROXIES = "127.0.0.1"


def trusted_proxies(value: str | None) -> list[str]:
    """Parse FORWARDED_ALLOW_IPS (addresses or networks, comma-separated); refuse "*"."""
    proxies = [item.strip() for item in (value or DEFAULT_PROXIES).split(",") if item.strip()]
    if not proxies or "*" in proxies:
        raise ValueError(
            "FORWARDED_ALLOW_IPS must list the proxy's addresses or networks (e.g. "
            "127.0.0.1 or 172.18.0.0/16); '*' would let every client pick its own address"
        )
    return proxies


def server_options(
    host: str,
    port: int,
    ssl_dir: Path,
    *,
    proxy: bool = False,
    proxies: str | None = None,
    workers: int = 1,
) -> dict:
    """Keyword arguments for uvicorn.run: one home for how the web process listens."""
    from kasamonitor.ws_protocol import WebSocketProtocol

    options = {
        "host": host,
        "port": port,
        "workers": workers,
        "loop": "uvloop",
        "http": "httptools",
        "ws": WebSocketProtocol,  # uvicorn's websockets-sansio, plus a poll's frames in one write
        # No permessage-deflate: live events are small JSON frames on a local network, and
        # compressing each frame once per socket (a browser asks for it) would multiply the
        # CPU of a poll's fan-out by the number of dashboards.
        "ws_per_message_deflate": False,
        "ws_max_size": 1024 * 1024,  # our consumers take small JSON commands only
        "lifespan": "off",  # Channels' router has no lifespan protocol; nothing needs it
        "log_config": None,  # Django's LOGGING formats every line (one JSON object each)
        "access_log": False,  # RequestIdMiddleware logs each request with its id
        "server_header": False,
        "proxy_headers": proxy,
        # Without BEHIND_PROXY uvicorn must not read the headers at all (on its own it
        # would trust them from 127.0.0.1); with it, only from the listed proxies.
        "forwarded_allow_ips": trusted_proxies(proxies) if proxy else None,
        "timeout_graceful_shutdown": 5,  # Ctrl-C must not wait on open WebSockets
    }
    tls = tls_files(ssl_dir)
    if tls:
        cert, key, chain = tls
        options["ssl_certfile"] = str(_certificate_file(cert, chain))
        options["ssl_keyfile"] = str(key)
    return options


def _escaped(path: Path) -> str:
    # Twisted endpoint strings separate options with ":"; a path may contain one.
    return str(path).replace("\\", "\\\\").replace(":", "\\:")


def daphne_endpoint(host: str, port: int, ssl_dir: Path) -> str:
    """The Twisted endpoint daphne listens on: tcp, or ssl with the same files as uvicorn."""
    interface = host.strip("[]").replace(":", "\\:")
    tls = tls_files(ssl_dir)
    if not tls:
        return f"tcp:port={port}:interface={interface}"
    cert, key, chain = tls
    served = _certificate_file(cert, chain)
    endpoint = f"ssl:port={port}:interface={interface}:privateKey={_escaped(key)}"
    endpoint += f":certKey={_escaped(cert)}"
    if served.read_bytes().count(b"BEGIN CERTIFICATE") > 1:  # certKey takes the leaf only
        endpoint += f":extraCertChain={_escaped(served)}"
    return endpoint


def daphne_server(host: str, port: int, ssl_dir: Path, *, proxy: bool, proxies: str | None):
    """A daphne Server for the same application, listening as uvicorn would."""
    from daphne.server import Server  # first: it installs Twisted's asyncio reactor
    from django.utils.module_loading import import_string
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    app = import_string(APP.replace(":", "."))
    if proxy:  # uvicorn's own rule (trusted hosts only), as an ASGI middleware
        app = ProxyHeadersMiddleware(app, trusted_hosts=trusted_proxies(proxies))
    return Server(
        application=app,
        endpoints=[daphne_endpoint(host, port, ssl_dir)],
        action_logger=None,  # RequestIdMiddleware logs each request with its id
        verbosity=0,  # Django's LOGGING formats every line
        websocket_timeout=-1,  # a dashboard's socket stays open as long as it likes
        websocket_max_message_size=1024 * 1024,  # our consumers take small JSON commands
        application_close_timeout=5,  # Ctrl-C must not wait on open WebSockets
        server_name="",  # no Server header, as with uvicorn
    )


def metrics_dir(data_dir: Path, port: int) -> None:
    """With /metrics on, the web processes keep their figures in files of one folder
    (prometheus_client's multi-process mode), emptied at start: WEB_WORKERS > 1 share a
    port, and whichever answers a scrape must report them all (docs/integrations.md)."""
    if not any(os.environ.get(k) for k in ("METRICS_TOKEN", "METRICS_TOKEN_FILE",
                                            "METRICS_ALLOWED_IPS")):  # fmt: skip
        return
    folder = data_dir / "metrics" / f"web-{port}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o700)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def prepare(workers: int) -> None:
    """Under `make run` ($KASA_PREPARED_FILE set): migrate and collect static as needed
    before serving (kasamonitor/prepare.py). In this process, whose Django set-up the
    server then uses when there was nothing to do; with several uvicorn processes in a
    child, so that their parent, which only watches them, does not hold Django."""
    if not os.environ.get("KASA_PREPARED_FILE"):
        return
    if workers > 1:
        subprocess.run([sys.executable, "-m", "kasamonitor.prepare"], check=True)
        return
    import django

    from kasamonitor.prepare import prepare_for_launcher

    django.setup(set_prefix=False)  # as kasamonitor/asgi.py does
    if prepare_for_launcher():
        # migrate leaves 10-15 MiB behind (every migration module and model state); the
        # server starts in a fresh process instead (same pid, so make run's supervisor
        # sees nothing), whose check then finds nothing to do. A new SQLite database made
        # from the schema file and collectstatic leave well under 1 MiB: no second start.
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os.execv(sys.executable, [sys.executable, "-m", "kasamonitor.serve"])


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kasamonitor.settings")
    sys.path.insert(0, str(env.BASE_DIR))
    host, port, ssl_dir = env.host(), env.port(), env.data_dir() / "ssl"
    proxy, proxies = env.behind_proxy(), env.forwarded_allow_ips()
    try:
        if env.web_server() == "daphne":
            if env.web_workers() > 1:
                raise ValueError(
                    "daphne serves from one process: set WEB_WORKERS=1, or use uvicorn"
                )
            server = daphne_server(host, port, ssl_dir, proxy=proxy, proxies=proxies)
        else:
            options = server_options(
                host, port, ssl_dir, proxy=proxy, proxies=proxies, workers=env.web_workers()
            )
    except ValueError as exc:
        sys.exit(f"serve: {exc}")
    prepare(env.web_workers())
    if env.web_server() == "daphne":
        metrics_dir(env.data_dir(), port)
        server.run()
    else:
        import uvicorn

        metrics_dir(env.data_dir(), options["port"])
        uvicorn.run(APP, **options)


if __name__ == "__main__":
    main()
