"""Challenges: the list, the detail page, proposing and editing, datasets, co-sponsors, discussion, screening."""

from __future__ import annotations

import csv
import io
import math
from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from pilots.extensions import db
from pilots.models import Availability, Challenge, ChallengeStatus
from pilots.security.access import ADMIN, ANYONE, CITY_STAFF, SIGNED_IN, STEERING, allow, staff_of
from pilots.services import challenges as service
from pilots.services import cities, notifications
from pilots.services.errors import ServiceError
from pilots.vocabularies import FILE_TYPES, FREQUENCIES, LICENCES, THEMES, openness
from pilots.web import numbers
from pilots.web.admin.forms import parse_version
from pilots.web.challenges.forms import (
    AVAILABILITY_LABELS,
    ChallengeForm,
    CommentForm,
    CoSponsorForm,
    DatasetForm,
    HideCommentForm,
    ScreeningForm,
    WithdrawCoSponsorForm,
)
from pilots.web.forms import ConfirmForm, choices
from pilots.web.labels import EFFORT_UNITS_SHORT
from pilots.web.support import (
    apply_service_error,
    button_action,
    flash_service_error,
    form_status,
    page_argument,
    page_size,
    paginate_rows,
    submit_form,
)
from pilots.web.urls import absolute_url

bp = Blueprint("challenges", __name__, url_prefix="/challenges")

OWN_CITY = staff_of(lambda args: service.city_of(args["challenge_id"]), name="staff of the proposing city")


def _filters(mine: bool = False) -> service.Filters:
    args = request.args
    try:
        year = int(args.get("year", "") or 0) or None
    except ValueError:
        year = None
    if year is not None and not 1900 <= year <= 2999:
        year = None
    status = args.get("status", "")
    return service.Filters(
        year=year,
        theme=args.get("theme") if args.get("theme") in THEMES else None,
        city=(args.get("city") or "").strip()[:64] or None,
        status=status if status in ChallengeStatus._value2member_map_ else None,
        q=(args.get("q") or "").strip()[:100],
        sort=args.get("sort") if args.get("sort") in service.SORTS else "newest",
        mine=mine,
    )


def _filter_args(filters: service.Filters) -> dict:
    values = {
        "year": filters.year,
        "theme": filters.theme,
        "city": filters.city,
        "status": filters.status,
        "q": filters.q or None,
        "sort": None if filters.sort == "newest" else filters.sort,
    }
    return {key: value for key, value in values.items() if value}


def _list(mine: bool):
    filters = _filters(mine)
    pagination = paginate_rows(service.list_query(current_user, filters), page_argument(), page_size())
    rows = pagination.items  # (Challenge, dataset_count, cosponsor_count)
    return render_template(
        "challenges/list.html",
        pagination=pagination,
        rows=rows,
        filters=filters,
        filter_args=_filter_args(filters),
        mine=mine,
        years=service.available_years(),
        cities=cities.list_cities(),
        themes=THEMES,
        statuses=list(ChallengeStatus),
        sorts=service.SORTS,
    )


@bp.get("")
@allow(ANYONE)
def index():
    return _list(mine=False)


@bp.get("/my-city")
@allow(CITY_STAFF)
def my_city():
    return _list(mine=True)


CSV_FIELDS = ("id", "title", "year", "theme", "city", "status", "datasets", "cosponsor_count", "cosponsors", "submitted", "url")


