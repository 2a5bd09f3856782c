"""Voting rounds: the committee sets them up and moves their phases; each city's voters fill in its ballot."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from pilots.extensions import db
from pilots.models import PHASE_ORDER, BallotStatus, City, Direction, EffortUnit, RoundPhase, TieBreak, WeightSource
from pilots.security.access import SIGNED_IN, STEERING, allow, voter_of
from pilots.services import capacity, delphi, notifications, pledges, voting
from pilots.services.errors import ServiceError
from pilots.web import numbers
from pilots.web.admin.forms import parse_version
from pilots.web.forms import choices
from pilots.web.labels import EFFORT_UNITS_SHORT
from pilots.web.results.forms import ConfirmSelectionForm
from pilots.web.rounds.forms import (
    DIRECTION_LABELS,
    EFFORT_UNIT_LABELS,
    METHOD_LABELS,
    NORMALIZATION_LABELS,
    SAATY,
    SAATY_VALUES,
    TIE_BREAK_LABELS,
    WEIGHT_SOURCE_LABELS,
    AdvanceForm,
    CriterionForm,
    RoundForm,
)
from pilots.web.support import button_action, flash_service_error, form_status, submit_form

bp = Blueprint("rounds", __name__, url_prefix="/rounds")


def _city_id(args) -> int | None:
    return db.session.scalar(select(City.id).where(City.slug == args.get("city")))


CITY_VOTER = voter_of(_city_id, name="voter of the city")


def _round_or_404(round_id: int):
    return voting.get_round(round_id)


def _locale() -> str:
    return str(get_locale() or "nl")


@bp.get("")
@allow(SIGNED_IN)
def index():
    rounds = voting.list_rounds()
    counts = voting.ballot_counts([r.id for r in rounds])
    return render_template("rounds/list.html", rounds=rounds, counts=counts)


def _round_data(form: RoundForm) -> voting.RoundData:
    return voting.RoundData(
        title=form.title.data or "",
        year=form.year.data,
        pilots_to_select=form.pilots_to_select.data,
        proposals_deadline=form.proposals_deadline.data,
        voting_deadline=form.voting_deadline.data,
        allow_self_scoring=form.allow_self_scoring.data,
        quorum=form.quorum.data,
        ballots_confidential=form.ballots_confidential.data,
        method=form.method.data,
        normalization=form.normalization.data,
        sensitivity_samples=form.sensitivity_samples.data,
        perturbation=form.perturbation.data,
        seed=form.seed.data,
        weight_source=WeightSource(form.weight_source.data),
        tie_break=TieBreak(form.tie_break.data),
        effort_unit=EffortUnit(form.effort_unit.data),
        capacity=form.capacity.data,
        delphi=form.delphi.data,
        revision_deadline=form.revision_deadline.data,
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(STEERING)
def new():
    form = RoundForm()
    if request.method == "GET":
        year = voting.utcnow().year + 1
        form.year.data = year
        form.title.data = _("Datapilots %(year)d", year=year)
    round_ = submit_form(
        form,
        lambda: voting.create_round(current_user, _round_data(form)),
        _("Round created with the suggested criteria. Adjust them and their weights, then open the proposals."),
    )
    if round_:
        return redirect(url_for("rounds.detail", round_id=round_.id))
    return render_template("rounds/form.html", form=form, round=None), form_status(form)


@bp.route("/<int:round_id>/edit", methods=["GET", "POST"])
@allow(STEERING)
def edit(round_id: int):
    round_ = _round_or_404(round_id)
    form = RoundForm(obj=round_ if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = str(round_.version)
    if submit_form(
        form,
        lambda: voting.update_round(current_user, round_.id, _round_data(form), parse_version(form.version.data)),
        _("Round saved."),
    ):
        return redirect(url_for("rounds.detail", round_id=round_.id))
    return render_template("rounds/form.html", form=form, round=round_), form_status(form)


@bp.get("/<int:round_id>")
@allow(SIGNED_IN)
def detail(round_id: int):
    round_ = _round_or_404(round_id)
    ballots = voting.submitted_cities(round_.id)
    total_weight = sum(c.weight for c in round_.criteria) or 1
    own_ballots = [b for b in ballots.values() if current_user.is_staff_of(b.city_id)]
    candidates = voting.eligible_challenges(round_) if not round_.at_least(RoundPhase.VOTING_OPEN) else []
    return render_template(
        "rounds/detail.html",
        round=round_,
        ballots=sorted(ballots.values(), key=lambda b: b.city.name),
        own_ballots=own_ballots,
        total_weight=total_weight,
        locale=_locale(),
        phases=PHASE_ORDER,
        candidates=candidates,
        # Capacity (issue 15): each challenge's effort, the total and the warnings, for who may see the efforts.
        capacity=capacity.overview(round_, candidates) if capacity.can_see_efforts(current_user, round_) else None,
        effort_units_short=EFFORT_UNITS_SHORT,
        # Pledges: the page of who takes part, once voting has closed; a button for the cities that answer now.
        show_pledges=round_.at_least(RoundPhase.CLOSED),
        pledge_cities=[m.city for m in current_user.memberships if pledges.can_pledge(current_user, round_, m.city_id)],
        ahp=voting.ahp_result(round_),
        quorum=voting.effective_quorum(round_, len(ballots) or voting.active_city_count()),
        advance_form=AdvanceForm(formdata=None),
        method_labels=METHOD_LABELS,
        normalization_labels=NORMALIZATION_LABELS,
        direction_labels=DIRECTION_LABELS,
        weight_source_labels=WEIGHT_SOURCE_LABELS,
        tie_break_labels=TIE_BREAK_LABELS,
        effort_unit_labels=EFFORT_UNIT_LABELS,
        can_see_results=voting.can_see_results(current_user, round_),
        can_edit_criteria=voting.can_edit_criteria(current_user, round_),
        first_pass_open=delphi.first_pass_open(round_),
        second_pass_running=delphi.in_revision(round_) and round_.phase is RoundPhase.VOTING_OPEN,
        visible_ballots={b.id for b in ballots.values() if voting.can_see_ballot(current_user, round_, b)},
        following=notifications.is_following(current_user, round_),
        next_step=next(
            (step for step in voting.CONFIRMED_STEPS if step != "selection" and voting.step_ready(round_, step)), None
        ),
        can_confirm_selection=voting.can_take_step(current_user, round_, "selection"),
    )


@bp.post("/<int:round_id>/advance")
@allow(STEERING)
def advance(round_id: int):
    round_ = _round_or_404(round_id)
    form = AdvanceForm()
    if form.validate_on_submit():
        try:
            expected = RoundPhase(form.expected_phase.data)
        except ValueError:
            abort(400)
        # The pass the page was opened in (a Delphi round); anything but a number means "not said".
        expected_pass = int(form.expected_pass.data) if (form.expected_pass.data or "").isdigit() else None
        try:
            moved = voting.advance(current_user, round_.id, expected, expected_pass)
        except ServiceError as error:
            flash_service_error(error)
        else:
            if moved.phase is RoundPhase.VOTING_OPEN and delphi.in_revision(moved) and expected is RoundPhase.VOTING_OPEN:
                flash(_("The first pass is closed: the cities see the spread and may revise their scores."), "success")
            else:
                flash(_("The round moved to the next phase."), "success")
    return redirect(url_for("rounds.detail", round_id=round_.id))


STEP_TITLES = {
    "voting_open": _l("Open voting"),
    "closed": _l("Close voting and compute the result"),
    "published": _l("Publish the results"),
    "selection": _l("Confirm the selection"),
}


def _selection_form(round_) -> ConfirmSelectionForm:
    """The committee's choice, as on the results page: the challenges in rank order, the computed ones checked."""
    form = ConfirmSelectionForm(formdata=None)
    result = voting.result_of(round_) or {}
    titles = {str(e.challenge_id): e.challenge.title for e in round_.entries}
    ranks = {row["alternative"]: row["rank"] for row in result.get("ranking", [])}
    order = [a for a in ranks if a in titles] + [a for a in titles if a not in ranks]
    form.selected.choices = choices(
        (int(a), _("%(title)s (rank %(rank)d)", title=titles[a], rank=ranks[a]) if a in ranks else titles[a]) for a in order
    )
    form.selected.data = [int(a) for a in result.get("selected", []) if a in titles]
    return form


