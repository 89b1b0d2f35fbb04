"""The one module that uses reportlab: a titled report with tables and its own charts."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from . import conf
from .tables import Chart, Document, Table

CHART_POINTS = 40  # more bars than this stop being readable
PALETTE = [colors.HexColor(c) for c in ("#2b6cb0", "#dd6b20", "#38a169", "#d53f8c", "#805ad5",
                                        "#d69e2e", "#319795", "#e53e3e")]  # fmt: skip


class TooManyRows(Exception):
    pass


def write_pdf(doc: Document, path: Path) -> int:
    """Write the document as a PDF report; return the number of table rows."""
    styles = getSampleStyleSheet()
    story = [Paragraph(doc.title, styles["Title"]), Paragraph(_meta(doc.meta), styles["Normal"])]
    written = 0
    for table in doc.tables:
        rows = _rows(table)
        written += len(rows)
        story += [Spacer(1, 6 * mm), Paragraph(table.title, styles["Heading2"])]
        if doc.charts and table.chart and rows:
            story.append(_chart(table, rows))
        story.append(_table(table, rows))
    pdf = SimpleDocTemplate(str(path), pagesize=landscape(A4), title=doc.title, author="Kasa Monitor",
                            leftMargin=12 * mm, rightMargin=12 * mm)  # fmt: skip
    pdf.build(story)
    return written


def _meta(meta: dict) -> str:
    return " · ".join(f"{k.replace('_', ' ')}: {v}" for k, v in meta.items())


def _rows(table: Table) -> list[tuple]:
    rows = []
    cap = conf.limit("max_pdf_rows")
    for row in table.rows:
        rows.append(row)
        if len(rows) > cap:
            raise TooManyRows(f"A PDF holds at most {cap} rows per table; use CSV, JSON or Excel.")
    return rows


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return str(value)[:60]


def _table(table: Table, rows: list[tuple]) -> LongTable:
    header = [c.title + (f" ({c.unit})" if c.unit else "") for c in table.columns]
    body = [header] + [[_cell(v) for v in row] for row in rows] if rows else [header, ["(no data)"]]
    small = 7 if len(header) > 6 else 8
    t = LongTable(body, repeatRows=1)
    t.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), "Helvetica", small),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", small),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e2e8f0")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f7fafc")]),
    ]))  # fmt: skip
    return t


def _series(table: Table, rows: list[tuple], spec: Chart) -> tuple[list[str], list[list[float]]]:
    keys = [c.key for c in table.columns]
    rows = rows[:CHART_POINTS]
    labels = [str(r[keys.index(spec.label)])[:14] for r in rows]
    data = [[_number(r[keys.index(k)]) for r in rows] for k in spec.series]
    return labels, data


def _number(value) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _chart(table: Table, rows: list[tuple]) -> Drawing:
    spec = table.chart
    labels, data = _series(table, rows, spec)
    drawing = Drawing(260 * mm, 70 * mm)
    drawing.add(String(0, 66 * mm, spec.title, fontName="Helvetica-Bold", fontSize=9))
    if spec.kind == "pie":
        drawing.add(_pie(labels, data[0]))
        return drawing
    chart = VerticalBarChart() if spec.kind == "bar" else HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 15 * mm, 14 * mm, 230 * mm, 48 * mm
    chart.data = data
    chart.categoryAxis.categoryNames = labels
    chart.categoryAxis.labels.angle = 30 if len(labels) > 8 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(labels) > 8 else "n"
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = min(0.0, *(min(s) for s in data))
    chart.valueAxis.labels.fontSize = 6
    for i in range(len(data)):
        if spec.kind == "bar":
            chart.bars[i].fillColor = PALETTE[i % len(PALETTE)]
        else:
            chart.lines[i].strokeColor = PALETTE[i % len(PALETTE)]
    drawing.add(chart)
    return drawing


def _pie(labels: list[str], values: list[float]) -> Pie:
    pairs = [(lab, v) for lab, v in zip(labels, values, strict=False) if v > 0] or [
        ("no data", 1.0)
    ]
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 90 * mm, 4 * mm, 56 * mm, 56 * mm
    pie.data = [v for _, v in pairs]
    pie.labels = [lab for lab, _ in pairs]
    pie.slices.fontSize = 6
    for i in range(len(pairs)):
        pie.slices[i].fillColor = PALETTE[i % len(PALETTE)]
    return pie