def _csv_cell(value) -> str:
    """Neutralise text a spreadsheet would run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/export.csv")
@allow(ANYONE)
def export_csv():
    filters = _filters(mine=request.args.get("mine") == "1" and current_user.is_authenticated)
    rows = db.session.execute(service.list_query(current_user, filters)).all()
    names = service.cosponsor_names([challenge.id for challenge, _, _ in rows])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)
    for challenge, dataset_count, cosponsor_count in rows:
        writer.writerow(
            [
                _csv_cell(value)
                for value in (
                    challenge.id,
                    challenge.title,
                    challenge.year,
                    challenge.theme,
                    challenge.city.name,
                    challenge.status.value,
                    dataset_count,
                    cosponsor_count,
                    "; ".join(names[challenge.id]),
                    challenge.submitted_at.date().isoformat() if challenge.submitted_at else "",
                    absolute_url("challenges.detail", challenge_id=challenge.id),
                )
            ]
        )
    return Response(
        "\ufeff" + buffer.getvalue(), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=challenges.csv"}
    )


def _challenge_form(form: ChallengeForm, city_choices: list | None = None) -> ChallengeForm:
    form.year.choices = choices((year, str(year)) for year in reversed(service.year_range()))
    if city_choices is not None:
        form.city_id.choices = city_choices
    return form


def _challenge_data(form: ChallengeForm) -> service.ChallengeData:
    return service.ChallengeData(
        title=form.title.data or "",
        summary=form.summary.data or "",
        description=form.description.data or "",
        theme=form.theme.data,
        expected_impact=form.expected_impact.data or "",
        year=form.year.data,
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(CITY_STAFF)
def new():
    own_cities = choices((m.city_id, m.city.name) for m in current_user.memberships)
    form = _challenge_form(ChallengeForm(), own_cities)
    if request.method == "GET":
        form.year.data = service.utcnow().year + 1
    challenge = submit_form(
        form,
        lambda: service.create_challenge(current_user, form.city_id.data, _challenge_data(form)),
        lambda challenge: _("Draft saved. Add the candidate datasets, then submit the challenge."),
    )
    if challenge:
        return redirect(url_for("challenges.detail", challenge_id=challenge.id))
    return render_template("challenges/form.html", form=form, challenge=None), form_status(form)


def _detail_forms(challenge: Challenge) -> dict:
    forms = {"confirm": ConfirmForm()}
    if current_user.is_authenticated:
        forms["comment"] = CommentForm(formdata=None)
        other_cities = [m for m in current_user.memberships if m.city_id != challenge.city_id]
        sponsoring = {s.city_id for s in challenge.cosponsors}
        available = [m for m in other_cities if m.city_id not in sponsoring]
        if available:
            forms["cosponsor"] = CoSponsorForm(formdata=None)
            forms["cosponsor"].city_id.choices = choices((m.city_id, m.city.name) for m in available)
        forms["withdraw_cosponsor"] = [s for s in challenge.cosponsors if current_user.is_staff_of(s.city_id)]
        if current_user.is_steering:
            current = {"eligible": "eligible", "ineligible": "ineligible"}.get(challenge.status.value)
            forms["screening"] = ScreeningForm(
                formdata=None,
                data={
                    "decision": current,
                    "reason": challenge.screening_reason or "",
                    "effort": _effort_text(challenge.effort),
                    "effort_seen": _effort_seen(challenge.effort),
                },
            )
            if not service.can_edit_effort(current_user, challenge):
                del forms["screening"].effort
        if current_user.is_admin:
            forms["hide"] = {c.id: HideCommentForm(formdata=None, prefix=f"hide-{c.id}") for c in challenge.comments}
    return forms


def _effort_seen(effort: float | None) -> str:
    """The stored effort in the screening form's hidden field, exactly (not in the reader's format)."""
    return "" if effort is None else repr(effort)


def _parse_effort_seen(text: str | None):
    """The hidden field back: the effort the form was opened with, or UNCHANGED when the field is missing or mangled."""
    if text is None:
        return service.UNCHANGED
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        return service.UNCHANGED
    return value if math.isfinite(value) else service.UNCHANGED


def _effort_text(effort: float | None) -> str:
    """The effort as the form shows it, in the reader's language (the service reads a decimal comma too)."""
    return numbers.formatter(str(get_locale() or "nl"))(effort, "0.##") if effort is not None else ""


def _render_detail(challenge: Challenge, status: int = 200, **overrides):
    forms = {**_detail_forms(challenge), **overrides}
    window = timedelta(minutes=current_app.config["COMMENT_EDIT_MINUTES"])
    is_own = current_user.is_authenticated and current_user.is_staff_of(challenge.city_id)
    # Screening details (the reason, the estimated effort): the proposing city, the committee and administrators.
    sees_screening = is_own or (current_user.is_authenticated and (current_user.is_steering or current_user.is_admin))
    unit = service.effort_unit(challenge) if sees_screening else None
    screening = forms.get("screening")
    if unit and screening is not None and getattr(screening, "effort", None) is not None:
        screening.effort.label.text = _("Estimated effort (%(unit)s)", unit=EFFORT_UNITS_SHORT[unit])
    return render_template(
        "challenges/detail.html",
        challenge=challenge,
        forms=forms,
        is_own=is_own,
        sees_screening=sees_screening,
        effort_unit=EFFORT_UNITS_SHORT[unit] if unit else None,
        effort_frozen=service.effort_frozen_reason(challenge) if "screening" in forms else None,
        closed_reason=service.editing_closed_reason(challenge),
        history=service.history(challenge.id) if current_user.is_authenticated else [],
        openness={d.id: _openness(d) for d in challenge.datasets},
        editable_comments={c.id for c in challenge.comments if service.can_edit_comment(current_user, c, window)},
        can_follow=notifications.can_follow(current_user, challenge),
        following=notifications.is_following(current_user, challenge),
        labels={
            "availability": AVAILABILITY_LABELS,
            "file_types": FILE_TYPES,
            "licences": LICENCES,
            "frequencies": FREQUENCIES,
            "themes": THEMES,
        },
    ), status


