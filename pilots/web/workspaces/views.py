"""Pilot workspaces: the list, the pilot page, and the forms of its leads and participating cities."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_percent, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from pilots import charts
from pilots.conformance.history import Availability, DayResult
from pilots.extensions import db
from pilots.models import MilestoneStatus, ParticipantRole, PilotStatus, Stage
from pilots.security.access import ANYONE, CITY_STAFF, SIGNED_IN, STEERING, allow
from pilots.services import cities, monitoring, notifications
from pilots.services import workspaces as service
from pilots.services.errors import ServiceError
from pilots.vocabularies import FILE_TYPES, FREQUENCIES, LICENCES, THEMES
from pilots.web.admin.forms import parse_version
from pilots.web.forms import ConfirmForm, choices
from pilots.web.labels import CHECK_LABELS
from pilots.web.support import button_action, flash_service_error, form_status, page_argument, page_size, submit_form, translated
from pilots.web.urls import absolute_url, base_host
from pilots.web.workspaces.forms import (
    MILESTONE_LABELS,
    PILOT_STATUS_LABELS,
    ROLE_LABELS,
    STAGE_LABELS,
    DatasetForm,
    InviteForm,
    JoinForm,
    LeadForm,
    MilestoneForm,
    MilestoneStatusForm,
    PilotForm,
    StageForm,
    UpdateForm,
)

bp = Blueprint("workspaces", __name__, url_prefix="/pilots")

LABELS = {
    "status": PILOT_STATUS_LABELS,
    "role": ROLE_LABELS,
    "stage": STAGE_LABELS,
    "milestone": MILESTONE_LABELS,
    "themes": THEMES,
    "file_types": FILE_TYPES,
    "licences": LICENCES,
    "frequencies": FREQUENCIES,
    "checks": CHECK_LABELS,
}


def _pilot_or_404(pilot_id: int):
    return service.get_pilot(pilot_id)


def _locale() -> str:
    return str(get_locale() or "nl")


def _manager_or_403(pilot) -> None:
    if not service.can_manage(current_user, pilot):
        abort(403)


@bp.get("")
@allow(ANYONE)
def index():
    status = request.args.get("status") or None
    city = (request.args.get("city") or "").strip()[:64] or None
    try:
        year = int(request.args.get("year") or 0) or None
    except ValueError:
        year = None
    if year is not None and not 1900 <= year <= 2999:
        year = None
    pagination = db.paginate(service.list_query(status, year, city), page=page_argument(), per_page=page_size(), error_out=False)
    progress = {pilot.id: service.pilot_progress(pilot) for pilot in pagination.items}
    return render_template(
        "workspaces/list.html",
        pagination=pagination,
        progress=progress,
        labels=translated(LABELS),
        filters={"status": status, "city": city, "year": year},
        cities=cities.list_cities(),
        statuses=list(PilotStatus),
    )


def _pilot_data(form: PilotForm) -> service.PilotData:
    return service.PilotData(
        title=form.title.data or "",
        goal=form.goal.data or "",
        lead_city_id=form.lead_city_id.data or None,
        status=PilotStatus(form.status.data),
        start_date=form.start_date.data,
        end_date=form.end_date.data,
    )


def _pilot_form(form: PilotForm) -> PilotForm:
    form.lead_city_id.choices = choices([(0, "—"), *((c.id, c.name) for c in cities.list_cities())])
    return form


@bp.route("/new", methods=["GET", "POST"])
@allow(STEERING)
def new():
    form = _pilot_form(PilotForm())
    pilot = submit_form(form, lambda: service.create_pilot(current_user, _pilot_data(form)), _("Pilot created."))
    if pilot:
        return redirect(url_for("workspaces.detail", pilot_id=pilot.id))
    return render_template("workspaces/pilot_form.html", form=form, pilot=None), form_status(form)


@bp.route("/<int:pilot_id>/edit", methods=["GET", "POST"])
@allow(SIGNED_IN)
def edit(pilot_id: int):
    pilot = _pilot_or_404(pilot_id)
    _manager_or_403(pilot)
    form = _pilot_form(PilotForm(obj=pilot if request.method == "GET" else None))
    if request.method == "GET":
        form.version.data = str(pilot.version)
        form.status.data = pilot.status.value
        form.lead_city_id.data = pilot.lead_city_id or 0
    if submit_form(
        form,
        lambda: service.update_pilot(current_user, pilot.id, _pilot_data(form), parse_version(form.version.data)),
        _("Pilot saved."),
    ):
        return redirect(url_for("workspaces.detail", pilot_id=pilot.id))
    return render_template("workspaces/pilot_form.html", form=form, pilot=pilot), form_status(form)


def _gantt(pilot) -> str | None:
    today = service.today()
    rows = []
    for milestone in pilot.milestones:
        progress = service.milestone_progress(milestone)
        state = (
            "done"
            if progress >= 1
            else "overdue"
            if service.is_overdue(milestone, today)
            else "blocked"
            if milestone.status is MilestoneStatus.BLOCKED
            else "open"
        )
        start = milestone.start_date or (milestone.due_date - timedelta(days=14))
        rows.append({"label": milestone.title, "start": start.isoformat(), "end": milestone.due_date.isoformat(), "state": state})
    return charts.gantt_figure(rows, _locale(), today.isoformat())


def _render_detail(pilot, status: int = 200, **overrides):
    manager = service.can_manage(current_user, pilot)
    forms = {"lead": LeadForm(formdata=None), "post": UpdateForm(formdata=None)}
    if current_user.is_authenticated:
        taken = {p.city_id for p in pilot.participants}
        own = [m for m in current_user.memberships if m.city_id not in taken]
        if own:
            forms["join"] = JoinForm(formdata=None)
            forms["join"].city_id.choices = choices((m.city_id, m.city.name) for m in own)
        if manager:
            forms["invite"] = InviteForm(formdata=None)
            forms["invite"].city_id.choices = choices((c.id, c.name) for c in cities.list_cities() if c.id not in taken)
    forms.update(overrides)
    publishing_cities = [
        p
        for p in pilot.participants
        if p.accepted and (manager or (current_user.is_authenticated and current_user.is_staff_of(p.city_id)))
    ]
    return render_template(
        "workspaces/detail.html",
        pilot=pilot,
        manager=manager,
        forms=forms,
        labels=translated(LABELS),
        locale=_locale(),
        progress=service.pilot_progress(pilot),
        milestone_progress={m.id: service.milestone_progress(m) for m in pilot.milestones},
        overdue={m.id for m in pilot.milestones if service.is_overdue(m)},
        gantt=_gantt(pilot),
        activity=service.activity(pilot.id),
        publishing_cities=publishing_cities,
        checkable={d.id for d in pilot.datasets if service.can_check_dataset(current_user, pilot, d)},
        checking={d.id for d in pilot.datasets if service.check_pending(d)},
        stages=list(Stage),
        milestone_statuses=list(MilestoneStatus),
        plotly_version=charts.PLOTLY_VERSION,
        maplibre_marker=charts.plotly_assets().maplibre_marker,
        can_follow=notifications.can_follow(current_user, pilot),
        following=notifications.is_following(current_user, pilot),
    ), status


@bp.get("/<int:pilot_id>")
@allow(ANYONE)
def detail(pilot_id: int):
    return _render_detail(_pilot_or_404(pilot_id))


@bp.get("/<int:pilot_id>/milestones.ics")
@allow(ANYONE)
def calendar(pilot_id: int):
    """The pilot's milestones as an iCalendar feed, for the participants' calendars."""
    from icalendar import Calendar, Event

    pilot = _pilot_or_404(pilot_id)
    feed = Calendar()
    feed.add("prodid", "-//Datapilots//Smart Flanders//NL")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", pilot.title)
    host = base_host()
    for milestone in pilot.milestones:
        event = Event()
        event.add("uid", f"milestone-{milestone.id}@{host}")
        event.add("summary", f"{pilot.title}: {milestone.title}")
        event.add("dtstart", milestone.due_date)
        event.add("dtend", milestone.due_date + timedelta(days=1))
        event.add("dtstamp", pilot.updated_at)
        event.add("description", milestone.description or "")
        event.add("url", absolute_url("workspaces.detail", pilot_id=pilot.id))
        event.add("status", "CONFIRMED")
        feed.add_component(event)
    response = Response(feed.to_ical(), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f"inline; filename=pilot-{pilot.id}.ics"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.post("/<int:pilot_id>/leads")
@allow(SIGNED_IN)
def add_lead(pilot_id: int):
    pilot = _pilot_or_404(pilot_id)
    _manager_or_403(pilot)
    form = LeadForm()
    if submit_form(form, lambda: service.add_lead(current_user, pilot.id, form.email.data), _("Lead added.")):
        return redirect(url_for("workspaces.detail", pilot_id=pilot.id) + "#leads")
    return _render_detail(pilot, 400, lead=form)


@bp.post("/<int:pilot_id>/leads/<int:user_id>/remove")
@allow(SIGNED_IN)
def remove_lead(pilot_id: int, user_id: int):
    pilot = _pilot_or_404(pilot_id)
    _manager_or_403(pilot)
    button_action(lambda: service.remove_lead(current_user, pilot.id, user_id), _("Lead removed."))
    return redirect(url_for("workspaces.detail", pilot_id=pilot.id) + "#leads")


@bp.post("/<int:pilot_id>/join")
@allow(CITY_STAFF)
def join(pilot_id: int):
    pilot = _pilot_or_404(pilot_id)
    form = JoinForm()
    form.city_id.choices = choices((m.city_id, m.city.name) for m in current_user.memberships)
    if submit_form(
        form,
        lambda: service.request_to_join(current_user, pilot.id, form.city_id.data, ParticipantRole(form.role.data)),
        _("Your city asked to join; the pilot's lead will answer."),
    ):
        return redirect(url_for("workspaces.detail", pilot_id=pilot.id) + "#cities")
    return _render_detail(pilot, 400, join=form)


@bp.post("/<int:pilot_id>/participants")
@allow(SIGNED_IN)
def invite(pilot_id: int):
    pilot = _pilot_or_404(pilot_id)
    _manager_or_403(pilot)
    form = InviteForm()
    form.city_id.choices = choices((c.id, c.name) for c in cities.list_cities())
    if submit_form(
        form,
        lambda: service.invite_city(current_user, pilot.id, form.city_id.data, ParticipantRole(form.role.data)),
        _("City added."),
    ):
        return redirect(url_for("workspaces.detail", pilot_id=pilot.id) + "#cities")
    return _render_detail(pilot, 400, invite=form)


@bp.post("/<int:pilot_id>/participants/<int:participation_id>/accept")
@allow(SIGNED_IN)
def accept(pilot_id: int, participation_id: int):
    pilot = _pilot_or_404(pilot_id)
    _manager_or_403(pilot)
    button_action(lambda: service.accept(current_user, pilot.id, participation_id), _("City accepted."))
    return redirect(url_for("workspaces.detail", pilot_id=pilot.id) + "#cities")


@bp.post("/<int:pilot_id>/participants/<int:participation_id>/stage")
@allow(SIGNED_IN)
def stage(pilot_id: int, participation_id: int):
    pilot = _pilot_or_404(pilot_id)
    form = StageForm()
    try:
        if form.validate_on_submit():
            service.set_stage(current_user, pilot.id, participation_id, Stage(form.stage.data), form.changed_on.data)
            flash(_("Stage saved."), "success")
        else:
            flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "danger")
    except ServiceError as error:
        flash_service_error(error)
    return redirect(url_for("workspaces.detail", pilot_id=pilot.id) + "#cities")


def _milestone_data(form: MilestoneForm) -> service.MilestoneData:
    return service.MilestoneData(
        title=form.title.data or "",
        due_date=form.due_date.data,
        description=form.description.data or "",
        start_date=form.start_date.data,
        per_city=form.per_city.data,
        weight=form.weight.data,
    )


@bp.route("/<int:pilot_id>/milestones/new", methods=["GET", "POST"])
@allow(SIGNED_IN)
def new_milestone(pilot_id: int):
    pilot = _pilot_or_404(pilot_id)
    _manager_or_403(pilot)
    form = MilestoneForm()
    if submit_form(form, lambda: service.add_milestone(current_user, pilot.id, _milestone_data(form)), _("Milestone added.")):
        return redirect(url_for("workspaces.detail", pilot_id=pilot.id) + "#milestones")
    return render_template("workspaces/milestone_form.html", form=form, pilot=pilot, milestone=None), form_status(form)


@bp.route("/<int:pilot_id>/milestones/<int:milestone_id>", methods=["GET", "POST"])
@allow(SIGNED_IN)
def edit_milestone(pilot_id: int, milestone_id: int):
    pilot = _pilot_or_404(pilot_id)
    _manager_or_403(pilot)
    milestone = next((m for m in pilot.milestones if m.id == milestone_id), None)
    if milestone is None:
        abort(404)
    form = MilestoneForm(obj=milestone if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = str(milestone.version)
    if submit_form(
        form,
        lambda: service.update_milestone(
            current_user, pilot.id, milestone.id, _milestone_data(form), parse_version(form.version.data)
        ),
        _("Milestone saved."),
    ):
        return redirect(url_for("workspaces.detail", pilot_id=pilot.id) + "#milestones")
    return render_template("workspaces/milestone_form.html", form=form, pilot=pilot, milestone=milestone), form_status(form)


@bp.post("/<int:pilot_id>/milestones/<int:milestone_id>/status")
@allow(SIGNED_IN)
def milestone_status(pilot_id: int, milestone_id: int):
    pilot = _pilot_or_404(pilot_id)
    form = MilestoneStatusForm()
    try:
        city_id = int(form.city_id.data) if form.city_id.data else None
    except ValueError:
        abort(400)
    try:
        if form.validate_on_submit():
            service.set_milestone_status(
                current_user,
                pilot.id,
                milestone_id,
                MilestoneStatus(form.status.data),
                city_id,
                form.reason.data or "",
                form.completed_on.data,
            )
            flash(_("Milestone updated."), "success")
        else:
            flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "danger")
    except ServiceError as error:
        flash_service_error(error)
    return redirect(url_for("workspaces.detail", pilot_id=pilot.id) + f"#milestone-{milestone_id}")


def _dataset_form(form: DatasetForm, pilot) -> DatasetForm:
    manager = service.can_manage(current_user, pilot)
    form.city_id.choices = choices(
        (p.city_id, p.city.name) for p in pilot.participants if p.accepted and (manager or current_user.is_staff_of(p.city_id))
    )
    return form


def _dataset_data(form: DatasetForm) -> service.DatasetData:
    return service.DatasetData(
        title_nl=form.title_nl.data or "",
        access_url=form.access_url.data or "",
        contact_email=form.contact_email.data or "",
        theme=form.theme.data,
        file_type=form.file_type.data,
        licence=form.licence.data,
        title_en=form.title_en.data or "",
        description_nl=form.description_nl.data or "",
        description_en=form.description_en.data or "",
        keywords=form.keywords.data or "",
        download_url=form.download_url.data,
        conforms_to=form.conforms_to.data,
        frequency=form.frequency.data,
        realtime=form.realtime.data,
        issued=form.issued.data,
        language=form.language.data,
    )


@bp.route("/<int:pilot_id>/datasets/new", methods=["GET", "POST"])
@allow(SIGNED_IN)
def new_dataset(pilot_id: int):
    pilot = _pilot_or_404(pilot_id)
    form = _dataset_form(DatasetForm(), pilot)
    if not form.city_id.choices:
        abort(403)
    if request.method == "GET":
        form.contact_email.data = current_user.email
        form.theme.data = pilot.challenge.theme if pilot.challenge else "TRAN"
    if submit_form(
        form,
        lambda: service.add_dataset(current_user, pilot.id, form.city_id.data, _dataset_data(form)),
        _("Dataset registered. Check it against the technical principles."),
    ):
        return redirect(url_for("workspaces.detail", pilot_id=pilot.id) + "#datasets")
    return render_template("workspaces/dataset_form.html", form=form, pilot=pilot, dataset=None), form_status(form)


@bp.route("/<int:pilot_id>/datasets/<int:dataset_id>", methods=["GET", "POST"])
@allow(SIGNED_IN)
def edit_dataset(pilot_id: int, dataset_id: int):
    pilot = _pilot_or_404(pilot_id)
    dataset = next((d for d in pilot.datasets if d.id == dataset_id), None)
    if dataset is None:
        abort(404)
    if not (service.can_manage(current_user, pilot) or current_user.is_staff_of(dataset.city_id)):
        abort(403)
    form = _dataset_form(DatasetForm(obj=dataset if request.method == "GET" else None), pilot)
    form.city_id.choices = choices([(dataset.city_id, dataset.city.name)])
    if request.method == "GET":
        form.version.data = str(dataset.version)
    if submit_form(
        form,
        lambda: service.update_dataset(current_user, pilot.id, dataset.id, _dataset_data(form), parse_version(form.version.data)),
        _("Dataset saved."),
    ):
        return redirect(url_for("workspaces.detail", pilot_id=pilot.id) + "#datasets")
    return render_template("workspaces/dataset_form.html", form=form, pilot=pilot, dataset=dataset), form_status(form)


#: A day's result in words (the chart and the table say it in text, not by colour only).
DAY_RESULT_LABELS = {
    DayResult.PASSED: _l("passed"),
    DayResult.MIXED: _l("passed and failed"),
    DayResult.FAILED: _l("failed"),
    DayResult.NONE: _l("no check"),
}


def _availability_days(availability: Availability) -> list[dict]:
    """The window's days for the chart and the table, oldest first."""
    return [
        {
            "day": day.day.isoformat(),
            "label": format_date(day.day, "medium"),
            "result": day.result.value,
            "checks": day.checks,
            "passed": day.passed,
        }
        for day in availability.days
    ]


