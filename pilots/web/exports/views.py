"""CSV and Excel exports of the platform's tables: challenges, ballots, results, pilots, milestones, published
datasets and the cities' open-data status. What each table holds, and what the user may see in it, is decided in
``pilots/services/exports.py``; this module turns the rows into a file.

Each table comes in three files:

* the Excel workbook (``.xlsx``): headers and file name in the reader's language, real dates and numbers, and a
  second sheet with the data dictionary (each column's key, name and meaning);
* the CSV for Excel (``.csv?variant=excel``): what a spreadsheet in the reader's language opens by a double click.
  Dutch: ``;`` between the values, a decimal comma, dates as dd-mm-yyyy, ja/nee; English: ``,``, a decimal point,
  dd/mm/yyyy, yes/no. Headers and file name in the reader's language;
* the CSV for data tools (``.csv``, the default, or ``?variant=data``): a stable format for scripts, whatever the
  language: ``,``, ISO 8601 dates and times, true/false, and the column keys (snake_case) as headers.

Every variant neutralises text a spreadsheet would run as a formula. ``/exports/dictionary`` lists every column of
every table, in the reader's language."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, render_template, request, url_for
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
#: Characters a worksheet's name may not hold.
SHEET_NAME_RE = re.compile(r"[\\/?*\[\]:]")

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


def _locale() -> str:
    return str(get_locale() or "nl")


def _filename(stem: str, filters: service.ExportFilters, extension: str) -> str:
    parts = [stem, *(str(value) for value in _filter_args(filters).values())]
    return "-".join(parts) + "." + extension


def file_stem(table: str) -> str:
    """The table's name in the reader's language as the start of a file name: ``uitdagingen``, ``challenges``.
    Lower case, words joined by hyphens; it may hold non-ASCII letters (``content_disposition`` handles them)."""
    stem = re.sub(r"[\W_]+", "-", str(LABELS[table][0]).lower()).strip("-")
    return stem or table


def content_disposition(filename: str) -> str:
    """An attachment header: ``filename`` as is when it is plain ASCII, else an ASCII fallback and ``filename*``
    (RFC 6266) with the real name, as browsers read it."""
    plain = re.sub(r"[^A-Za-z0-9._-]+", "-", unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode())
    if plain == filename:
        return f"attachment; filename={filename}"
    return f"attachment; filename={plain.strip('-') or 'export'}; filename*=UTF-8''{quote(filename, safe='')}"


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
    """The CSV for data tools: column keys, ``,``, ISO dates, true/false, whatever the reader's language."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    writer.writerows([csv_value(value) for value in row] for row in table.rows)
    return "\ufeff" + buffer.getvalue()  # the BOM makes spreadsheets read UTF-8


@dataclass(frozen=True)
class Convention:
    """How a spreadsheet in one language reads a CSV file: what it expects between the values, in numbers, dates
    and for yes and no. These follow the language's usage, not a translation, so they are written here."""

    delimiter: str
    decimal: str
    date: str
    datetime: str
    yes: str
    no: str


#: Dutch as Excel in Flanders reads it; English as in the United Kingdom (day first, as on the pages).
CONVENTIONS = {
    "nl": Convention(";", ",", "%d-%m-%Y", "%d-%m-%Y %H:%M", "ja", "nee"),
    "en": Convention(",", ".", "%d/%m/%Y", "%d/%m/%Y %H:%M", "yes", "no"),
}


def convention(locale: str) -> Convention:
    return CONVENTIONS.get(locale.split("_")[0], CONVENTIONS["nl"])


