"""Each city's own weights for the criteria, given on its ballot when the round ranks with the cities' weights
(issue 15; docs/ranking.md, "Contract version 2" → "Group weights" and "Distance").

A city's voters give them directly (one positive number per criterion, in any unit) or by pairwise comparison
(AHP, with the committee's building blocks in pilots/services/voting.py: an inconsistent set, CR above 0.10, is a
preview naming the judgements to look at again, and is kept only when the voter confirms it). Either way they are
stored on the ballot divided by their sum, ``{criterion key: weight}`` adding up to 1, with the pairwise judgements
(``{"<key>:<key>": Saaty value}``) when the city compared the criteria. When the round closes, the engine takes the
geometric mean of the submitted ballots' weights as the group weights it ranks with.

Every weight must be above 0: the geometric mean of a criterion that one city gives 0 is 0, which the engine refuses
(a single city would take the criterion out for everyone). A weight may not be more than a million times smaller
than the city's largest one, so that none rounds away to 0.

Like its scores, a city's weights change only while voting is open and its ballot is a draft, by the city's own
voters; the ballot's version guards against two voters saving at once (the same version as the scores: a page
opened before another save is refused). Whoever sees the city's scores sees its weights (``voting.can_see_scores``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from pilots import ranking
from pilots.models import Ballot, BallotStatus, Criterion, Round, RoundPhase, User, WeightSource, utcnow
from pilots.ranking.ahp import inconsistent_judgements
from pilots.services import audit, voting
from pilots.services.errors import NotFound, ServiceError
from pilots.services.transaction import check_version, unit_of_work

#: The smallest weight a city may give, as a share of its largest one: anything smaller would count for nothing.
SMALLEST_RATIO = 1e-6
#: The largest number typed: larger ones are a wrong unit (and their sum could overflow).
LARGEST = 1e12


# --- what the pages ask ----------------------------------------------------------------------------------------


def asks_city_weights(round_: Round) -> bool:
    """Does the round rank with the cities' weights, so that each ballot carries its city's weights?"""
    return round_.weight_source is WeightSource.CITIES


def why_not_editable(user: User | None, round_: Round, ballot: Ballot) -> str | None:
    """Why ``user`` may not change the city's weights on ``ballot`` now (a sentence), or None when they may."""
    if not asks_city_weights(round_):
        return _l("This round ranks with the steering committee's weights: the cities do not weigh the criteria.")
    if round_.at_least(RoundPhase.CLOSED):
        return _l("Voting is closed: the weights are frozen.")
    if round_.phase is not RoundPhase.VOTING_OPEN:
        return _l("Voting is not open in this round.")
    if ballot.status is BallotStatus.SUBMITTED:
        return _l("This ballot is submitted. Reopen it to change it.")
    if not (getattr(user, "is_authenticated", False) and user.is_voter_of(ballot.city_id)):
        return _l("Only your city's voters fill in its ballot.")
    return None


def can_edit_city_weights(user: User | None, round_: Round, city_id: int, ballot: Ballot | None = None) -> bool:
    """Only the city's voters, only while voting is open and the city's ballot is not submitted."""
    if ballot is None:
        try:
            ballot = voting.get_ballot(round_, city_id)
        except NotFound:
            return False
    return ballot.city_id == city_id and why_not_editable(user, round_, ballot) is None


def can_see_city_weights(user: User | None, round_: Round, city_id: int) -> bool:
    """A city's weights are as private as its scores."""
    return voting.can_see_scores(user, round_, city_id)


def weights_of(round_: Round, ballot: Ballot) -> list[tuple[Criterion, float]]:
    """The city's weights in the criteria's order, each a share of 1; empty when it gave none (for every criterion)."""
    stored = ballot.weights or {}
    criteria = list(round_.criteria)
    if not criteria or any(c.key not in stored for c in criteria):
        return []
    return [(c, float(stored[c.key])) for c in criteria]


def judgements_of(round_: Round, ballot: Ballot) -> dict[str, float]:
    """The city's stored pairwise judgements keyed like the committee's ("<criterion id>:<criterion id>")."""
    ids = {c.key: c.id for c in round_.criteria}
    found = {}
    for pair, value in (ballot.weight_judgements or {}).items():
        first, _, second = pair.partition(":")
        if first in ids and second in ids:
            found[f"{ids[first]}:{ids[second]}"] = float(value)
    return found