@bp.get("/<int:pilot_id>/datasets/<int:dataset_id>/history")
@allow(ANYONE)  # published datasets and their checks are public, as on the pilot page
def dataset_history(pilot_id: int, dataset_id: int):
    """A dataset's current verdict, its last change of verdict and its availability per day over the last days."""
    found = monitoring.dataset_history(pilot_id, dataset_id)
    locale = _locale()
    days = _availability_days(found.availability)
    figure = charts.availability_figure(days, locale)
    return render_template(
        "workspaces/dataset_history.html",
        history=found,
        dataset=found.dataset,
        pilot=found.dataset.pilot,
        locale=locale,
        days=days,
        window_days=len(days),
        figure=figure,
        day_results=translated(DAY_RESULT_LABELS),
        share=None if found.availability.share is None else format_percent(found.availability.share, format="#,##0%"),
        plotly_version=charts.PLOTLY_VERSION,
        maplibre_marker=charts.plotly_assets().maplibre_marker,
    )


@bp.post("/<int:pilot_id>/datasets/<int:dataset_id>/check")
@allow(SIGNED_IN)
def check_dataset(pilot_id: int, dataset_id: int):
    pilot = _pilot_or_404(pilot_id)
    if ConfirmForm().validate_on_submit():
        try:
            started = service.request_check(current_user, pilot.id, dataset_id)
        except ServiceError as error:
            flash_service_error(error)
        else:
            if started:
                flash(_("The check has started. Its checklist appears here within a minute: reload the page."), "info")
            else:
                flash(_("A check of this dataset is already under way."), "info")
    return redirect(url_for("workspaces.detail", pilot_id=pilot.id) + f"#dataset-{dataset_id}")


@bp.post("/<int:pilot_id>/updates")
@allow(SIGNED_IN)
def post_update(pilot_id: int):
    pilot = _pilot_or_404(pilot_id)
    _manager_or_403(pilot)
    form = UpdateForm()
    if submit_form(form, lambda: service.post_update(current_user, pilot.id, form.body.data), _("Update posted.")):
        return redirect(url_for("workspaces.detail", pilot_id=pilot.id) + "#activity")
    return _render_detail(pilot, 400, post=form)
