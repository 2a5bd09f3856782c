"""An optional Delphi pass in a voting round (issue 15): the cities score, the committee closes the first pass, each
city sees the anonymised spread of the first pass next to its own scores and may revise them until the revision
deadline, giving a short reason for every score it changes; then the round closes on the second pass.

The phase stays "voting open" through both passes; ``Round.delphi_pass`` says which one runs. ``Score.first_value``
keeps each score as it was when the first pass closed, so the snapshot holds both passes (docs/ranking.md,
"Delphi: scoring twice") and the engine ranks with the second. The rules:

* Ballots submitted in the first pass stay submitted: a city that does not revise keeps its scores (to revise, it
  reopens its ballot, as in any round, and submits again). A city that did not submit in the first pass may still
  submit in the second; it has no first-pass scores, so it counts in the second pass only and gives no reasons.
* The spread of a cell (median and interquartile range of the first pass, from every ballot submitted in it) is
  shown only where at least ``MIN_OTHERS`` (5) cities *other than the ballot's city* scored the cell, so that a city
  cannot solve the figures for the few others' scores. No page shows another city's own score.
* A city that submitted in the first pass gives a reason (at most ``REASON_LENGTH`` characters) for every cell
  whose score it changes, to submit; a score of the first pass may be changed, not removed. Reasons are not engine
  input: they stay in the database and are shown on the ballot page, to whoever may see the city's scores.

This module does not commit: ``voting.advance`` and ``voting.save_ballot`` call it inside their unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from pilots.extensions import db
from pilots.models import Ballot, BallotStatus, City, Round, RoundPhase, Score
from pilots.services.errors import ServiceError

#: A cell's spread is shown only where at least this many cities besides the ballot's own scored it: the same
#: threshold as the results page's (``voting.MIN_SCORES_FOR_A_SPREAD``). With 3 others, the median and quartiles
#: (the city's own score among them) are 3 equations in 3 unknowns: the city could solve for the others' scores.
MIN_OTHERS = 5
#: The longest reason for a changed score.
REASON_LENGTH = 300

Cell = tuple[int, int]  # (challenge id, criterion id)


def first_pass_open(round_: Round) -> bool:
    """Is the round in the first pass of a Delphi round: does the next "close" open the revision, not the result?"""
    return bool(round_.delphi) and round_.delphi_pass == 1 and round_.phase is RoundPhase.VOTING_OPEN


def in_revision(round_: Round) -> bool:
    """Has the first pass been closed: do the ballot pages show the spread (also after the round closed)?"""
    return bool(round_.delphi) and round_.delphi_pass >= 2


def open_revision(round_: Round) -> dict[str, Any]:
    """Close the first pass: every submitted ballot's scores are kept as their first-pass values, in one UPDATE.
    The caller holds the round's lock (``voting.lock_round``) and commits."""
    submitted = [b for b in round_.ballots if b.status is BallotStatus.SUBMITTED]
    if not submitted:
        raise ServiceError(_l("No city has submitted its ballot yet."))
    db.session.execute(
        update(Score)
        .where(Score.ballot_id.in_([b.id for b in submitted]))
        .values(first_value=Score.value, revision_reason="")
        .execution_options(synchronize_session=False)
    )
    for ballot in round_.ballots:
        db.session.expire(ballot, ["scores"])
    round_.delphi_pass = 2
    return {"first_pass": sorted(b.city.slug for b in submitted)}


@dataclass(frozen=True)
class CellSpread:
    """The first pass's scores of one cell, anonymised: how many, the median and the quartiles."""

    n: int
    median: float
    q1: float
    q3: float

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1


def _first_pass_rows(round_id: int):
    return db.session.execute(
        select(Score.challenge_id, Score.criterion_id, Score.first_value, Ballot.city_id)
        .join(Ballot, Score.ballot_id == Ballot.id)
        .where(Ballot.round_id == round_id, Score.first_value.is_not(None))
    ).all()