def consistency_of(round_: Round, ballot: Ballot) -> ranking.AHPResult | None:
    """The consistency of the comparisons the city's weights come from; None when they were given directly."""
    if not ballot.weight_judgements or len(round_.criteria) < 2:
        return None
    try:
        return ranking.ahp(voting.ahp_matrix(list(round_.criteria), judgements_of(round_, ballot)))
    except (KeyError, ValueError, ZeroDivisionError, ranking.RankingInputError):
        return None


# --- giving the weights ----------------------------------------------------------------------------------------


class WeightErrors(ServiceError):
    """Weights that could not be saved, with a message per criterion id; nothing was saved."""

    def __init__(self, fields: dict[int, str], message: str | None = None) -> None:
        super().__init__(message or _l("Some weights are not valid; nothing was saved. Correct the marked fields."))
        self.fields = fields


def _editable_ballot(actor: User, round_id: int, city_id: int, expected_version: int | None) -> tuple[Round, Ballot]:
    """The round (locked for share, as a ballot save does) and the city's ballot, if ``actor`` may change its weights."""
    round_ = voting.lock_round(round_id, share=True)
    voting._require_voter(actor, city_id)
    ballot = voting.get_ballot(round_, city_id)
    refusal = why_not_editable(actor, round_, ballot)
    if refusal is not None:
        raise ServiceError(refusal)
    check_version(ballot.version, expected_version)
    return round_, ballot


def _shares(weights: Mapping[str, float]) -> dict[str, float]:
    """Divided by their sum, to 12 significant digits (as the engine writes its numbers)."""
    total = math.fsum(weights.values())
    return {key: float(f"{value / total:.12g}") for key, value in weights.items()}


def _store(
    actor: User, round_: Round, ballot: Ballot, weights: dict[str, float], judgements: dict[str, float] | None, **details: Any
) -> Ballot:
    with unit_of_work():
        ballot.weights = _shares(weights)
        ballot.weight_judgements = judgements
        ballot.updated_by_id = actor.id
        ballot.updated_at = utcnow()
        ballot.version += 1
        audit.record(
            actor,
            "ballot.weights_saved",
            "round",
            round_.id,
            city_id=ballot.city_id,
            criteria=len(ballot.weights),
            **details,  # never the weights or the judgements: administrators read the audit log in every round
        )
    return ballot


def parse_direct_weights(criteria: list[Criterion], values: Mapping[int, str]) -> dict[str, float]:
    """One typed number per criterion id, in any unit, each above 0; raise WeightErrors naming every bad one."""
    parsed: dict[int, float] = {}
    errors: dict[int, str] = {}
    for criterion in criteria:
        raw = str(values.get(criterion.id) or "").strip().replace(",", ".")
        try:
            value = float(raw) if raw else math.nan
        except ValueError:
            value = math.nan
        if not raw:
            errors[criterion.id] = str(_l("Give this criterion a weight."))
        elif not math.isfinite(value):
            errors[criterion.id] = str(_l("Enter a number, such as 2 or 0.5."))
        elif value < 0:
            errors[criterion.id] = str(_l("A weight cannot be negative."))
        elif value == 0:
            errors[criterion.id] = str(_l("Give this criterion a weight above 0."))
        elif value > LARGEST:
            errors[criterion.id] = str(_l("This number is too large: use a smaller unit."))
        else:
            parsed[criterion.id] = value
    if parsed and not errors:
        largest = max(parsed.values())
        for criterion_id, value in parsed.items():
            if value < largest * SMALLEST_RATIO:
                errors[criterion_id] = str(
                    _l("This weight is less than a millionth of the largest one: it would count for nothing.")
                )
    if errors:
        all_zero = all(_is_zero(values.get(c.id)) for c in criteria)
        raise WeightErrors(errors, _l("Every weight is 0: give each criterion a weight above 0.") if all_zero else None)
    return {criterion.key: parsed[criterion.id] for criterion in criteria}


def _is_zero(raw: str | None) -> bool:
    """Was a 0 typed (in any writing: 0, 0.0, 0,00)?"""
    try:
        return float(str(raw or "").strip().replace(",", ".")) == 0
    except ValueError:
        return False


def save_direct_weights(
    actor: User, round_id: int, city_id: int, values: Mapping[int, str], expected_version: int | None
) -> Ballot:
    """The city's weights as typed, ``{criterion id: text}``: stored divided by their sum."""
    round_, ballot = _editable_ballot(actor, round_id, city_id, expected_version)
    weights = parse_direct_weights(list(round_.criteria), values)
    return _store(actor, round_, ballot, weights, None, method="direct")


