"""Demo content for `flask seed-demo`. Each step is idempotent: it adds only what is missing.

Later features add their own steps to :data:`STEPS`; they run in order.
"""

from __future__ import annotations

from collections.abc import Callable

from pilots.demo.accounts import seed_accounts, seed_cities
from pilots.demo.challenges import seed_challenges
from pilots.demo.city_status import seed_city_status
from pilots.demo.voting import seed_voting
from pilots.demo.workspaces import seed_workspaces

DEMO_PASSWORD = "pilot-demo"  # noqa: S105 - published in the README for the demo

STEPS: list[tuple[str, Callable[[], int]]] = [
    ("cities", seed_cities),
    ("accounts", lambda: seed_accounts(DEMO_PASSWORD)),
    ("challenges", seed_challenges),
    ("rounds", seed_voting),
    ("pilot workspaces", seed_workspaces),
    ("city status", seed_city_status),
]


def seed() -> dict[str, int]:
    """Run every step; return how many objects each one created. The demo's history (rounds of 2017–2019,
    screenings, join requests) notifies nobody: it happened before anyone could have followed it."""
    from pilots.services import notifications

    with notifications.muted():
        return {name: step() for name, step in STEPS}
