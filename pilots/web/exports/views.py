"""CSV and Excel exports of the platform's tables: challenges, ballots, results, pilots, milestones, published
datasets and the cities' open-data status. What each table holds, and what the user may see in it, is decided in
``pilots/services/exports.py``; this module turns the rows into a file."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from pilots.security.access import SIGNED_IN, allow
from pilots.services import challenges, cities
from pilots.services import exports as service

bp = Blueprint("exports", __name__, url_prefix="/exports")

#: Times are shown in the programme's time zone, as on the pages.
LOCAL = ZoneInfo("Europe/Brussels")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: A text starting with one of these is run as a formula by spreadsheets (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MIN_WIDTH, MAX_WIDTH = 8, 60

#: The page's labels and descriptions, in the order of the service's tables.
LABELS = {
    "challenges": (_l("Challenges"), _l("Public challenges, and your own city's drafts, with their datasets and co-sponsors.")),
    "ballots": (
        _l("Ballots"),
        _l("Every score of the submitted ballots of published rounds. Confidential rounds: only your own city's ballots."),
    ),
    "results": (_l("Results"), _l("The ranking of every published round: rank, score and selection.")),
    "pilots": (_l("Pilots"), _l("Status, progress, lead city, dates and participating cities of every pilot.")),
    "milestones": (_l("Milestones"), _l("Every milestone of every pilot, with a row per city for per-city milestones.")),
    "datasets": (_l("Published datasets"), _l("The datasets published in the pilots, with their DCAT-AP fields and last check.")),
    "city-status": (
        _l("Open-data status"),
        _l("Each city's charter principles and maturity self-assessment scores per year."),
    ),
}


def neutralise(text: str) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe, so it stays text."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL) if moment.tzinfo else moment


def _filters() -> service.ExportFilters:
    """``?year=`` (a year) and ``?city=`` (a city's slug); anything else is ignored."""
    try:
        year = int(request.args.get("year", "") or 0) or None
    except ValueError:
        year = None
    if year is not None and not 1900 <= year <= 2999:
        year = None
    city = (request.args.get("city") or "").strip().lower()[:64]
    return service.ExportFilters(year=year, city=city if SLUG_RE.match(city) else None)


def _filter_args(filters: service.ExportFilters) -> dict[str, Any]:
    return {key: value for key, value in (("year", filters.year), ("city", filters.city)) if value}


def _filename(table: str, filters: service.ExportFilters, extension: str) -> str:
    parts = [table, *(str(value) for value in _filter_args(filters).values())]
    return "-".join(parts) + "." + extension


# --- CSV -------------------------------------------------------------------------------------------------------


def csv_value(value: Any) -> Any:
    """A value as CSV text: numbers stay numbers, booleans are true/false, times are ISO 8601 in Brussels time."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return _local(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def to_csv(table: service.Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    writer.writerows([csv_value(value) for value in row] for row in table.rows)
    return "\ufeff" + buffer.getvalue()  # the BOM makes spreadsheets read UTF-8


# --- Excel -----------------------------------------------------------------------------------------------------


def xlsx_value(value: Any) -> tuple[Any, str | None]:
    """A value as a spreadsheet cell and its number format: real dates and times (Brussels time, as Excel has no
    time zones), numbers and booleans as such, text neutralised and stripped of characters XML refuses."""
    if value is None or isinstance(value, bool | int | float):
        return value, None
    if isinstance(value, datetime):
        return _local(value).replace(tzinfo=None), "yyyy-mm-dd hh:mm"
    if isinstance(value, date):
        return value, "yyyy-mm-dd"
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value))), None


def _width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    return max((len(line) for line in str(value).splitlines()), default=0)


def to_xlsx(name: str, table: service.Table) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = name[:31]
    sheet.append(list(table.headers))
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    widths = [len(header) for header in table.headers]
    for row in table.rows:
        converted = [xlsx_value(value) for value in row]
        sheet.append([value for value, _ in converted])
        for index, (cell, (value, number_format)) in enumerate(zip(sheet[sheet.max_row], converted, strict=True)):
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            if number_format:
                cell.number_format = number_format
            widths[index] = max(widths[index], _width(value))
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))
    if table.rows:
        sheet.auto_filter.ref = sheet.dimensions
    workbook.properties.creator = "Datapilots"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- routes ----------------------------------------------------------------------------------------------------


@bp.get("")
@allow(SIGNED_IN)
def index():
    filters = _filters()
    return render_template(
        "exports/index.html",
        tables=[(name, *LABELS[name]) for name in service.TABLES],
        filters=filters,
        filter_args=_filter_args(filters),
        years=list(reversed(challenges.year_range())),
        cities=cities.list_cities(),
    )


@bp.get("/<table>.<any(csv, xlsx):fmt>")
@allow(SIGNED_IN)
def download(table: str, fmt: str):
    if table not in service.TABLES:
        abort(404)
    filters = _filters()
    data = service.export(table, current_user, filters, str(get_locale() or "nl"))
    if fmt == "csv":
        response = Response(to_csv(data), mimetype="text/csv")
    else:
        response = Response(to_xlsx(table, data), mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = f"attachment; filename={_filename(table, filters, fmt)}"
    response.headers["Cache-Control"] = "private, no-store"  # own-city drafts and ballots: keep them out of caches
    return response