@bp.get("/<int:round_id>/confirm/<any(voting_open, closed, published, selection):step>")
@allow(STEERING)
def confirm_step(round_id: int, step: str):
    """What an irreversible step freezes, with its counts, and the form that takes it."""
    round_ = _round_or_404(round_id)
    if not voting.can_take_step(current_user, round_, step):
        flash(_("This step is not possible in the round's current phase."), "info")
        return redirect(url_for("rounds.detail", round_id=round_.id))
    summary = voting.step_summary(round_, step)
    form = AdvanceForm(formdata=None, expected_phase=summary.expected_phase.value, expected_pass=str(round_.delphi_pass))
    return render_template(
        "rounds/confirm_step.html",
        round=round_,
        step=step,
        title=_("Close the first pass and show the spread") if summary.first_pass else STEP_TITLES[step],
        summary=summary,
        form=form,
        selection_form=_selection_form(round_) if step == "selection" else None,
        # Which cities said they would take part in each challenge's pilot (pilots/services/pledges.py).
        tally=pledges.tally(round_) if step == "selection" else {},
        no_answers=pledges.NO_ANSWERS,
        quorum=voting.effective_quorum(round_),
        method_labels=METHOD_LABELS,
    )


def _criterion_data(form: CriterionForm) -> voting.CriterionData:
    return voting.CriterionData(
        key=form.key.data or "",
        name_nl=form.name_nl.data or "",
        name_en=form.name_en.data or "",
        description_nl=form.description_nl.data or "",
        description_en=form.description_en.data or "",
        weight=form.weight.data,
        direction=Direction(form.direction.data),
        scale_min=form.scale_min.data,
        scale_max=form.scale_max.data,
        integer_scale=form.integer_scale.data,
        **{field: getattr(form, field).data or "" for field in voting.ANCHOR_FIELDS},
    )


