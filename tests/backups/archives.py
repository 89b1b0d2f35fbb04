"""Build damaged and malicious archives for the refusal tests (tests may use py7zr freely)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import py7zr


def unpack(path: Path, dest: Path, password: str | None = None) -> dict:
    with py7zr.SevenZipFile(path, "r", password=password) as archive:
        archive.extractall(dest)
    return json.loads((dest / "manifest.json").read_text())


def pack(dest: Path, manifest: dict, members: dict[str, bytes], password: str | None = None):
    """Write an archive with these exact member names (py7zr's own path check bypassed)."""
    filters = [{"id": py7zr.FILTER_DEFLATE}]
    if password:
        filters.append({"id": py7zr.FILTER_CRYPTO_AES256_SHA256})
    with py7zr.SevenZipFile(dest, "w", filters=filters, password=password) as archive:
        archive.writestr(json.dumps(manifest), "manifest.json")
        for name, data in members.items():
            archive._writef(io.BytesIO(data), name)
    return dest


def members_of(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
