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
from pilots.models.user import CityRole, Membership, User

__all__ = [
    "AuditEvent",
    "Availability",
    "Base",
    "CandidateDataset",
    "Challenge",
    "ChallengeStatus",
    "City",
    "CityKind",
    "CityRole",
    "CoSponsorship",
    "Comment",
    "Membership",
    "User",
    "utcnow",
]
