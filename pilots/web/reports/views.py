"""Progress reports: a printable page and a Markdown download, for the whole programme or one city, on a chosen
date, in the interface's language.

The service (:mod:`pilots.services.reports`) gathers the facts. This module turns them into one neutral document
(sections with paragraphs and tables of plain text) that both the HTML page and the Markdown file render,
so the two always say the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _

from pilots.models import CharterLevel, RoundPhase
from pilots.models.city_status import MATURITY_DOMAINS, PRINCIPLES
from pilots.security.access import SIGNED_IN, allow
from pilots.services import city_status
from pilots.services import reports as service
from pilots.services.errors import NotFound, ServiceError
from pilots.services.workspaces import today
from pilots.vocabularies import ROUND_PHASE_LABELS
from pilots.web.cities.forms import CHARTER_LEVEL_LABELS, DOMAIN_LABELS, PRINCIPLE_LABELS
from pilots.web.labels import file_type_label
from pilots.web.urls import absolute
from pilots.web.workspaces.forms import ROLE_LABELS, STAGE_LABELS

bp = Blueprint("reports", __name__, url_prefix="/reports")

PROGRAMME = "programme"


def _locale() -> str:
    return str(get_locale() or "nl")


# --- the neutral document ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None  # a path on this site, or a dataset's own address


@dataclass(frozen=True)
class Paragraph:
    text: str
    kind: str = "paragraph"


@dataclass(frozen=True)
class Table:
    """A table whose first column names the row. ``numeric`` holds the indexes of right-aligned columns."""

    caption: str
    headers: list[str]
    rows: list[list[Cell]]
    numeric: frozenset[int] = frozenset()
    kind: str = "table"


@dataclass
class Section:
    id: str
    heading: str
    content: list = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    page_break: bool = False  # printed on a new page


@dataclass
class Document:
    title: str
    lead: str
    notes: list[str]
    sections: list[Section]


def _iso(day: date | None) -> str:
    return day.isoformat() if day else "–"


def _score(value: float | None) -> str:
    return format_decimal(value, format="0.000") if value is not None else "–"


def _maybe(value: int | None) -> str:
    return str(value) if value is not None else "–"


def _table_or(caption: str, headers: list[str], rows: list[list[Cell]], empty: str, numeric=()) -> Table | Paragraph:
    return Table(caption, headers, rows, frozenset(numeric)) if rows else Paragraph(empty)


def _charter_sentence(charter: service.Charter) -> str:
    sentence = _(
        "%(adopted)d adopted, %(partly)d partly, %(not_yet)d not yet, %(open)d not filled in.",
        adopted=charter.count(CharterLevel.ADOPTED),
        partly=charter.count(CharterLevel.PARTLY),
        not_yet=charter.count(CharterLevel.NOT_YET),
        open=charter.not_filled_in,
    )
    if charter.unknown:
        sentence += " " + _("%(n)d saved after this date (their status on it is not recorded).", n=len(charter.unknown))
    return _("Open-data charter") + ": " + sentence


def _open_data_section(entry: service.CityReport, section_id: str, detailed: bool) -> Section:
    name = entry.city.name
    content: list = [Paragraph(_charter_sentence(entry.charter))]
    if detailed:
        rows = []
        for number in PRINCIPLES:
            level = entry.charter.levels.get(number)
            if level is not None:
                status = str(CHARTER_LEVEL_LABELS[level])
            elif number in entry.charter.unknown:
                status = _("not known on this date")
            else:
                status = _("not filled in")
            rows.append([Cell(str(number)), Cell(str(PRINCIPLE_LABELS[number])), Cell(status)])
        content.append(Table(_("The charter checklist of %(city)s", city=name), ["#", _("Principle"), _("Status")], rows))
    maturity = entry.maturity
    if maturity is None:
        content.append(Paragraph(_("Maturity self-assessment") + ": " + _("No self-assessment yet.")))
    else:
        headers = [_("Domain")]
        if maturity.previous_year:
            headers.append(str(maturity.previous_year))
        headers.append(str(maturity.year))
        rows = []
        for domain in MATURITY_DOMAINS:
            row = [Cell(str(DOMAIN_LABELS[domain]))]
            if maturity.previous_year:
                row.append(Cell(_maybe(maturity.previous.get(domain))))
            row.append(Cell(_maybe(maturity.scores.get(domain))))
            rows.append(row)
        caption = (
            _(
                "Maturity self-assessment of %(year)d, compared with %(previous)d (scores from 1 to 5)",
                year=maturity.year,
                previous=maturity.previous_year,
            )
            if maturity.previous_year
            else _("Maturity self-assessment of %(year)d (scores from 1 to 5)", year=maturity.year)
        )
        content.append(Table(caption, headers, rows, frozenset(range(1, len(headers)))))
    return Section(section_id, _("Open-data status"), content)


def _actions_sections(entry: service.CityReport, prefix: str, locale: str, window: int) -> list[Section]:
    name = entry.city.name

    def pilot_cell(pilot_id: int, title: str) -> Cell:
        return Cell(title, url_for("workspaces.detail", pilot_id=pilot_id))

    pilots = _table_or(
        _("Pilots %(city)s takes part in, with its role and stage", city=name),
        [_("Pilot"), _("Role"), _("Stage"), _("Since"), _("Joined on")],
        [
            [
                pilot_cell(line.pilot_id, line.title),
                Cell(str(ROLE_LABELS[line.role])),
                Cell(str(STAGE_LABELS[line.stage])),
                Cell(_iso(line.since)),
                Cell(_iso(line.joined)),
            ]
            for line in entry.pilots
        ],
        _("Not taking part in a pilot yet."),
    )
    done = _table_or(
        _("Milestones done"),
        [_("Milestone"), _("Pilot"), _("Done on")],
        [[Cell(m.title), pilot_cell(m.pilot_id, m.pilot_title), Cell(_iso(m.done_on))] for m in entry.done],
        _("No milestones done yet."),
    )
    due = _table_or(
        _("Milestones due within %(days)d days, or overdue", days=window),
        [_("Milestone"), _("Pilot"), _("Due"), _("Status")],
        [
            [
                Cell(m.title),
                pilot_cell(m.pilot_id, m.pilot_title),
                Cell(_iso(m.due)),
                Cell(_("overdue") if m.overdue else _("due")),
            ]
            for m in entry.due
        ],
        _("No milestones due within %(days)d days.", days=window),
    )
    datasets = _table_or(
        _("Datasets %(city)s had published", city=name),
        [_("Dataset"), _("Pilot"), _("Issued on"), _("Format")],
        [
            [
                Cell(d.title(locale), d.access_url),
                pilot_cell(d.pilot_id, d.pilot_title),
                Cell(_iso(d.issued)),
                Cell(file_type_label(d.file_type)),
            ]
            for d in entry.datasets
        ],
        _("No datasets published yet."),
    )
    return [
        Section(f"{prefix}pilots", _("Pilots"), [pilots]),
        Section(f"{prefix}milestones", _("Milestones"), [done, due]),
        Section(f"{prefix}datasets", _("Published datasets"), [datasets]),
    ]


def _pick_rows(picks) -> list[list[Cell]]:
    return [
        [
            Cell(p.title, url_for("challenges.detail", challenge_id=p.challenge_id)),
            Cell(p.city),
            Cell(_maybe(p.rank)),
            Cell(_score(p.score)),
            Cell(_maybe(p.voters)),
        ]
        for p in picks
    ]


def _rounds_section(report: service.Report) -> Section:
    headers = [_("Challenge"), _("City"), _("Rank"), _("Score"), _("Cities that scored it")]
    city_name = report.city.name if report.city else None
    section = Section("rounds", _("Voting rounds"), page_break=report.is_programme)
    if not report.rounds:
        section.content.append(Paragraph(_("No voting rounds yet.")))
    for line in report.rounds:
        content: list = [
            Paragraph(
                _(
                    "Phase: %(phase)s (since %(date)s).",
                    phase=ROUND_PHASE_LABELS[line.phase],
                    date=_iso(service.local_date(line.phase_since)),
                )
            )
        ]
        if line.voting_opened:
            content.append(
                Paragraph(
                    _(
                        "Ballots submitted: %(submitted)d of %(total)d.",
                        submitted=line.ballots_submitted,
                        total=line.ballots_total,
                    )
                )
            )
            if city_name:
                if not line.city_ballot:
                    content.append(Paragraph(_("%(city)s had no ballot in this round.", city=city_name)))
                elif line.city_submitted_at:
                    content.append(
                        Paragraph(
                            _(
                                "%(city)s submitted its ballot on %(date)s.",
                                city=city_name,
                                date=_iso(service.local_date(line.city_submitted_at)),
                            )
                        )
                    )
                else:
                    content.append(Paragraph(_("%(city)s had not submitted its ballot.", city=city_name)))
        if line.phase is RoundPhase.PUBLISHED:
            content.append(
                _table_or(_("The computed selection"), headers, _pick_rows(line.computed), _("Nothing was selected."), (2, 3, 4))
            )
            if line.confirmed_at:
                who = line.confirmed_by or _("the programme")
                content.append(
                    Paragraph(_("Confirmed on %(date)s by %(name)s.", date=_iso(service.local_date(line.confirmed_at)), name=who))
                )
                content.append(
                    _table_or(
                        _("The confirmed selection"), headers, _pick_rows(line.confirmed), _("Nothing was selected."), (2, 3, 4)
                    )
                )
                if line.justification:
                    content.append(
                        Paragraph(_("The committee overrode the computed selection: %(reason)s", reason=line.justification))
                    )
            else:
                content.append(Paragraph(_("The selection was not confirmed yet.")))
        else:
            content.append(Paragraph(_("The results were not published yet.")))
        section.sections.append(Section(f"round-{line.round_id}", line.title, content))
    return section


def _summary_section(report: service.Report) -> Section:
    pilots = {line.pilot_id for entry in report.cities for line in entry.pilots}
    datasets = sum(len(entry.datasets) for entry in report.cities)
    done = sum(len(entry.done) for entry in report.cities)
    published = sum(line.published for line in report.rounds)
    rows = []
    for entry in report.cities:
        maturity = entry.maturity
        rows.append(
            [
                Cell(entry.city.name, url_for("reports.city", slug=entry.city.slug, date=report.as_of.isoformat())),
                Cell(str(entry.charter.count(CharterLevel.ADOPTED))),
                Cell(str(maturity.year) if maturity else "–"),
                Cell(str(len(entry.pilots))),
                Cell(str(len(entry.done))),
                Cell(str(len(entry.due))),
                Cell(str(len(entry.datasets))),
            ]
        )
    table = _table_or(
        _("Cities in alphabetical order. Cities are not ranked: each city's maturity self-assessment is about its own progress."),
        [
            _("City"),
            _("Charter principles adopted"),
            _("Latest self-assessment"),
            _("Pilots"),
            _("Milestones done"),
            _("Milestones due"),
            _("Published datasets"),
        ],
        rows,
        _("No cities yet."),
        range(1, 7),
    )
    totals = _(
        "Cities: %(cities)d. Pilots: %(pilots)d. Milestones done: %(done)d. Published datasets: %(datasets)d. "
        "Rounds with published results: %(rounds)d.",
        cities=len(report.cities),
        pilots=len(pilots),
        done=done,
        datasets=datasets,
        rounds=published,
    )
    return Section("summary", _("Summary"), [Paragraph(totals), table])


def document(report: service.Report, locale: str) -> Document:
    """The report as sections of text, in the current language."""
    when = format_date(report.as_of, "long")
    notes = [
        _(
            "Stages, milestones, datasets, rounds and the charter are shown as they were on that date, as far as the "
            "platform keeps their history; the self-assessment is the latest of that year or before."
        ),
        _("Made on %(date)s.", date=format_date(today(), "long")),
    ]
    window = report.due_window_days
    if report.city is None:
        sections = [_summary_section(report)]
        for entry in report.cities:
            prefix = f"city-{entry.city.slug}-"
            city_section = Section(f"city-{entry.city.slug}", entry.city.name, page_break=True)
            city_section.sections = [
                _open_data_section(entry, f"{prefix}status", detailed=False),
                *_actions_sections(entry, prefix, locale, window),
            ]
            sections.append(city_section)
        sections.append(_rounds_section(report))
        title = _("Progress report of the programme")
    else:
        entry = report.cities[0]
        sections = [
            _open_data_section(entry, "status", detailed=True),
            *_actions_sections(entry, "", locale, window),
            _rounds_section(report),
        ]
        title = _("Progress report of %(city)s", city=report.city.name)
    return Document(title, _("The situation on %(date)s.", date=when), notes, sections)


# --- Markdown --------------------------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def md_text(text: str) -> str:
    """Plain text made safe for Markdown: special characters escaped, on one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _md_cell(cell: Cell) -> str:
    if cell.href:
        address = absolute(cell.href) if cell.href.startswith("/") else cell.href  # the file leaves the site
        return f"[{md_text(cell.text)}]({quote(address, safe=':/?&=#%@+,;~')})"
    return md_text(cell.text)


