"""Modules imported when first used, not when the importing module loads.

A web process that never builds a backup archive or a 2FA QR code should not carry py7zr
or segno (several MiB each, in every process): `py7zr = lazy_import("py7zr")` at the top of
a module reads as an import, and the module is loaded at the first attribute access.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType


def lazy_import(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


class ModuleProxy:
    """A module's attributes, the module imported at the first one asked for.

    For submodules of a package that imports them itself (cryptography's), where
    lazy_import's placeholder in sys.modules would be replaced under it."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str):
        return getattr(importlib.import_module(self._name), attribute)


class _LazyTablibXLSX:
    """tablib's xlsx format, its module (and openpyxl) imported at the first spreadsheet
    read or written through it: the admin's export of .xlsx files."""

    title = "xlsx"
    extensions = ("xlsx",)

    def __getattr__(self, name: str):
        from tablib.formats._xlsx import XLSXFormat

        return getattr(XLSXFormat, name)


def lazy_tablib_xlsx() -> None:
    """Register tablib's xlsx format lazily (tablib's documented `registry.register`).

    django-import-export, at its import (the admin's autodiscovery in the web process),
    asks tablib for every format to see which are installed, and tablib imports openpyxl
    for that question alone: 7 MiB and 70 ms of every start. Registered under the same
    key, the format keeps its place (xlsx is detected before xls) and its answers.
    """
    from tablib.formats import registry

    registry.register("xlsx", _LazyTablibXLSX())
