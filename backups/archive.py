"""The only module that talks to py7zr: write backup archives and read them back safely."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kasamonitor.lazy import lazy_import

py7zr = lazy_import("py7zr")  # loaded by the first archive written or read

MANIFEST = "manifest.json"
# Zstandard is the only codec fast enough to pack a 5-million-reading database (~700 MB)
# inside the 60 s budget on two cores (~85 MB/s; Deflate ~26, LZMA2 ~3). Stock 7-Zip can't
# read it (7-Zip-zstd, NanaZip and py7zr can), so "compatible" (Deflate) and "high" (LZMA2)
# remain for archives meant for other tools.
# Filter ids are py7zr's constants, named here and looked up when an archive is written.
COMPRESSION = {
    "none": [{"id": "FILTER_COPY"}],
    "normal": [{"id": "FILTER_ZSTD", "level": 3}],
    "compatible": [{"id": "FILTER_DEFLATE"}],
    "high": [{"id": "FILTER_LZMA2", "preset": 6}],
}
ByteProgress = Callable[[int], None]


class ArchiveError(Exception):
    """The archive cannot be read: not a 7z file, truncated, corrupt or a wrong password."""


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    is_dir: bool
    is_symlink: bool


class _CountingReader(io.BufferedReader):
    """A file reader that reports how many bytes py7zr has consumed so far."""

    def __init__(self, path: Path, on_bytes: ByteProgress | None):
        super().__init__(io.FileIO(path, "rb"), buffer_size=1 << 20)
        self._on_bytes = on_bytes
        self._done = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self._done += len(data)
        if self._on_bytes:
            self._on_bytes(self._done)
        return data


def write(
    dest: Path,
    manifest: dict,
    files: dict[str, Path],
    *,
    password: str | None = None,
    compression: str = "normal",
    on_bytes: ByteProgress | None = None,
) -> None:
    """Write manifest.json first (so listing reads it cheaply), then each file under its name."""
    filters = [{**f, "id": getattr(py7zr, f["id"])} for f in COMPRESSION[compression]]
    if password:
        filters.append({"id": py7zr.FILTER_CRYPTO_AES256_SHA256})
    done = 0

    def progress(n: int) -> None:
        if on_bytes:
            on_bytes(done + n)

    with py7zr.SevenZipFile(
        dest, "w", filters=filters, password=password or None, header_encryption=bool(password)
    ) as archive:
        archive.writestr(json.dumps(manifest, indent=2, sort_keys=True), MANIFEST)
        for arcname, path in files.items():
            with _CountingReader(path, progress) as reader:
                archive.writef(reader, arcname)
            done += path.stat().st_size


def _open(path: Path, password: str | None) -> py7zr.SevenZipFile:
    try:
        return py7zr.SevenZipFile(path, "r", password=password or None)
    except py7zr.PasswordRequired as exc:
        raise ArchiveError("the archive is encrypted: a password is needed") from exc
    # py7zr reports a wrong password or damaged header as many exception types (TypeError,
    # zlib.error, LZMAError, Bad7zFile...): anything raised while opening means "unreadable".
    except Exception as exc:
        raise ArchiveError(_reason(exc, password)) from exc


def _reason(exc: Exception, password: str | None) -> str:
    if isinstance(exc, py7zr.PasswordRequired):
        return "the archive is encrypted: a password is needed"
    if password:
        return f"the archive cannot be read: wrong password or damaged archive ({exc})"
    return f"the archive is damaged or not a 7z file ({exc})"


def members(path: Path, password: str | None = None) -> list[Member]:
    """Return the archive's entries as stored, without extracting anything."""
    with _open(path, password) as archive:
        return [
            Member(i.filename, i.uncompressed or 0, i.is_directory, i.is_symlink)
            for i in archive.list()
        ]


def is_encrypted(path: Path) -> bool:
    """Return True when the archive's contents (or header) need a password."""
    try:
        with py7zr.SevenZipFile(path, "r") as archive:
            return archive.needs_password()
    except py7zr.PasswordRequired:
        return True
    except Exception:  # damaged: not known to be encrypted
        return False


def read_manifest(path: Path, password: str | None = None) -> dict:
    """Return the parsed manifest.json of an archive."""
    with _open(path, password) as archive:
        if MANIFEST not in archive.getnames():
            raise ArchiveError("the archive has no manifest.json: it is not a Kasa Monitor backup")
        try:
            data = _read_member(archive, MANIFEST)
            manifest = json.loads(data)
        except ArchiveError:
            raise
        except Exception as exc:  # a bad password or corrupt block surfaces here, in any form
            raise ArchiveError(_reason(exc, password)) from exc
    if not isinstance(manifest, dict):
        raise ArchiveError("manifest.json is not a JSON object")
    return manifest


def _read_member(archive: py7zr.SevenZipFile, name: str) -> bytes:
    factory = py7zr.io.BytesIOFactory(limit=16 * 1024 * 1024)
    archive.extract(targets=[name], factory=factory)
    return factory.get(name).read()


def extract_all(path: Path, dest: Path, password: str | None, *, max_size: int) -> None:
    """Extract every member into dest; callers check member names first (see safe_name)."""
    with _open(path, password) as archive:
        archive.max_extract_size = max_size
        try:
            archive.extractall(path=dest)
        except Exception as exc:  # CRC mismatch, truncated stream, wrong password, bomb...
            raise ArchiveError(_reason(exc, password)) from exc


def safe_name(name: str) -> bool:
    """Return True for a relative member name that stays inside its folder."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        return False
    parts = PurePosixPath(name).parts
    return bool(parts) and all(p not in ("", ".", "..") for p in parts) and ":" not in parts[0]
