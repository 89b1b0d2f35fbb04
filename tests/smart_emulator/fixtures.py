"""Recorded device answers from python-kasa's source distribution, cached outside the repo.

python-kasa's sdist ships the answers of real devices (``tests/fixtures/smart/*.json``,
``tests/fixtures/iot/*.json``). Its licence is not ours, so we never copy them into this
repository: they are downloaded once per machine with pip (the ordinary PyPI client) into a
cache directory and read from there.

    python -m tests.smart_emulator      # fetch (install step; needs PyPI)

The cache is ``$KASA_FIXTURES_DIR`` when set, else ``$XDG_CACHE_HOME/kasa-monitor``
(``~/.cache/kasa-monitor``). Tests only read it: in CI they run in a network namespace
with loopback only, after the install step has fetched the fixtures.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
# The sdist's SHA-256 per pinned version, so a tampered or truncated download is refused.
SDIST_SHA256 = {
    "0.12.0": "92b0cd9eafc89a07a31e5652dd494a2eed0477fc1b0e517ba1b1a045d2cf3643",
}
KINDS = ("smart", "smart/child", "iot")


class FixturesMissing(RuntimeError):
    """The recordings are not in the cache (and could not be fetched)."""


def pinned_version() -> str:
    """python-kasa's version pinned in requirements/base.txt."""
    text = (REPO / "requirements" / "base.txt").read_text()
    match = re.search(r"^python-kasa==(\S+)$", text, re.MULTILINE)
    if not match:
        raise RuntimeError("requirements/base.txt does not pin python-kasa")
    return match.group(1)


def cache_root() -> Path:
    if env := os.environ.get("KASA_FIXTURES_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kasa-monitor"


def fixtures_dir(version: str | None = None) -> Path:
    """The cached ``fixtures/`` directory of that python-kasa version (may not exist yet)."""
    return cache_root() / f"python-kasa-{version or pinned_version()}" / "fixtures"


def fetch_hint() -> str:
    return (
        "run `.venv/bin/python -m tests.smart_emulator` (or `make fixtures`) once "
        "with access to PyPI; set KASA_FIXTURES_DIR to use another cache directory"
    )


def ensure_fixtures(version: str | None = None, *, download: bool = True) -> Path:
    """Return the fixtures directory, downloading and unpacking the sdist if needed."""
    version = version or pinned_version()
    target = fixtures_dir(version)
    if (target / ".complete").is_file():
        return target
    if not download:
        raise FixturesMissing(
            f"python-kasa {version} device recordings not in {target}; " + fetch_hint()
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two runs fetching at once wait for each other
        if not (target / ".complete").is_file():
            _download_and_unpack(version, target)
    return target


def _download_and_unpack(version: str, target: Path) -> None:
    expected = SDIST_SHA256.get(version)
    if expected is None:
        raise FixturesMissing(
            f"no SHA-256 known for python-kasa {version}: add it to SDIST_SHA256 in {__file__}"
        )
    with tempfile.TemporaryDirectory(prefix="kasa-sdist-") as tmp:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--retries", "2"]
        command += ["--no-binary", ":all:"]
        command += ["--no-deps", f"python-kasa=={version}", "-d", tmp]
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        sdists = list(Path(tmp).glob("python_kasa-*.tar.gz"))
        if result.returncode != 0 or not sdists:
            raise FixturesMissing(
                f"could not download python-kasa {version}'s source distribution "
                f"into {target}; {fetch_hint()}. pip said: {result.stderr.strip()[-1500:]}"
            )
        digest = hashlib.sha256(sdists[0].read_bytes()).hexdigest()
        if digest != expected:
            raise FixturesMissing(f"{sdists[0].name}: SHA-256 {digest}, expected {expected}")
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
        try:
            _extract_fixtures(sdists[0], staging)
            (staging / ".complete").write_text(json.dumps({"sha256": digest}) + "\n")
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _extract_fixtures(sdist: Path, dest: Path) -> None:
    # Only the recordings' JSON files, and only plain files under tests/fixtures/<kind>/.
    pattern = re.compile(r"^[^/]+/tests/fixtures/(smart|smart/child|iot)/([^/]+\.json)$")
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            match = pattern.match(member.name)
            if not match or not member.isfile():
                continue
            out = dest / match.group(1) / match.group(2)
            out.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            with source, open(out, "wb") as sink:
                shutil.copyfileobj(source, sink)


def fixture_names(kind: str = "smart") -> list[str]:
    """File names (without .json) of every recording of that kind, sorted."""
    return sorted(p.stem for p in (ensure_fixtures() / kind).glob("*.json"))


@cache
def _load(kind: str, name: str) -> str:
    path = ensure_fixtures() / kind / f"{name.removesuffix('.json')}.json"
    if not path.is_file():
        raise FixturesMissing(f"no recording {kind}/{name} in {path.parent}")
    return path.read_text()


def load_fixture(name: str, kind: str = "smart") -> dict[str, Any]:
    """A fresh copy of one recording, e.g. ``load_fixture("KP125M(US)_1.0_1.2.3")``."""
    return json.loads(_load(kind, name))


def main() -> int:
    try:
        path = ensure_fixtures()
    except FixturesMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    counts = {kind: len(list((path / kind).glob("*.json"))) for kind in KINDS}
    print(f"python-kasa device recordings in {path}: {counts}")
    return 0
