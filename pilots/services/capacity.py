"""A round's capacity before its result: the estimated efforts of the challenges it ranks, their total, and what
the committee must know while it can still act (docs/ranking.md, "Contract version 2" → "Capacity").

With a capacity, the engine selects the best set of challenges whose efforts fit; it needs an effort for every
challenge on the ballot (closing is refused without, ``voting.missing_efforts``), and it counts in hundredths: an
effort is rounded to hundredths, the capacity rounded *down* (``pilots.ranking.capacity``). The questions here use
the engine's own counting, so the round page warns exactly when the engine would select nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pilots.models import Challenge, EffortUnit, Round, User
from pilots.ranking.capacity import RESOLUTION, capacity_units, effort_units
from pilots.services import voting


def challenges_of(round_: Round, candidates: Sequence[Challenge] | None = None) -> list[Challenge]:
    """The challenges the round ranks: its ballot once voting opened, before that the eligible challenges of its
    year (``candidates``, if the caller has them already)."""
    if round_.entries:
        return [entry.challenge for entry in round_.entries]
    return list(candidates) if candidates is not None else voting.eligible_challenges(round_)


def missing_efforts(round_: Round, challenges: Sequence[Challenge] | None = None) -> list[Challenge]:
    """The challenges without an estimated effort, when the round has a capacity: the ballot's
    (``voting.missing_efforts``, which refuses the close), or before voting the eligible ones'."""
    if round_.capacity is None:
        return []
    if round_.entries:
        return voting.missing_efforts(round_)
    return [c for c in challenges_of(round_, challenges) if c.effort is None]


def nothing_fits(round_: Round, challenges: Sequence[Challenge] | None = None) -> bool:
    """Is the round's capacity smaller than every recorded effort, so that nothing would be selected? False without
    a capacity or without any recorded effort (then ``missing_efforts`` says what is wrong)."""
    if round_.capacity is None:
        return False
    efforts = [c.effort for c in challenges_of(round_, challenges) if c.effort is not None]
    if not efforts:
        return False
    capacity = capacity_units(round_.capacity)
    return all(effort_units(effort, "effort") > capacity for effort in efforts)


def can_see_efforts(user: User | None, round_: Round) -> bool:
    """The round page's efforts and capacity warnings: the steering committee, which records the efforts and sets the
    capacity; and whoever may see the round's results, which carry the efforts in their snapshot."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_steering) or voting.can_see_results(user, round_)


@dataclass(frozen=True)
class Overview:
    """What the round page shows of a capacity: each challenge with its effort (None: not estimated), the total of
    the recorded efforts, the capacity and its unit, and the two warnings."""

    capacity: float  # as the engine counts it: rounded down to hundredths
    unit: EffortUnit
    challenges: list[Challenge]
    total: float
    missing: list[Challenge]
    nothing_fits: bool
    on_ballot: bool  # the ballot's challenges (voting opened), or the eligible ones so far


def overview(round_: Round, candidates: Sequence[Challenge] | None = None) -> Overview | None:
    """The capacity overview of the round, or None when it has no capacity. No query of its own beyond the
    round's ballot (or ``candidates``: pass the eligible challenges when the page has them)."""
    if round_.capacity is None:
        return None
    challenges = challenges_of(round_, candidates)
    total = sum(effort_units(c.effort, "effort") for c in challenges if c.effort is not None) / RESOLUTION
    return Overview(
        capacity=capacity_units(round_.capacity) / RESOLUTION,
        unit=round_.effort_unit,
        challenges=challenges,
        total=total,
        missing=missing_efforts(round_, challenges),
        nothing_fits=nothing_fits(round_, challenges),
        on_ballot=bool(round_.entries),
    )