def excel_csv_value(value: Any, conv: Convention) -> Any:
    """A value as a spreadsheet in the reader's language reads it: decimal comma or point, day-first dates and
    times (Brussels time), yes and no in words; text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return conv.yes if value else conv.no
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return repr(value).replace(".", conv.decimal)
    if isinstance(value, datetime):
        return _local(value).strftime(conv.datetime)
    if isinstance(value, date):
        return value.strftime(conv.date)
    return neutralise(str(value))


def to_excel_csv(name: str, table: service.Table, locale: str) -> str:
    """The CSV for Excel: the columns' names and the values as the reader's language writes them."""
    conv = convention(locale)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=conv.delimiter)
    writer.writerow([neutralise(str(column.label)) for column in service.dictionary(name)])
    writer.writerows([excel_csv_value(value, conv) for value in row] for row in table.rows)
    return "\ufeff" + buffer.getvalue()


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


def sheet_name(text: Any) -> str:
    return SHEET_NAME_RE.sub("", str(text)).strip("' ")[:31] or "Sheet"


def _text_row(sheet, values: list[str], *, bold: bool = False) -> None:
    sheet.append([neutralise(ILLEGAL_CHARACTERS_RE.sub("", value)) for value in values])
    for cell in sheet[sheet.max_row]:
        cell.data_type = "s"
        if bold:
            cell.font = Font(bold=True)


def _dictionary_sheet(workbook: Workbook, name: str, title: str) -> None:
    """The second sheet: every column of the first one, with its key, its name and its meaning."""
    sheet = workbook.create_sheet(title)
    _text_row(sheet, [str(_l("Key")), str(_l("Column")), str(_l("Meaning"))], bold=True)
    for column in service.dictionary(name):
        _text_row(sheet, [column.key, str(column.label), str(column.meaning)])
    for letter, width in zip("ABC", (24, 30, MAX_WIDTH * 2), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"


def to_xlsx(name: str, table: service.Table) -> bytes:
    """The workbook: the table with its columns' names in the reader's language, and the data dictionary."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_name(LABELS[name][0])
    labels = [str(column.label) for column in service.dictionary(name)]
    _text_row(sheet, labels, bold=True)
    widths = [len(label) for label in labels]
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
    dictionary_title = sheet_name(_l("Data dictionary"))
    _dictionary_sheet(workbook, name, dictionary_title if dictionary_title != sheet.title else "Dictionary")
    workbook.properties.creator = "Datapilots"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- routes ----------------------------------------------------------------------------------------------------


@bp.get("")
@allow(SIGNED_IN)
def index():
    filters = _filters()
    args = _filter_args(filters)

    def links(name: str) -> dict[str, str]:
        return {
            "xlsx": url_for("exports.download", table=name, fmt="xlsx", **args),
            "excel": url_for("exports.download", table=name, fmt="csv", **args, variant="excel"),
            "data": url_for("exports.download", table=name, fmt="csv", **args),
        }

    return render_template(
        "exports/index.html",
        tables=[(name, *LABELS[name], links(name)) for name in service.TABLES],
        filters=filters,
        filter_args=_filter_args(filters),
        years=list(reversed(challenges.year_range())),
        cities=cities.list_cities(),
    )


@bp.get("/dictionary")
@allow(SIGNED_IN)
def dictionary():
    """Every column of every export: its key (the header of the CSV for data tools), its name and its meaning."""
    return render_template(
        "exports/dictionary.html",
        tables=[(name, LABELS[name][0], service.dictionary(name)) for name in service.TABLES],
    )


@bp.get("/<table>.<any(csv, xlsx):fmt>")
@allow(SIGNED_IN)
def download(table: str, fmt: str):
    """``.xlsx``: the workbook; ``.csv``: the CSV for data tools, or with ``?variant=excel`` the CSV for Excel in
    the reader's language. Any other variant is the CSV for data tools, which links and scripts rely on."""
    if table not in service.TABLES:
        abort(404)
    filters = _filters()
    locale = _locale()
    data = service.export(table, current_user, filters, locale)
    if fmt == "xlsx":
        response = Response(to_xlsx(table, data), mimetype=XLSX_MIMETYPE)
        filename = _filename(file_stem(table), filters, fmt)
    elif request.args.get("variant") == "excel":
        response = Response(to_excel_csv(table, data, locale), mimetype="text/csv")
        filename = _filename(file_stem(table), filters, fmt)
    else:
        response = Response(to_csv(data), mimetype="text/csv")
        filename = _filename(table, filters, fmt)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"  # own-city drafts and ballots: keep them out of caches
    return response
