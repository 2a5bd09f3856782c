"""The programme dashboard: headline figures and charts of what the programme does, filtered by year and city.

Every signed-in user sees the headline figures and the public panels; the steering committee also sees its own
panels (conformance per city, the milestone timeline with its overdue milestones). Which panel is whose, and what
the filters mean, is documented in :mod:`pilots.services.dashboard`. Each chart comes with the same data as a table
and as CSV (``/dashboard/<panel>.csv``, with the same filters); the committee's CSVs are refused to others (403).
Cities are compared, never ranked: per-city lists are alphabetical.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import format_percent, get_locale
from flask_login import current_user

from pilots import charts as result_charts
from pilots.models import PilotStatus
from pilots.security.access import SIGNED_IN, allow
from pilots.services import dashboard as service
from pilots.vocabularies import THEMES
from pilots.web.dashboard import charts
from pilots.web.support import translated
from pilots.web.workspaces.forms import MILESTONE_LABELS, PILOT_STATUS_LABELS, STAGE_LABELS

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
#: The overdue panel lists this many milestones; the milestones CSV has every one.
OVERDUE_LISTED = 50

LABELS = {
    "themes": THEMES,
    "status": PILOT_STATUS_LABELS,
    "stage": STAGE_LABELS,
    "milestone": MILESTONE_LABELS,
}


def _locale() -> str:
    return str(get_locale() or "nl")


def _is_committee() -> bool:
    return bool(current_user.is_authenticated and current_user.is_steering)


def _filters(cities: list[tuple[str, str]]) -> service.Filters:
    """The query arguments ``year`` and ``city``; anything else (an unknown city, a year out of range) is ignored."""
    try:
        year = int(request.args.get("year") or 0) or None
    except ValueError:
        year = None
    if year is not None and not 1900 <= year <= 2999:
        year = None
    city = (request.args.get("city") or "").strip()[:64] or None
    if city is not None and city not in {slug for slug, _name in cities}:
        city = None
    return service.Filters(year=year, city=city)


@bp.get("")
@allow(SIGNED_IN)
def index():
    cities = list(service.city_choices())
    filters = _filters(cities)
    committee = _is_committee()
    data = service.dashboard(filters, committee=committee, background=service.can_see_background_work(current_user))
    locale = _locale()
    today = service.today()
    figures = {
        "challenges": charts.themes_figure(data.challenges, THEMES, locale),
        "pilots": charts.progress_figure(data.pilots, PILOT_STATUS_LABELS, locale),
        "stages": charts.stages_figure(data.stages, STAGE_LABELS, locale),
        "datasets": charts.datasets_figure(data.datasets, locale),
    }
    if committee:
        figures["conformance"] = charts.conformance_figure(data.conformance or (), locale)
        figures["milestones"] = charts.timeline_figure(data.milestones or (), today.isoformat(), locale)
    challenge_years = sorted({row.year for row in data.challenges})
    challenge_themes = [code for code in THEMES if any(row.theme == code for row in data.challenges)]
    challenge_themes += sorted({row.theme for row in data.challenges} - set(challenge_themes))
    return render_template(
        "dashboard/index.html",
        data=data,
        headline=data.headline,
        filters=filters,
        committee=committee,
        figures=figures,
        cities=cities,
        city_name=dict(cities).get(filters.city or "", ""),
        years=service.available_years(today),
        labels=translated(LABELS),
        statuses=list(PilotStatus),
        overdue_listed=OVERDUE_LISTED,
        challenge_years=challenge_years,
        challenge_themes=challenge_themes,
        challenge_counts={(row.year, row.theme): row.challenges for row in data.challenges},
        plotly_version=result_charts.PLOTLY_VERSION,
        maplibre_marker=result_charts.plotly_assets().maplibre_marker,
        percent=lambda share: format_percent(share, format="#,##0%"),
    )


@bp.get("/<any(challenges, pilots, stages, datasets, conformance, milestones):table>.csv")
@allow(SIGNED_IN)
def export_csv(table: str):
    if table in service.COMMITTEE_PANELS and not _is_committee():
        abort(403)
    filters = _filters(list(service.city_choices()))
    buffer = io.StringIO()
    csv.writer(buffer).writerows(charts.csv_rows(table, service.table(table, filters)))
    name = "-".join(
        ["dashboard", table, *([str(filters.year)] if filters.year else []), *([filters.city] if filters.city else [])]
    )
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}.csv"},
    )
