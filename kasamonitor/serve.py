"""Run daphne on $HOST:$PORT, with TLS when $KASA_DATA_DIR/ssl holds cert.pem and key.pem."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def daphne_args(host: str, port: str, ssl_dir: Path) -> list[str]:
    cert, key = ssl_dir / "cert.pem", ssl_dir / "key.pem"
    args = [sys.executable, "-m", "daphne", "--proxy-headers"]
    if cert.is_file() and key.is_file():
        endpoint = f"ssl:port={port}:interface={host}:privateKey={key}:certKey={cert}"
        return [*args, "-e", endpoint, "kasamonitor.asgi:application"]
    return [*args, "-b", host, "-p", port, "kasamonitor.asgi:application"]


def main() -> None:
    base = Path(__file__).resolve().parent.parent
    data_dir = Path(os.environ.get("KASA_DATA_DIR", base / "var"))
    args = daphne_args(
        os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "5272"), data_dir / "ssl"
    )
    os.execv(args[0], args)


if __name__ == "__main__":
    main()