def _on_saaty_scale(value: float) -> bool:
    """1 to 9 or the reciprocal of one of them."""
    if not (math.isfinite(value) and value > 0):
        return False
    whole = value if value >= 1 else 1 / value
    return round(whole) in range(1, 10) and math.isclose(whole, round(whole), rel_tol=1e-4)


def derive_from_judgements(criteria: list[Criterion], judgements: Mapping[str, float]) -> voting.AHPOutcome:
    """The weights pairwise judgements give (keyed "<criterion id>:<criterion id>", the first before the second in
    the round's order), their consistency and the judgements that deviate most; nothing is stored."""
    if len(criteria) < 2:
        raise ServiceError(_l("Pairwise comparison needs at least two criteria."))
    try:
        matrix = voting.ahp_matrix(criteria, dict(judgements))
    except (KeyError, ValueError, TypeError, ZeroDivisionError):
        raise ServiceError(_l("Compare every pair of criteria.")) from None
    upper = [matrix[i][j] for i in range(len(criteria)) for j in range(i + 1, len(criteria))]
    if not all(_on_saaty_scale(value) for value in upper):
        raise ServiceError(_l("Use Saaty's scale: 1 to 9 or its reciprocals."))
    result = ranking.ahp(matrix)
    issues = [
        voting.JudgementIssue(criteria[item.i], criteria[item.j], item.judgement, item.implied)
        for item in inconsistent_judgements(matrix, result.weights)
    ]
    weights = {criterion.id: float(weight) for criterion, weight in zip(criteria, result.weights, strict=True)}
    return voting.AHPOutcome(result=result, weights=weights, applied=False, worst=issues)


def save_pairwise_weights(
    actor: User,
    round_id: int,
    city_id: int,
    judgements: Mapping[str, float],
    apply_inconsistent: bool,
    expected_version: int | None,
) -> voting.AHPOutcome:
    """The city's weights from its pairwise comparisons (principal eigenvector). Consistent ones (CR <= 0.10) are
    stored at once; inconsistent ones only with ``apply_inconsistent`` (the voter saw the preview and confirms):
    otherwise nothing changes and the outcome names the judgements that deviate most."""
    round_, ballot = _editable_ballot(actor, round_id, city_id, expected_version)
    criteria = list(round_.criteria)
    outcome = derive_from_judgements(criteria, judgements)
    if outcome.inconsistent and not apply_inconsistent:
        return outcome
    keys = {c.id: c.key for c in criteria}
    stored_judgements = {}
    for first in range(len(criteria)):
        for second in range(first + 1, len(criteria)):
            pair = f"{criteria[first].id}:{criteria[second].id}"
            stored_judgements[f"{keys[criteria[first].id]}:{keys[criteria[second].id]}"] = float(judgements[pair])
    # The decision to keep inconsistent comparisons is audited; the ratio and the judgements are the city's own,
    # as private as its scores, and stay out of the audit log.
    details: dict[str, Any] = {"method": "pairwise"}
    if outcome.inconsistent:
        details["applied_despite_inconsistency"] = True
    _store(actor, round_, ballot, {keys[i]: w for i, w in outcome.weights.items()}, stored_judgements, **details)
    return voting.AHPOutcome(result=outcome.result, weights=outcome.weights, applied=True, worst=outcome.worst)


@dataclass(frozen=True)
class Summary:
    """What a ballot page shows of its city's weights."""

    weights: list[tuple[Criterion, float]]  # in the criteria's order, shares of 1; empty: none given yet
    consistency: ranking.AHPResult | None  # when they come from pairwise comparisons
    editable: bool
    missing: bool  # the ballot cannot be submitted yet: it has no weights

    @property
    def pairwise(self) -> bool:
        return bool(self.weights) and self.consistency is not None


def summary(user: User | None, round_: Round, ballot: Ballot) -> Summary | None:
    """The ballot page's panel of the city's weights, for whoever sees the ballot; None in a committee round."""
    if not asks_city_weights(round_):
        return None
    return Summary(
        weights=weights_of(round_, ballot),
        consistency=consistency_of(round_, ballot),
        editable=why_not_editable(user, round_, ballot) is None,
        missing=voting.lacks_city_weights(round_, ballot),
    )
