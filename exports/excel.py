"""The one module that uses openpyxl: write-only workbooks with typed cells and charts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.styles import Font

from .tables import Document, Table

MAX_ROWS = 1_048_576
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"


def write_workbook(doc: Document, path: Path, include_headers: bool) -> int:
    """Write every table to its own sheet (rolling over at Excel's row limit); return row count."""
    wb = Workbook(write_only=True)
    written = 0
    for table in doc.tables:
        written += _write_table(wb, table, include_headers, doc.charts and not doc.single)
    if not wb.worksheets:
        wb.create_sheet("empty")
    wb.save(path)
    return written


def _sheet(wb: Workbook, table: Table, part: int, include_headers: bool):
    title = table.title[:28] if part == 1 else f"{table.title[:24]} ({part})"
    ws = wb.create_sheet(title)
    ws.column_dimensions["A"].width = 22
    if include_headers:
        header = []
        for col in table.columns:
            cell = WriteOnlyCell(ws, value=col.title + (f" ({col.unit})" if col.unit else ""))
            cell.font = Font(bold=True)
            header.append(cell)
        ws.append(header)
    return ws


def _write_table(wb: Workbook, table: Table, include_headers: bool, charts: bool) -> int:
    part, ws = 1, _sheet(wb, table, 1, include_headers)
    on_sheet, total = 0, 0
    dates = [i for i, c in enumerate(table.columns) if c.kind == "datetime"]
    for row in table.rows:
        if on_sheet + include_headers >= MAX_ROWS:
            part, on_sheet = part + 1, 0
            ws = _sheet(wb, table, part, include_headers)
        if dates:
            row = list(row)
            for i in dates:
                if isinstance(row[i], datetime):
                    # Excel has no time zones: the cell holds the export's local wall-clock time.
                    row[i] = row[i].replace(tzinfo=None)
        ws.append(row)
        on_sheet += 1
        total += 1
    if charts and table.chart and on_sheet:
        _chart(ws, table, on_sheet, include_headers)
    return total


def _chart(ws, table: Table, rows: int, include_headers: bool) -> None:
    spec = table.chart
    keys = [c.key for c in table.columns]
    first = 2 if include_headers else 1
    last = first + rows - 1
    chart = {"bar": BarChart, "line": LineChart, "pie": PieChart}[spec.kind]()
    chart.title = spec.title
    for key in spec.series:
        col = keys.index(key) + 1
        data = Reference(ws, min_col=col, min_row=first - int(include_headers), max_row=last)
        chart.add_data(data, titles_from_data=include_headers)
    chart.set_categories(
        Reference(ws, min_col=keys.index(spec.label) + 1, min_row=first, max_row=last)
    )
    chart.width, chart.height = 18, 9
    ws.add_chart(chart, f"{chr(ord('A') + len(keys) + 1)}2")
