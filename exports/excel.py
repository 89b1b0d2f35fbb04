"""The one module that writes .xlsx: XlsxWriter in constant-memory mode, typed cells, charts.

XlsxWriter rather than openpyxl (which still reads .xlsx in the admin's import-export and the
tests): a million readings took openpyxl's write-only mode ~100 s of CPU on the 2-core
reference machine, XlsxWriter ~55 s (issue 6's budget is 90 s for the whole export). Rows
are written in order and flushed as they go, so memory stays flat.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from .tables import Document, Table

MAX_ROWS = 1_048_576
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
OPTIONS = {
    "constant_memory": True,  # each row goes to disk once written
    "default_date_format": DATE_FORMAT,
    # Excel has no time zones: a cell holds the export's local wall-clock time.
    "remove_timezone": True,
    # Data stays data: a device named "=HYPERLINK(…)" must not become a formula or a link.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def write_workbook(doc: Document, path: Path, include_headers: bool) -> int:
    """Write every table to its own sheet (rolling over at Excel's row limit); return row count."""
    wb = xlsxwriter.Workbook(str(path), OPTIONS)
    try:
        bold = wb.add_format({"bold": True})
        written = sum(
            _write_table(wb, table, include_headers, doc.charts and not doc.single, bold)
            for table in doc.tables
        )
        if not wb.worksheets():
            wb.add_worksheet("empty")
    finally:
        wb.close()
    return written


def _sheet(wb, table: Table, part: int, include_headers: bool, bold):
    title = table.title[:28] if part == 1 else f"{table.title[:24]} ({part})"
    ws = wb.add_worksheet(title)
    ws.set_column(0, 0, 22)
    if include_headers:
        header = [col.title + (f" ({col.unit})" if col.unit else "") for col in table.columns]
        ws.write_row(0, 0, header, bold)
    return ws


def _write_table(wb, table: Table, include_headers: bool, charts: bool, bold) -> int:
    part, ws = 1, _sheet(wb, table, 1, include_headers, bold)
    first = int(include_headers)  # the sheet row of the first data row
    on_sheet, total = 0, 0
    for row in table.rows:
        if first + on_sheet >= MAX_ROWS:
            part, on_sheet = part + 1, 0
            ws = _sheet(wb, table, part, include_headers, bold)
        ws.write_row(first + on_sheet, 0, row)
        on_sheet += 1
        total += 1
    if charts and table.chart and on_sheet:
        _chart(wb, ws, table, first, first + on_sheet - 1, include_headers)
    return total


def _chart(wb, ws, table: Table, first: int, last: int, include_headers: bool) -> None:
    spec = table.chart
    keys = [c.key for c in table.columns]
    chart = wb.add_chart({"type": {"bar": "column", "line": "line", "pie": "pie"}[spec.kind]})
    chart.set_title({"name": spec.title})
    label = keys.index(spec.label)
    for key in spec.series:
        col = keys.index(key)
        series = {
            "categories": [ws.name, first, label, last, label],
            "values": [ws.name, first, col, last, col],
        }
        if include_headers:
            series["name"] = [ws.name, 0, col]
        chart.add_series(series)
    chart.set_size({"width": 18 * 37.8, "height": 9 * 37.8})  # 18 x 9 cm, as before
    ws.insert_chart(1, len(keys) + 1, chart)
