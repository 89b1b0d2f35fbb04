"""Run daphne on $HOST:$PORT, with TLS when $KASA_DATA_DIR/ssl holds cert.pem and key.pem.

TLS is used only when the two files parse and belong together (a key made for a CSR
whose certificate is not uploaded yet must not stop the web process); otherwise the
reason is printed and daphne serves plain HTTP. X-Forwarded-For is trusted only with
BEHIND_PROXY=1: without a proxy anyone could pick the client address the rate limits see.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _escape(path: Path) -> str:
    """Quote a path for a Twisted endpoint string (':' and '=' separate its fields)."""
    return str(path).replace("\\", "\\\\").replace(":", "\\:").replace("=", "\\=")


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


def daphne_args(host: str, port: str, ssl_dir: Path, proxy: bool = False) -> list[str]:
    args = [sys.executable, "-m", "daphne", *(["--proxy-headers"] if proxy else [])]
    tls = tls_files(ssl_dir)
    if tls:
        cert, key, chain = tls
        endpoint = (
            f"ssl:port={port}:interface={host}:privateKey={_escape(key)}:certKey={_escape(cert)}"
        )
        if chain:
            endpoint += f":extraCertChain={_escape(chain)}"
        return [*args, "-e", endpoint, "kasamonitor.asgi:application"]
    return [*args, "-b", host, "-p", port, "kasamonitor.asgi:application"]


def main() -> None:
    base = Path(__file__).resolve().parent.parent
    data_dir = Path(os.environ.get("KASA_DATA_DIR", base / "var"))
    proxy = os.environ.get("BEHIND_PROXY", "").lower() in ("1", "true", "yes", "on")
    args = daphne_args(
        os.environ.get("HOST", "127.0.0.1"),
        os.environ.get("PORT", "5272"),
        data_dir / "ssl",
        proxy=proxy,
    )
    os.execv(args[0], args)


if __name__ == "__main__":
    main()
