"""A city's own weights for the criteria, on its ballot, when the round ranks with the cities' weights (issue 15):
given directly (one number per criterion) or by pairwise comparison (AHP, like the committee's weights page).
The rules are in pilots/services/city_weights.py; these views parse, call it and render."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from pilots.models import Ballot, City, Round
from pilots.security.access import SIGNED_IN, allow
from pilots.services import city_weights as service
from pilots.services.errors import ServiceError
from pilots.web import numbers
from pilots.web.admin.forms import parse_version
from pilots.web.rounds.forms import SAATY, SAATY_VALUES
from pilots.web.rounds.views import (
    CITY_VOTER,
    _ballot_context,
    _cr,
    _fraction,
    _judgements_signature,
    _locale,
    _pairs,
    _round_or_404,
    bp,
)
from pilots.web.support import abort_for

#: The longest text kept of a typed weight (what was typed comes back in the field).
TYPED_LENGTH = 50


@bp.context_processor
def _weights_panel() -> dict:
    """The ballot page's panel of its city's weights (templates/rounds/ballot.html), for the ballot's reader."""
    return {"city_weights_panel": lambda round_, ballot: service.summary(current_user, round_, ballot), "weights_cr": _cr}


def _readable(round_id: int, city: str) -> tuple[Round, City, Ballot]:
    """The round, the city and its ballot, for whoever may see the city's weights (as its scores); else 403."""
    round_ = _round_or_404(round_id)
    city_, ballot_ = _ballot_context(round_, city)
    if not service.can_see_city_weights(current_user, round_, city_.id):
        abort(403)
    return round_, city_, ballot_


def _page(template: str, round_: Round, city_: City, ballot_: Ballot, status: int = 200, **context):
    context.setdefault("errors", [])
    return render_template(
        template,
        round=round_,
        city=city_,
        ballot=ballot_,
        current=service.weights_of(round_, ballot_),
        consistency=service.consistency_of(round_, ballot_),
        refusal=_text(service.why_not_editable(current_user, round_, ballot_)),
        asks=service.asks_city_weights(round_),
        locale=_locale(),
        cr=_cr,
        **context,
    ), status


def _text(message) -> str | None:
    """A lazy text as plain text, so that the template escapes it (a lazy text passes as safe HTML)."""
    return None if message is None else str(message)


def _saved(round_: Round, city_: City):
    return redirect(url_for("rounds.ballot", round_id=round_.id, city=city_.slug))


# --- directly: a number per criterion ----------------------------------------------------------------------------


def _shown_values(round_: Round, ballot_: Ballot) -> dict[int, str]:
    """The stored weights as the form shows them: percentages, in the reader's way of writing numbers."""
    number = numbers.formatter(_locale())
    return {criterion.id: number(100 * weight, "0.##") for criterion, weight in service.weights_of(round_, ballot_)}


@bp.get("/<int:round_id>/ballots/<city>/weights")
@allow(SIGNED_IN)
def city_weights(round_id: int, city: str):
    """The city's weights, and the form that gives them directly while its voters may still change them."""
    round_, city_, ballot_ = _readable(round_id, city)
    return _page("rounds/city_weights.html", round_, city_, ballot_, typed=_shown_values(round_, ballot_), fields={})


@bp.post("/<int:round_id>/ballots/<city>/weights")
@allow(CITY_VOTER)
def save_city_weights(round_id: int, city: str):
    round_ = _round_or_404(round_id)
    city_, ballot_ = _ballot_context(round_, city)
    typed = {c.id: request.form.get(f"weight-{c.id}", "")[:TYPED_LENGTH] for c in round_.criteria}
    try:
        service.save_direct_weights(current_user, round_.id, city_.id, typed, parse_version(request.form.get("version")))
    except service.WeightErrors as error:
        return _page(
            "rounds/city_weights.html", round_, city_, ballot_, 400, typed=typed, fields=error.fields, errors=[str(error.message)]
        )
    except ServiceError as error:
        abort_for(error)
        return _page("rounds/city_weights.html", round_, city_, ballot_, 400, typed=typed, fields={}, errors=[str(error.message)])
    flash(_("Your city's weights are saved."), "success")
    return _saved(round_, city_)


# --- by pairwise comparison -------------------------------------------------------------------------------------


def _code(value: float) -> str:
    """The scale's option for a stored judgement."""
    return min(SAATY_VALUES, key=lambda code: abs(SAATY_VALUES[code] - value))


def _pairwise(round_: Round, city_: City, ballot_: Ballot, chosen: dict[str, str], status: int = 200, **context):
    return _page(
        "rounds/city_weights_pairwise.html",
        round_,
        city_,
        ballot_,
        status,
        pairs=_pairs(round_),
        chosen=chosen,
        saaty=SAATY,
        fraction=_fraction,
        judgements=service.judgements_of(round_, ballot_),
        **context,
    )


@bp.get("/<int:round_id>/ballots/<city>/weights/pairwise")
@allow(SIGNED_IN)
def city_weights_pairwise(round_id: int, city: str):
    """The city's weights from pairwise comparisons: its comparisons as it left them (all "equal" at first)."""
    round_, city_, ballot_ = _readable(round_id, city)
    chosen = {f"{a.id}:{b.id}": "1" for a, b in _pairs(round_)}
    chosen.update({pair: _code(value) for pair, value in service.judgements_of(round_, ballot_).items() if pair in chosen})
    return _pairwise(round_, city_, ballot_, chosen)


@bp.post("/<int:round_id>/ballots/<city>/weights/pairwise")
@allow(CITY_VOTER)
def save_city_weights_pairwise(round_id: int, city: str):
    round_ = _round_or_404(round_id)
    city_, ballot_ = _ballot_context(round_, city)
    chosen, judgements, errors = {}, {}, []
    for a, b in _pairs(round_):
        code = request.form.get(f"pair-{a.id}-{b.id}", "")[:TYPED_LENGTH]
        chosen[f"{a.id}:{b.id}"] = code
        if code in SAATY_VALUES:
            judgements[f"{a.id}:{b.id}"] = SAATY_VALUES[code]
        else:
            errors.append(_("Choose a comparison for %(a)s and %(b)s.", a=a.name(_locale()), b=b.name(_locale())))
    if errors:
        return _pairwise(round_, city_, ballot_, chosen, 400, errors=errors)
    confirmed = bool(request.form.get("apply_anyway")) and request.form.get("previewed") == _judgements_signature(chosen)
    try:
        outcome = service.save_pairwise_weights(
            current_user, round_.id, city_.id, judgements, confirmed, parse_version(request.form.get("version"))
        )
    except ServiceError as error:
        abort_for(error)
        return _pairwise(round_, city_, ballot_, chosen, 400, errors=[str(error.message)])
    if not outcome.applied:
        return _pairwise(round_, city_, ballot_, chosen, preview=outcome, previewed=_judgements_signature(chosen))
    if outcome.inconsistent:
        flash(
            _(
                "Your city's weights are saved although the comparisons are inconsistent (consistency ratio %(cr)s, above 0.10).",
                cr=_cr(outcome.cr),
            ),
            "warning",
        )
    else:
        flash(_("Your city's weights are saved (consistency ratio %(cr)s).", cr=_cr(outcome.cr)), "success")
    return _saved(round_, city_)