def _openness(dataset):
    return openness(
        available_openly=dataset.availability is Availability.OPEN,
        url=dataset.url,
        licence=dataset.licence,
        file_type=dataset.file_type,
        standard=dataset.standard,
    )


def _visible_or_404(challenge_id: int) -> Challenge:
    return service.get_visible(challenge_id, current_user)


@bp.get("/<int:challenge_id>")
@allow(ANYONE)
def detail(challenge_id: int):
    return _render_detail(_visible_or_404(challenge_id))


@bp.route("/<int:challenge_id>/edit", methods=["GET", "POST"])
@allow(OWN_CITY)
def edit(challenge_id: int):
    challenge = _visible_or_404(challenge_id)
    form = _challenge_form(ChallengeForm(obj=challenge if request.method == "GET" else None))
    del form.city_id
    if request.method == "GET":
        form.version.data = str(challenge.version)
    if submit_form(
        form,
        lambda: service.update_challenge(current_user, challenge.id, _challenge_data(form), parse_version(form.version.data)),
        _("Challenge saved."),
    ):
        return redirect(url_for("challenges.detail", challenge_id=challenge.id))
    return render_template("challenges/form.html", form=form, challenge=challenge), form_status(form)


def _state_change(challenge_id: int, action, message: str):
    button_action(lambda: action(current_user, challenge_id), message)
    return redirect(url_for("challenges.detail", challenge_id=challenge_id))


@bp.post("/<int:challenge_id>/submit")
@allow(OWN_CITY)
def submit(challenge_id: int):
    return _state_change(
        challenge_id, service.submit, _("Challenge submitted: other cities can now see, co-sponsor and discuss it.")
    )


@bp.post("/<int:challenge_id>/withdraw")
@allow(OWN_CITY)
def withdraw(challenge_id: int):
    return _state_change(challenge_id, service.withdraw, _("Challenge withdrawn."))


def _dataset_form(form: DatasetForm) -> DatasetForm:
    form.holder_city_id.choices = choices([(0, _("— not a city —")), *((c.id, c.name) for c in cities.list_cities())])
    return form


def _dataset_data(form: DatasetForm) -> service.DatasetData:
    return service.DatasetData(
        title=form.title.data or "",
        description=form.description.data or "",
        holder_city_id=form.holder_city_id.data or None,
        holder_name=form.holder_name.data,
        availability=Availability(form.availability.data),
        url=form.url.data,
        file_type=form.file_type.data,
        licence=form.licence.data,
        frequency=form.frequency.data,
        realtime=form.realtime.data,
        standard=form.standard.data,
    )


@bp.route("/<int:challenge_id>/datasets/new", methods=["GET", "POST"])
@allow(OWN_CITY)
def new_dataset(challenge_id: int):
    challenge = _visible_or_404(challenge_id)
    form = _dataset_form(DatasetForm())
    if request.method == "GET":
        form.holder_city_id.data = challenge.city_id
    if form.validate_on_submit():
        try:
            service.add_dataset(current_user, challenge.id, _dataset_data(form))
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(_("Dataset added."), "success")
            if request.form.get("another"):
                return redirect(url_for("challenges.new_dataset", challenge_id=challenge.id))
            return redirect(url_for("challenges.detail", challenge_id=challenge.id) + "#datasets")
    return render_template("challenges/dataset_form.html", form=form, challenge=challenge, dataset=None), form_status(form)


@bp.route("/<int:challenge_id>/datasets/<int:dataset_id>", methods=["GET", "POST"])
@allow(OWN_CITY)
def edit_dataset(challenge_id: int, dataset_id: int):
    challenge = _visible_or_404(challenge_id)
    dataset = service.get_dataset(challenge.id, dataset_id)
    form = _dataset_form(DatasetForm(obj=dataset if request.method == "GET" else None))
    if request.method == "GET":
        form.version.data = str(dataset.version)
        form.availability.data = dataset.availability.value
        form.holder_city_id.data = dataset.holder_city_id or 0
    if submit_form(
        form,
        lambda: service.update_dataset(
            current_user, challenge.id, dataset.id, _dataset_data(form), parse_version(form.version.data)
        ),
        _("Dataset saved."),
    ):
        return redirect(url_for("challenges.detail", challenge_id=challenge.id) + "#datasets")
    return render_template("challenges/dataset_form.html", form=form, challenge=challenge, dataset=dataset), form_status(form)


@bp.post("/<int:challenge_id>/datasets/<int:dataset_id>/delete")
@allow(OWN_CITY)
def delete_dataset(challenge_id: int, dataset_id: int):
    button_action(lambda: service.remove_dataset(current_user, challenge_id, dataset_id), _("Dataset removed."))
    return redirect(url_for("challenges.detail", challenge_id=challenge_id) + "#datasets")