def _md_block(block) -> list[str]:
    if block.kind == "paragraph":
        return [md_text(block.text), ""]
    lines = [f"**{md_text(block.caption)}**", ""]
    lines.append("| " + " | ".join(md_text(h) for h in block.headers) + " |")
    lines.append("|" + "|".join("---:" if i in block.numeric else "---" for i in range(len(block.headers))) + "|")
    lines += ["| " + " | ".join(_md_cell(cell) for cell in row) + " |" for row in block.rows]
    return [*lines, ""]


def _md_section(section: Section, level: int) -> list[str]:
    lines = ["#" * level + " " + md_text(section.heading), ""]
    for block in section.content:
        lines += _md_block(block)
    for child in section.sections:
        lines += _md_section(child, level + 1)
    return lines


def markdown(doc: Document, warning: str | None = None) -> str:
    lines = ["# " + md_text(doc.title), ""]
    if warning:
        lines += ["> " + md_text(warning), ""]
    lines += [md_text(doc.lead), ""]
    for note in doc.notes:
        lines += [f"*{md_text(note)}*", ""]
    for section in doc.sections:
        lines += _md_section(section, 2)
    return "\n".join(lines).rstrip() + "\n"


# --- routes ---------------------------------------------------------------------------------------------------


def _as_of() -> tuple[date, str | None]:
    """The date asked for, or today with the reason the date was refused."""
    try:
        return service.report_date(request.args.get("date")), None
    except ServiceError as error:
        return today(), _("%(reason)s The report shows today.", reason=str(error.message))


