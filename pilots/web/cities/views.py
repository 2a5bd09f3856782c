"""City profiles: what each city does in the programme, and its open-data status (the charter checklist and the
yearly maturity self-assessment), which its own staff keep up to date. Every signed-in user reads them; cities are
never ranked on maturity."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from pilots import charts as result_charts
from pilots.models import CharterLevel
from pilots.models.city_status import MATURITY_DOMAINS, PRINCIPLES
from pilots.security.access import ADMIN, SIGNED_IN, allow, staff_of
from pilots.services import city_status as service
from pilots.services import monitoring, voting
from pilots.vocabularies import CHALLENGE_STATUS_LABELS, FILE_TYPES, LICENCES, ROUND_PHASE_LABELS, THEMES, openness
from pilots.web.admin.forms import parse_version
from pilots.web.cities import charts
from pilots.web.cities.forms import (
    CHARTER_LEVEL_LABELS,
    DOMAIN_LABELS,
    PRINCIPLE_LABELS,
    SCORE_HELP,
    CharterForm,
    MaturityForm,
)
from pilots.web.support import form_status, submit_form, translated
from pilots.web.workspaces.forms import ROLE_LABELS, STAGE_LABELS

bp = Blueprint("cities", __name__, url_prefix="/cities")

OWN_CITY = staff_of(lambda args: service.city_id_of(args.get("slug")), name="staff of the city")

LABELS = {
    "charter": CHARTER_LEVEL_LABELS,
    "principles": PRINCIPLE_LABELS,
    "domains": DOMAIN_LABELS,
    "challenge_status": CHALLENGE_STATUS_LABELS,
    "phases": ROUND_PHASE_LABELS,
    "role": ROLE_LABELS,
    "stage": STAGE_LABELS,
    "themes": THEMES,
    "file_types": FILE_TYPES,
    "licences": LICENCES,
}


def _locale() -> str:
    return str(get_locale() or "nl")


def _city_or_404(slug: str):
    return service.get_city_by_slug(slug)


@bp.get("")
@allow(SIGNED_IN)
def index():
    return render_template("cities/list.html", rows=service.list_cities(current_user))


def _scores(assessment) -> list[int] | None:
    if assessment is None:
        return None
    found = {row.domain: row.score for row in assessment.scores}
    if any(domain not in found for domain in MATURITY_DOMAINS):
        return None
    return [found[domain] for domain in MATURITY_DOMAINS]


def _maturity_view(assessments, requested: int | None):
    """The year to show (the requested one if assessed, else the latest), the assessment before it, and the chart."""
    by_year = {a.year: a for a in assessments}
    if not by_year:
        return None, None, None
    year = requested if requested in by_year else max(by_year)
    current = by_year[year]
    previous = next((by_year[y] for y in sorted(by_year, reverse=True) if y < year), None)
    current_scores, previous_scores = _scores(current), _scores(previous)
    figure = None
    if current_scores is not None:
        figure = charts.maturity_figure(
            [str(DOMAIN_LABELS[d]) for d in MATURITY_DOMAINS],
            charts.Series(str(current.year), current_scores),
            charts.Series(str(previous.year), previous_scores) if previous and previous_scores else None,
            _locale(),
        )
    return current, previous, figure


def _openness(dataset):
    return openness(
        available_openly=True,  # a dataset registered in a pilot is published on the web
        url=dataset.access_url,
        licence=dataset.licence,
        file_type=dataset.file_type,
        standard=dataset.conforms_to,
    )


@bp.get("/<slug>")
@allow(SIGNED_IN)
def profile(slug: str):
    city = _city_or_404(slug)
    data = service.profile(city, current_user)
    requested = request.args.get("year", type=int)
    current, previous, figure = _maturity_view(data.assessments, requested)
    editor = service.can_edit(current_user, city.id)
    this_year = service.assessment_years()[-1]
    return render_template(
        "cities/profile.html",
        city=city,
        data=data,
        editor=editor,
        labels=translated(LABELS),
        locale=_locale(),
        principles=list(PRINCIPLES),
        domains=list(MATURITY_DOMAINS),
        levels=list(CharterLevel),
        current=current,
        previous=previous,
        maturity_figure=figure,
        this_year=this_year,
        has_this_year=any(a.year == this_year for a in data.assessments),
        openness={dataset.id: _openness(dataset) for dataset, _check in data.datasets},
        failing=monitoring.failing_datasets(city.id),
        can_see_ballot={b.id: voting.can_see_ballot(current_user, b.round, b) for b in data.ballots},
        plotly_version=result_charts.PLOTLY_VERSION,
        maplibre_marker=result_charts.plotly_assets().maplibre_marker if figure else None,
    )


@bp.route("/<slug>/charter", methods=["GET", "POST"])
@allow(ADMIN, OWN_CITY)
def charter(slug: str):
    city = _city_or_404(slug)
    statuses = service.charter_of(city.id)
    form = CharterForm()
    if request.method == "GET":
        principle = request.args.get("principle", type=int)
        principle = principle if principle in PRINCIPLES else next((n for n in PRINCIPLES if n not in statuses), 1)
        row = statuses.get(principle)
        form.principle.data = principle
        form.status.data = row.status.value if row else None
        form.note.data = row.note if row else ""
        form.version.data = str(row.version if row else 0)
    principle = form.principle.data if form.principle.data in PRINCIPLES else None
    if principle is not None:
        form.principle.description = PRINCIPLE_LABELS[principle]
    saved = submit_form(
        form,
        lambda: service.set_charter_status(
            current_user,
            city.id,
            service.CharterInput(form.principle.data, form.status.data, form.note.data or ""),
            parse_version(form.version.data),
        ),
        lambda row: _("Principle %(number)d saved.", number=row.principle),
    )
    if saved:
        return redirect(url_for("cities.profile", slug=city.slug) + f"#principle-{saved.principle}")
    return render_template(
        "cities/charter.html",
        city=city,
        form=form,
        principle=principle,
        statuses=statuses,
        principles=list(PRINCIPLES),
        labels=translated(LABELS),
    ), form_status(form)


@bp.route("/<slug>/maturity/<int:year>", methods=["GET", "POST"])
@allow(ADMIN, OWN_CITY)
def maturity(slug: str, year: int):
    city = _city_or_404(slug)
    years = service.assessment_years()
    if request.method == "GET" and year not in years:
        abort(404)  # nothing to fill in; a post for such a year is refused next to the year field
    assessment = service.get_assessment(city.id, year) if year in years else None
    previous = service.previous_assessment(city.id, year)
    form = MaturityForm()
    form.year.data, form.year.raw_data = year, [str(year)]  # the year is the page's, whatever was posted
    if request.method == "GET":
        form.version.data = str(assessment.version if assessment else 0)
        for row in assessment.scores if assessment else ():
            form[f"score_{row.domain}"].data = str(row.score)
            form[f"note_{row.domain}"].data = row.note
    before = {row.domain: row.score for row in previous.scores} if previous else {}
    for domain in MATURITY_DOMAINS:
        if domain in before:
            form[f"score_{domain}"].description = f"{SCORE_HELP} " + _(
                "In %(year)d: %(score)d.", year=previous.year, score=before[domain]
            )
    saved = submit_form(
        form,
        lambda: service.save_maturity(
            current_user,
            city.id,
            year,
            service.MaturityInput(
                scores={d: int(form[f"score_{d}"].data) for d in MATURITY_DOMAINS},
                notes={d: form[f"note_{d}"].data or "" for d in MATURITY_DOMAINS},
            ),
            parse_version(form.version.data),
        ),
        _("Self-assessment of %(year)d saved.", year=year),
    )
    if saved:
        return redirect(url_for("cities.profile", slug=city.slug, year=year) + "#maturity")
    return render_template(
        "cities/maturity.html",
        city=city,
        form=form,
        year=year,
        assessment=assessment,
        previous=previous,
        labels=translated(LABELS),
    ), form_status(form)
