"""Pledges (issue 15): between the close of voting and the confirmation of the selection, a city's staff say for
each challenge of the ballot whether their city would take part in its pilot. The rules are in
pilots/services/pledges.py; these views parse, call it and render."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from pilots.models import Round
from pilots.security.access import SIGNED_IN, allow, staff_of
from pilots.services import pledges as service
from pilots.services.errors import ServiceError, StaleEdit
from pilots.web.errors import CSRF_MESSAGE
from pilots.web.forms import ConfirmForm
from pilots.web.rounds.views import _round_or_404, bp
from pilots.web.support import abort_for

#: Any role in the city named by the route's ``city`` (a slug): staff and voters act for their own city.
CITY_STAFF_OF = staff_of(lambda args: service.city_id_of(args.get("city")), name="staff of the city")

ANSWERS = {"yes": True, "no": False}


def _render(
    round_: Round,
    typed: dict[int, dict[int, str]] | None = None,
    errors: dict | None = None,
    status: int = 200,
    seen: dict[int, dict[int, str]] | None = None,
):
    """The page: a form per city of the reader (while cities answer), and the answers so far. ``seen``: the
    answers a refused form was opened with, kept so that its next save still detects somebody else's change."""
    cities = sorted((m.city for m in current_user.memberships), key=lambda city: city.name)
    stored = service.answers(round_.id, [city.id for city in cities])
    shown = {
        city.id: {challenge_id: ("yes" if taking_part else "no") for challenge_id, taking_part in stored[city.id].items()}
        for city in cities
    }
    opened = {city_id: dict(answers) for city_id, answers in shown.items()} | (seen or {})
    chosen = {city_id: dict(answers) for city_id, answers in shown.items()}
    for city_id, values in (typed or {}).items():
        chosen.setdefault(city_id, {}).update(values)
    return render_template(
        "rounds/pledges.html",
        round=round_,
        items=service.items(current_user, round_),
        cities=cities,
        can_pledge={city.id for city in cities if service.can_pledge(current_user, round_, city.id)},
        chosen=chosen,
        opened=opened,
        errors=errors or {},
        tally=service.tally(round_),
        no_answers=service.NO_ANSWERS,
        can_see_names=service.can_see_names(current_user, round_),
        pledges_open=service.pledges_open(round_),
        closed=round_.phase.value in ("closed", "published"),
        form=ConfirmForm(formdata=None),
    ), status


@bp.get("/<int:round_id>/pledges")
@allow(SIGNED_IN)
def pledges(round_id: int):
    """Who takes part: every signed-in user sees the counts (the names if they may see the results); a city's
    staff answer for their own city."""
    return _render(_round_or_404(round_id))


@bp.post("/<int:round_id>/pledges/<city>")
@allow(CITY_STAFF_OF)
def save_pledges(round_id: int, city: str):
    round_ = _round_or_404(round_id)
    city_ = service.get_city(city)
    form = ConfirmForm()
    if not form.validate_on_submit():  # the CSRF token (CSRFProtect refuses a post without one before this)
        return _render(round_, errors={city_.id: {0: str(CSRF_MESSAGE)}}, status=400)
    typed: dict[int, str] = {}
    cell_errors: dict[int, str] = {}
    # What the form showed when it was opened: only what the user changed is saved, and a change somebody else
    # made in the meantime is detected rather than overwritten.
    opened = {
        entry.challenge_id: request.form.get(f"seen-{entry.challenge_id}", "")
        for entry in round_.entries
        if f"seen-{entry.challenge_id}" in request.form
    }
    seen = {cid: ANSWERS.get(value) for cid, value in opened.items()} if opened else None
    for entry in round_.entries:
        value = request.form.get(f"pledge-{entry.challenge_id}", "")
        if value == "":
            continue  # not answered: left as it was
        typed[entry.challenge_id] = value[:10]
        if value not in ANSWERS:
            cell_errors[entry.challenge_id] = _("Answer yes or no.")
    if not typed and not cell_errors:
        cell_errors[0] = _("Answer yes or no for at least one challenge.")
    kept = {city_.id: opened} if opened else None
    if cell_errors:
        return _render(round_, {city_.id: typed}, {city_.id: cell_errors}, status=400, seen=kept)
    try:
        service.pledge_all(current_user, round_.id, city_.id, {cid: ANSWERS[value] for cid, value in typed.items()}, seen)
    except ServiceError as error:
        abort_for(error)
        # After a refusal for somebody else's change the form starts from what is stored now, keeping what was typed.
        fresh = isinstance(error, StaleEdit)
        return _render(round_, {city_.id: typed}, {city_.id: {0: str(error.message)}}, status=400, seen=None if fresh else kept)
    flash(_("The answers of %(city)s are saved.", city=city_.name), "success")
    return redirect(url_for("rounds.pledges", round_id=round_.id) + f"#pledge-{city_.slug}")
