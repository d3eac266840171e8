"""Tables leaders download: the performance tables (weekly report) and case lists, as CSV or XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from routing.metrics import Row

# A cell starting with one of these is a formula to spreadsheet programs (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


#: How dates and times read in files: CSV writes them as this text, XLSX as real dates in this format.
CSV_DATETIME, CSV_DATE = "%Y-%m-%d %H:%M", "%Y-%m-%d"
XLSX_DATETIME, XLSX_DATE = "dd/mm/yyyy hh:mm", "dd/mm/yyyy"


def local_naive(value: dt.datetime) -> dt.datetime:
    """Spreadsheets have no time zones: an aware time becomes the local wall-clock time."""
    return timezone.make_naive(value) if timezone.is_aware(value) else value


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return local_naive(value).strftime(CSV_DATETIME)
    if isinstance(value, dt.date):
        return value.strftime(CSV_DATE)
    return "" if value is None else safe_cell(value)


def safe_cell(value: Any) -> Any:
    """Numbers stay numbers; text that a spreadsheet would run as a formula is quoted."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # in files, where durations are plain hours
    kind: str = "count"  # count | rate | hours
    heading: Any = None  # on pages, where durations read "5,5 h" or "3,2 days"

    @property
    def page_label(self) -> Any:
        return self.heading or self.label


PERFORMANCE_COLUMNS = (
    Column("open", _("Open now")),
    Column("overdue", _("Overdue now")),
    Column("received", _("Received")),
    Column("triaged", _("Triaged")),
    Column("triage_p50", _("Time to triage, median (hours)"), "hours", _("Time to triage, median")),
    Column(
        "triage_p90",
        _("Time to triage, 90th percentile (hours)"),
        "hours",
        _("Time to triage, 90th percentile"),
    ),
    Column("responded", _("Responded")),
    Column("on_time_rate", _("Responded on time"), "rate"),
    Column("response_p50", _("Time to response, median (hours)"), "hours", _("Time to response, median")),
    Column(
        "response_p90",
        _("Time to response, 90th percentile (hours)"),
        "hours",
        _("Time to response, 90th percentile"),
    ),
)


def performance_values(row: Row) -> list[Any]:
    values: list[Any] = []
    for column in PERFORMANCE_COLUMNS:
        value = getattr(row, column.key)
        if column.kind == "hours" and value is not None:
            value = round(value / 3600, 1)
        elif column.kind == "rate" and value is not None:
            value = round(value, 4)
        values.append(value)
    return values


def _csv_stream(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    # A byte-order mark so that spreadsheet programs read Vietnamese as UTF-8.
    yield "\ufeff"
    writer.writerow([str(h) for h in header])
    yield flush()
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
        yield flush()


def csv_response(
    filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_stream(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


@dataclass
class Sheet:
    title: Any
    header: Sequence[Any]
    rows: Iterable[Sequence[Any]]
    formats: Sequence[str | None] = ()  # number format per column, e.g. "0.0%"


def _xlsx_cell(ws: Any, value: Any, number_format: str | None) -> Any:
    """Dates and times as real spreadsheet dates (sortable, filterable), in local time."""
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(ws, value=local_naive(value))
        cell.number_format = XLSX_DATETIME
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(ws, value=dt.datetime.combine(value, dt.time.min))
        cell.number_format = XLSX_DATE
        return cell
    cell = WriteOnlyCell(ws, value=safe_cell(value))
    if number_format and isinstance(value, int | float):
        cell.number_format = number_format
    return cell


def _min_width(value: Any) -> int:
    # A column too narrow for its date shows "#####" instead; text as wide as its longer values
    # (a title), up to 60 characters, past which Excel's own wrapping is better.
    if isinstance(value, dt.datetime):
        return 17
    if isinstance(value, str):
        return min(60, max(12, len(value) + 2))
    return 12


def xlsx_response(filename: str, sheets: Sequence[Sheet]) -> HttpResponse:
    """A workbook written row by row (openpyxl's write-only mode keeps memory flat)."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        ws = book.create_sheet(title=str(sheet.title)[:31])
        # Widths come before the rows in write-only mode: the first rows say which columns hold times.
        rows = iter(sheet.rows)
        head = list(itertools.islice(rows, 50))
        minimums = [
            max((_min_width(v) for v in column if v is not None), default=12)
            for column in itertools.zip_longest(*head)
        ]
        for index, label in enumerate(sheet.header, start=1):
            # Wide enough for the heading (wrapped at about 30 characters), never narrower than a date.
            minimum = minimums[index - 1] if index <= len(minimums) else 12
            ws.column_dimensions[get_column_letter(index)].width = max(minimum, min(32, len(str(label)) + 2))
        if sheet.header:
            ws.freeze_panes = "A2"
        header = []
        for label in sheet.header:
            cell = WriteOnlyCell(ws, value=str(label))
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="bottom")
            header.append(cell)
        ws.append(header)
        for row in itertools.chain(head, rows):
            ws.append(
                [
                    _xlsx_cell(ws, value, sheet.formats[index] if index < len(sheet.formats) else None)
                    for index, value in enumerate(row)
                ]
            )
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


PERFORMANCE_FORMATS = tuple({"rate": "0.0%", "hours": "0.0"}.get(c.kind) for c in PERFORMANCE_COLUMNS)