@bp.post("/<int:challenge_id>/cosponsor")
@allow(CITY_STAFF)
def cosponsor(challenge_id: int):
    challenge = _visible_or_404(challenge_id)
    form = CoSponsorForm()
    form.city_id.choices = choices((m.city_id, m.city.name) for m in current_user.memberships)
    if submit_form(
        form,
        lambda: service.cosponsor(current_user, challenge.id, form.city_id.data, form.note.data or ""),
        _("Your city co-sponsors this challenge."),
    ):
        return redirect(url_for("challenges.detail", challenge_id=challenge.id) + "#cosponsors")
    return _render_detail(challenge, 400, cosponsor=form)


@bp.post("/<int:challenge_id>/cosponsor/withdraw")
@allow(CITY_STAFF)
def withdraw_cosponsor(challenge_id: int):
    form = WithdrawCoSponsorForm()
    if form.validate_on_submit():
        try:
            service.withdraw_cosponsorship(current_user, challenge_id, int(form.city_id.data))
        except (ServiceError, ValueError) as error:
            if isinstance(error, ValueError):
                flash(_("Choose a city."), "danger")
            else:
                flash_service_error(error)
        else:
            flash(_("Co-sponsorship withdrawn."), "success")
    return redirect(url_for("challenges.detail", challenge_id=challenge_id) + "#cosponsors")


@bp.post("/<int:challenge_id>/comments")
@allow(SIGNED_IN)
def comment(challenge_id: int):
    challenge = _visible_or_404(challenge_id)
    form = CommentForm()
    created = submit_form(form, lambda: service.add_comment(current_user, challenge.id, form.body.data), _("Comment posted."))
    if created:
        return redirect(url_for("challenges.detail", challenge_id=challenge.id) + f"#comment-{created.id}")
    return _render_detail(challenge, 400, comment=form)


@bp.route("/<int:challenge_id>/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@allow(SIGNED_IN)
def edit_comment(challenge_id: int, comment_id: int):
    challenge = _visible_or_404(challenge_id)
    comment = service.get_comment(challenge.id, comment_id)
    if comment.author_id != current_user.id:
        abort(403)
    window = timedelta(minutes=current_app.config["COMMENT_EDIT_MINUTES"])
    form = CommentForm(obj=comment if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = str(comment.version)
        if not service.can_edit_comment(current_user, comment, window):
            flash(_("Comments can be edited for %(minutes)d minutes after posting.", minutes=window.seconds // 60), "info")
            return redirect(url_for("challenges.detail", challenge_id=challenge.id) + f"#comment-{comment.id}")
    if submit_form(
        form,
        lambda: service.edit_comment(
            current_user, challenge.id, comment.id, form.body.data, parse_version(form.version.data), window
        ),
        _("Comment saved."),
    ):
        return redirect(url_for("challenges.detail", challenge_id=challenge.id) + f"#comment-{comment.id}")
    status = 400 if form.errors else 200
    return render_template("challenges/comment_form.html", form=form, challenge=challenge, comment=comment), status


@bp.post("/<int:challenge_id>/comments/<int:comment_id>/hide")
@allow(ADMIN)
def hide_comment(challenge_id: int, comment_id: int):
    challenge = _visible_or_404(challenge_id)
    form = HideCommentForm(prefix=f"hide-{comment_id}")
    if submit_form(
        form, lambda: service.hide_comment(current_user, challenge.id, comment_id, form.reason.data), _("Comment hidden.")
    ):
        return redirect(url_for("challenges.detail", challenge_id=challenge.id) + "#discussion")
    hide_forms = _detail_forms(challenge).get("hide", {})
    if comment_id not in hide_forms:
        abort(404)
    return _render_detail(challenge, 400, hide={**hide_forms, comment_id: form})


@bp.post("/<int:challenge_id>/screening")
@allow(STEERING)
def screen(challenge_id: int):
    challenge = _visible_or_404(challenge_id)
    form = ScreeningForm()
    # A page without the effort field (the effort is frozen) leaves the effort as it is.
    effort = form.effort.data if "effort" in request.form else service.UNCHANGED
    seen = _parse_effort_seen(request.form.get("effort_seen"))
    if submit_form(
        form,
        lambda: service.screen(
            current_user, challenge.id, form.decision.data == "eligible", form.reason.data or "", effort, seen
        ),
        _("Screening saved."),
    ):
        return redirect(url_for("challenges.detail", challenge_id=challenge.id))
    form.effort_seen.data = _effort_seen(service.get_challenge(challenge.id).effort)  # the next save starts from now
    if not form.effort.errors and not service.can_edit_effort(current_user, challenge):
        del form.effort
    return _render_detail(challenge, 400, screening=form)
