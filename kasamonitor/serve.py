"""Run the web process (uvicorn) on $HOST:$PORT, with TLS when $KASA_DATA_DIR/ssl holds
cert.pem and key.pem.

uvicorn with uvloop and httptools serves HTTP and WebSockets (Channels) from one process:
daphne, DESIGN.md's first choice, tops out near 2,500 requests/s on one core here, so
issue 2's budget for /health (p99 under 10 ms at 50 connections) was out of reach; the
figures are in docs/performance.md.

TLS is used only when the two files parse and belong together (a key made for a CSR
whose certificate is not uploaded yet must not stop the web process); otherwise the
reason is printed and plain HTTP is served. X-Forwarded-For and X-Forwarded-Proto are
trusted only with BEHIND_PROXY=1, and then only from the proxies in FORWARDED_ALLOW_IPS
(default 127.0.0.1): the client address is the right-most hop no trusted proxy added, so a
client cannot pick the address the rate limits and the audit log see.
WEB_WORKERS > 1 runs that many web processes on the same port (production).
"""

from __future__ import annotations

import os
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
    options = {
        "host": host,
        "port": port,
        "workers": workers,
        "loop": "uvloop",
        "http": "httptools",
        "ws": "websockets-sansio",
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


def main() -> None:
    import uvicorn

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kasamonitor.settings")
    try:
        options = server_options(
            env.host(),
            env.port(),
            env.data_dir() / "ssl",
            proxy=env.behind_proxy(),
            proxies=env.forwarded_allow_ips(),
            workers=env.web_workers(),
        )
    except ValueError as exc:
        sys.exit(f"serve: {exc}")
    sys.path.insert(0, str(env.BASE_DIR))
    uvicorn.run(APP, **options)


if __name__ == "__main__":
    main()