def spread(round_: Round, city_id: int) -> dict[Cell, CellSpread]:
    """The first pass's spread of every cell that at least ``MIN_OTHERS`` cities other than ``city_id`` scored,
    from every ballot submitted in the first pass (the city's own included), in one query."""
    if not in_revision(round_):
        return {}
    values: dict[Cell, list[float]] = {}
    others: dict[Cell, int] = {}
    for challenge_id, criterion_id, value, scorer in _first_pass_rows(round_.id):
        cell = (challenge_id, criterion_id)
        values.setdefault(cell, []).append(float(value))
        others[cell] = others.get(cell, 0) + (scorer != city_id)
    shown = {}
    for cell, scores in values.items():
        if others[cell] < MIN_OTHERS:
            continue
        q1, median, q3 = (float(x) for x in np.percentile(np.asarray(scores), [25, 50, 75]))
        shown[cell] = CellSpread(n=len(scores), median=median, q1=q1, q3=q3)
    return shown


def first_values(ballot: Ballot) -> dict[Cell, float]:
    """The ballot's scores at the end of the first pass (empty: it was not submitted then)."""
    return {(s.challenge_id, s.criterion_id): s.first_value for s in ballot.scores if s.first_value is not None}


@dataclass(frozen=True)
class BallotView:
    """What a ballot page shows in the second pass, next to each cell."""

    spread: dict[Cell, CellSpread]
    first: dict[Cell, float]
    reasons: dict[Cell, str]
    deadline: date | None
    open: bool  # the second pass is still running
    min_others: int = MIN_OTHERS

    @property
    def revising(self) -> bool:
        """Did the city submit in the first pass (so changed scores need a reason)?"""
        return bool(self.first)


def ballot_view(round_: Round, ballot: Ballot) -> BallotView | None:
    """The second pass's panel of a ballot, for whoever may see the ballot (``voting.can_see_ballot``); None when
    the round has no Delphi pass or is still in its first."""
    if not in_revision(round_):
        return None
    return BallotView(
        spread=spread(round_, ballot.city_id),
        first=first_values(ballot),
        reasons={(s.challenge_id, s.criterion_id): s.revision_reason for s in ballot.scores if s.revision_reason},
        deadline=round_.revision_deadline,
        open=round_.phase is RoundPhase.VOTING_OPEN,
    )


def check_revision(
    round_: Round, ballot: Ballot, values: dict[Cell, float], typed: dict[Cell, str], submit: bool
) -> tuple[dict[Cell, float | None], dict[Cell, str], dict[Cell, str], dict[Cell, str]]:
    """For a save in the second pass: each cell's first-pass value, the reasons to keep (changed cells only), and
    the errors: scores of the first pass removed (``cells``), reasons too long or, to submit, missing (``reasons``).
    Returns (first values, reasons, cell errors, reason errors)."""
    if not in_revision(round_):
        return {}, {}, {}, {}
    first = first_values(ballot)
    if not first:
        return {}, {}, {}, {}
    cell_errors: dict[Cell, str] = {}
    reason_errors: dict[Cell, str] = {}
    reasons: dict[Cell, str] = {}
    for cell in first:
        if cell not in values:
            cell_errors[cell] = str(_l("In the second pass a score of the first pass can be changed, not removed."))
    for cell, value in values.items():
        if first.get(cell) == value:
            continue  # unchanged: no reason needed, none kept
        reason = " ".join((typed.get(cell) or "").split())
        if len(reason) > REASON_LENGTH:
            reason_errors[cell] = str(_l("Use at most %(n)d characters.", n=REASON_LENGTH))
        elif not reason and submit:
            reason_errors[cell] = str(_l("Say in a few words why your city changed this score."))
        if reason:
            reasons[cell] = reason[:REASON_LENGTH]
    return {cell: first.get(cell) for cell in values}, reasons, cell_errors, reason_errors


def first_pass_ballots(round_: Round, keys: dict[int, str]) -> list[dict[str, Any]]:
    """The first pass as the engine reads it: every ballot submitted in it, by city slug, from the first-pass
    values (``keys``: criterion id -> key)."""
    rows = db.session.execute(
        select(City.slug, Score.challenge_id, Score.criterion_id, Score.first_value)
        .join(Ballot, Score.ballot_id == Ballot.id)
        .join(City, Ballot.city_id == City.id)
        .where(Ballot.round_id == round_.id, Score.first_value.is_not(None))
        .order_by(City.slug, Score.challenge_id, Score.criterion_id)
    ).all()
    ballots: dict[str, dict[str, dict[str, float]]] = {}
    for slug, challenge_id, criterion_id, value in rows:
        ballots.setdefault(slug, {}).setdefault(str(challenge_id), {})[keys[criterion_id]] = value
    return [{"voter": slug, "scores": scores} for slug, scores in ballots.items()]
