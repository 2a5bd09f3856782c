"""The domain models, one module per aggregate. Importing this package registers them all."""

from pilots.models.audit import AuditEvent
from pilots.models.base import Base, utcnow
from pilots.models.challenge import (
    Availability,
    CandidateDataset,
    Challenge,
    ChallengeStatus,
    Comment,
    CoSponsorship,
)
from pilots.models.city import City, CityKind
from pilots.models.pilot import Pilot, PilotStatus
from pilots.models.user import CityRole, Membership, User
from pilots.models.voting import (
    PHASE_ORDER,
    Ballot,
    BallotEntry,
    BallotNote,
    BallotStatus,
    Criterion,
    Direction,
    Round,
    RoundPhase,
    RoundSnapshot,
    Score,
)

__all__ = [
    "PHASE_ORDER",
    "AuditEvent",
    "Availability",
    "Ballot",
    "BallotEntry",
    "BallotNote",
    "BallotStatus",
    "Base",
    "CandidateDataset",
    "Challenge",
    "ChallengeStatus",
    "City",
    "CityKind",
    "CityRole",
    "CoSponsorship",
    "Comment",
    "Criterion",
    "Direction",
    "Membership",
    "Pilot",
    "PilotStatus",
    "Round",
    "RoundPhase",
    "RoundSnapshot",
    "Score",
    "User",
    "utcnow",
]