@bp.route("/<int:round_id>/criteria/new", methods=["GET", "POST"])
@allow(STEERING)
def new_criterion(round_id: int):
    round_ = _round_or_404(round_id)
    form = CriterionForm()
    if submit_form(form, lambda: voting.add_criterion(current_user, round_.id, _criterion_data(form)), _("Criterion added.")):
        return redirect(url_for("rounds.detail", round_id=round_.id) + "#criteria")
    return render_template("rounds/criterion_form.html", form=form, round=round_, criterion=None), form_status(form)


@bp.route("/<int:round_id>/criteria/<int:criterion_id>", methods=["GET", "POST"])
@allow(STEERING)
def edit_criterion(round_id: int, criterion_id: int):
    round_ = _round_or_404(round_id)
    criterion = voting.get_criterion(round_, criterion_id)
    form = CriterionForm(obj=criterion if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = str(round_.version)
        form.direction.data = criterion.direction.value
    if submit_form(
        form,
        lambda: voting.update_criterion(
            current_user, round_.id, criterion.id, _criterion_data(form), parse_version(form.version.data)
        ),
        _("Criterion saved."),
    ):
        return redirect(url_for("rounds.detail", round_id=round_.id) + "#criteria")
    return render_template("rounds/criterion_form.html", form=form, round=round_, criterion=criterion), form_status(form)


@bp.post("/<int:round_id>/criteria/<int:criterion_id>/delete")
@allow(STEERING)
def delete_criterion(round_id: int, criterion_id: int):
    button_action(lambda: voting.remove_criterion(current_user, round_id, criterion_id), _("Criterion removed."))
    return redirect(url_for("rounds.detail", round_id=round_id) + "#criteria")


def _pairs(round_):
    criteria = list(round_.criteria)
    return [(a, b) for i, a in enumerate(criteria) for b in criteria[i + 1 :]]


def _cr(value: float) -> str:
    """A consistency ratio as the reader's language writes it, two decimals, never "-0.00"."""
    return numbers.formatter(_locale())(max(0.0, float(value)), "0.00")


def _judgements_signature(chosen: dict[str, str]) -> str:
    """The comparisons a preview showed: "apply anyway" applies only these, not ones changed since."""
    return ";".join(f"{key}={code}" for key, code in sorted(chosen.items()))


@bp.route("/<int:round_id>/weights", methods=["GET", "POST"])
@allow(STEERING)
def weights(round_id: int):
    """Derive the weights from pairwise comparisons (AHP). Inconsistent comparisons (CR above 0.10) are shown as
    a preview naming the judgements that contradict the weights most, and applied only when confirmed."""
    round_ = _round_or_404(round_id)
    pairs = _pairs(round_)
    chosen = {f"{a.id}:{b.id}": "1" for a, b in pairs}
    for key, value in (round_.ahp_judgements or {}).items():
        chosen[key] = next((code for code, number in SAATY_VALUES.items() if abs(number - value) < 1e-4), "1")
    errors: list[str] = []
    status = 200
    preview = None
    if request.method == "POST":
        judgements = {}
        for a, b in pairs:
            key = f"{a.id}:{b.id}"
            code = request.form.get(f"pair-{a.id}-{b.id}", "")
            chosen[key] = code
            if code not in SAATY_VALUES:
                errors.append(_("Choose a comparison for %(a)s and %(b)s.", a=a.name(_locale()), b=b.name(_locale())))
            else:
                judgements[key] = SAATY_VALUES[code]
        confirmed = bool(request.form.get("apply_anyway")) and request.form.get("previewed") == _judgements_signature(chosen)
        if not errors:
            try:
                outcome = voting.apply_ahp(
                    current_user,
                    round_.id,
                    judgements,
                    parse_version(request.form.get("version")),
                    apply_inconsistent=confirmed,
                )
            except ServiceError as error:
                errors.append(str(error.message))
            else:
                if outcome.applied:
                    if outcome.inconsistent:
                        flash(
                            _(
                                "Weights applied although the comparisons are inconsistent (consistency ratio %(cr)s, "
                                "above 0.10).",
                                cr=_cr(outcome.cr),
                            ),
                            "warning",
                        )
                    else:
                        flash(
                            _("Weights derived from the comparisons (consistency ratio %(cr)s).", cr=_cr(outcome.cr)), "success"
                        )
                    return redirect(url_for("rounds.detail", round_id=round_.id) + "#criteria")
                preview = outcome
        if errors:
            status = 400
    return render_template(
        "rounds/weights.html",
        round=round_,
        pairs=pairs,
        chosen=chosen,
        saaty=SAATY,
        errors=errors,
        ahp=voting.ahp_result(round_),
        preview=preview,
        previewed=_judgements_signature(chosen) if preview else "",
        fraction=_fraction,
        cr=_cr,
        locale=_locale(),
    ), status


def _fraction(value: float) -> str:
    """A judgement or ratio as Saaty writes it: 3, 1/3, or a decimal for a ratio off the scale."""
    for whole in range(1, 10):
        if abs(value - whole) < 1e-4:
            return str(whole)
        if abs(value - 1 / whole) < 1e-5:
            return f"1/{whole}"
    return numbers.formatter(_locale())(value, "0.##") if value >= 1 else "1/" + numbers.formatter(_locale())(1 / value, "0.##")


# --- ballots --------------------------------------------------------------------------------------------------


def _ballot_context(round_, city_slug: str):
    city = db.session.scalar(select(City).where(City.slug == city_slug))
    if city is None:
        abort(404)
    ballot = voting.get_ballot(round_, city.id)
    return city, ballot


def _render_ballot(round_, city, ballot, cells=None, notes=None, cell_errors=None, status=200, reasons=None, reason_errors=None):
    revision = delphi.ballot_view(round_, ballot)
    if cells is None:
        cells = {(s.challenge_id, s.criterion_id): _format(s.value) for s in ballot.scores}
        notes = {n.challenge_id: n.text for n in ballot.notes}
        reasons = dict(revision.reasons) if revision else {}
    editable = (
        round_.phase is RoundPhase.VOTING_OPEN and ballot.status is BallotStatus.DRAFT and current_user.is_voter_of(city.id)
    )
    return render_template(
        "rounds/ballot.html",
        round=round_,
        city=city,
        ballot=ballot,
        cells=cells,
        notes=notes or {},
        cell_errors=cell_errors or {},
        editable=editable,
        # Delphi (pilots/services/delphi.py): the first pass's spread, the city's own first-pass scores, the reasons.
        revision=revision,
        reasons=reasons or {},
        reason_errors=reason_errors or {},
        score_text=_format,
        excluded=voting.excluded_cells(round_, ballot),
        locale=_locale(),
        can_reopen=(
            round_.phase is RoundPhase.VOTING_OPEN
            and ballot.status is BallotStatus.SUBMITTED
            and current_user.is_voter_of(city.id)
        ),
    ), status


def _format(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


@bp.get("/<int:round_id>/ballots/<city>")
@allow(SIGNED_IN)
def ballot(round_id: int, city: str):
    """A city's ballot: its own staff always; everyone after publication unless the round keeps ballots confidential."""
    round_ = _round_or_404(round_id)
    city_, ballot_ = _ballot_context(round_, city)
    if not voting.can_see_ballot(current_user, round_, ballot_):
        abort(403)
    return _render_ballot(round_, city_, ballot_)


@bp.post("/<int:round_id>/ballots/<city>")
@allow(CITY_VOTER)
def save_ballot(round_id: int, city: str):
    round_ = _round_or_404(round_id)
    city_, ballot_ = _ballot_context(round_, city)
    cells, notes, reasons = {}, {}, {}
    for name, value in request.form.items():
        parts = name.split("-")
        try:
            if parts[0] == "score" and len(parts) == 3:
                cells[(int(parts[1]), int(parts[2]))] = value[:50]
            elif parts[0] == "reason" and len(parts) == 3:
                reasons[(int(parts[1]), int(parts[2]))] = value[:1000]
            elif parts[0] == "note" and len(parts) == 2:
                notes[int(parts[1])] = value[:2000]
        except ValueError:
            abort(400)
    submit = request.form.get("action") == "submit"
    try:
        voting.save_ballot(
            current_user,
            round_.id,
            city_.id,
            voting.BallotInput(cells, notes, reasons),
            parse_version(request.form.get("version")),
            submit=submit,
        )
    except voting.BallotErrors as error:
        flash(str(error.message), "danger")
        return _render_ballot(round_, city_, ballot_, cells, notes, error.cells, 400, reasons, error.reasons)
    except ServiceError as error:
        if error.__class__.__name__ in ("NotFound", "Forbidden"):
            flash_service_error(error)
        flash(str(error.message), "danger")
        return _render_ballot(round_, city_, ballot_, cells, notes, status=400, reasons=reasons)
    flash(_("Ballot submitted. You can reopen it until voting closes.") if submit else _("Draft saved."), "success")
    return redirect(url_for("rounds.ballot", round_id=round_.id, city=city_.slug))


@bp.post("/<int:round_id>/ballots/<city>/reopen")
@allow(CITY_VOTER)
def reopen_ballot(round_id: int, city: str):
    round_ = _round_or_404(round_id)
    city_, _ballot = _ballot_context(round_, city)
    try:
        voting.reopen_ballot(current_user, round_.id, city_.id, parse_version(request.form.get("version")))
    except ServiceError as error:
        flash_service_error(error)
    else:
        flash(_("Ballot reopened: change it and submit it again before voting closes."), "info")
    return redirect(url_for("rounds.ballot", round_id=round_.id, city=city_.slug))