def _city_or_404(slug: str):
    try:
        return city_status.get_city_by_slug(slug)
    except NotFound:
        abort(404)


@bp.get("")
@allow(SIGNED_IN)
def index():
    """Choose the report: the whole programme or one city, and the date. The language is the interface's."""
    choices = service.city_choices()
    scope = request.args.get("scope")
    date_text = request.args.get("date", "")
    errors: dict[str, str] = {}
    if scope is not None:  # the form was sent
        slugs = {ref.slug for ref, _active in choices}
        if scope != PROGRAMME and scope not in slugs:
            errors["scope"] = _("Choose the programme or a city from the list.")
        try:
            as_of = service.report_date(date_text)
        except ServiceError as error:
            errors["date"] = str(error.message)
        if not errors:
            markdown_file = request.args.get("format") == "md"
            if scope == PROGRAMME:
                endpoint = "reports.programme_md" if markdown_file else "reports.programme"
                return redirect(url_for(endpoint, date=as_of.isoformat()))
            endpoint = "reports.city_md" if markdown_file else "reports.city"
            return redirect(url_for(endpoint, slug=scope, date=as_of.isoformat()))
    return render_template(
        "reports/index.html",
        choices=choices,
        scope=scope or PROGRAMME,
        date_value=date_text or today().isoformat(),
        today=today().isoformat(),
        errors=errors,
    ), (400 if errors else 200)


