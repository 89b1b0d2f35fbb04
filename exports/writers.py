"""Write a Document as CSV, JSON or Excel (streaming), then optionally zip or gzip it."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from kasamonitor.spreadsheet import formula_safe

from .tables import Document, Table


def write(doc: Document, fmt: str, path: Path, *, include_headers: bool = True) -> int:
    """Write `doc` to `path` in `fmt`; return the number of data rows written."""
    if fmt == "pdf":
        from .pdf import write_pdf  # reportlab is only imported by workers making PDFs

        return write_pdf(doc, path)
    writer = {"csv": _write_csv, "json": _write_json, "excel": _write_excel}[fmt]
    return writer(doc, path, include_headers)


def compress(path: Path, method: str) -> Path:
    """Replace `path` by a .zip or .gz holding it; return the new path."""
    if method == "zip":
        target = path.with_name(path.name + ".zip")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(path, arcname=path.name)
    else:
        target = path.with_name(path.name + ".gz")
        with path.open("rb") as src, gzip.open(target, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
    path.unlink()
    return target


def _text(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is True or value is False:
        return "true" if value else "false"
    return value


def _csv_rows(table: Table, prefix: tuple = ()) -> Iterator[tuple]:
    # Dates and booleans as text; free text (device names) never a formula when opened.
    texts = [(n, _CSV_TEXT.get(c.kind, formula_safe)) for n, c in enumerate(table.columns)
             if c.kind not in ("float", "int")]  # fmt: skip
    if not texts:
        return (prefix + row for row in table.rows)

    def text(row: tuple) -> tuple:
        cells = list(row)
        for n, convert in texts:
            if n < len(cells):
                cells[n] = convert(cells[n])
        return prefix + tuple(cells)

    return map(text, table.rows)


_CSV_TEXT = {"datetime": _text, "date": _text, "bool": _text}


def _write_csv(doc: Document, path: Path, include_headers: bool) -> int:
    counter = _Counter()
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        if doc.single:
            table = doc.tables[0]
            if include_headers:
                out.writerow([c.key for c in table.columns])
            out.writerows(counter.count(_csv_rows(table)))
            return counter.n
        # Several sections: one CSV with a leading "section" column and the union of columns.
        keys = list(dict.fromkeys(c.key for t in doc.tables for c in t.columns))
        if include_headers:
            out.writerow(["section", *keys])
        for table in doc.tables:
            own = [c.key for c in table.columns]
            for row in counter.count(_csv_rows(table)):
                cells = dict(zip(own, row, strict=False))
                out.writerow([table.name, *(cells.get(k) for k in keys)])
    return counter.n


class _Counter:
    def __init__(self):
        self.n = 0

    def count(self, rows):
        for row in rows:
            self.n += 1
            yield row


def _json_default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _json_records(fh, table: Table, counter: _Counter) -> None:
    keys = [c.key for c in table.columns]
    dumps = json.JSONEncoder(default=_json_default, ensure_ascii=False).encode
    fh.write("[")
    for i, row in enumerate(counter.count(table.rows)):
        fh.write(("\n" if i == 0 else ",\n") + dumps(dict(zip(keys, row, strict=False))))
    fh.write("\n]")


def _write_json(doc: Document, path: Path, include_headers: bool) -> int:
    counter = _Counter()
    meta = json.dumps({"title": doc.title, **doc.meta}, default=_json_default)
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"export": ' + meta + ",\n")
        if doc.single:
            fh.write('"records": ')
            _json_records(fh, doc.tables[0], counter)
        else:
            fh.write('"sections": {')
            for i, table in enumerate(doc.tables):
                fh.write(("" if i == 0 else ",\n") + json.dumps(table.name) + ": ")
                _json_records(fh, table, counter)
            fh.write("}")
        fh.write(f',\n"record_count": {counter.n}}}\n')
    return counter.n


def _write_excel(doc: Document, path: Path, include_headers: bool) -> int:
    from .excel import write_workbook

    return write_workbook(doc, path, include_headers)