def _page(report: service.Report, warning: str | None, markdown_url: str, this_url: str):
    if warning:
        flash(warning, "warning")
    return render_template(
        "reports/report.html",
        doc=document(report, _locale()),
        report=report,
        markdown_url=markdown_url,
        this_url=this_url,
        today=today().isoformat(),
    )


def _markdown_response(report: service.Report, warning: str | None, name: str) -> Response:
    body = markdown(document(report, _locale()), warning)
    response = Response(body, mimetype="text/markdown")
    filename = f"progress-report-{name}-{report.as_of.isoformat()}-{_locale()}.md"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Content-Language"] = _locale()
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/programme")
@allow(SIGNED_IN)
def programme():
    as_of, warning = _as_of()
    report = service.build(as_of)
    return _page(
        report,
        warning,
        url_for("reports.programme_md", date=as_of.isoformat()),
        url_for("reports.programme"),
    )


@bp.get("/programme.md")
@allow(SIGNED_IN)
def programme_md():
    as_of, warning = _as_of()
    return _markdown_response(service.build(as_of), warning, PROGRAMME)


@bp.get("/cities/<slug>")
@allow(SIGNED_IN)
def city(slug: str):
    found = _city_or_404(slug)
    as_of, warning = _as_of()
    report = service.build(as_of, found)
    return _page(
        report,
        warning,
        url_for("reports.city_md", slug=found.slug, date=as_of.isoformat()),
        url_for("reports.city", slug=found.slug),
    )


@bp.get("/cities/<slug>.md")
@allow(SIGNED_IN)
def city_md(slug: str):
    found = _city_or_404(slug)
    as_of, warning = _as_of()
    return _markdown_response(service.build(as_of, found), warning, found.slug)
