"""The domain models, one module per aggregate. Importing this package registers them all."""

from pilots.models.audit import AuditEvent
from pilots.models.base import Base, utcnow
from pilots.models.catalogue import RenderedCatalogue
from pilots.models.challenge import (
    Availability,
    CandidateDataset,
    Challenge,
    ChallengeStatus,
    Comment,
    CoSponsorship,
)
from pilots.models.city import City, CityKind
from pilots.models.city_status import CharterLevel, CharterStatus, MaturityAssessment, MaturityScore
from pilots.models.job_failure import FailureKind, JobFailure
from pilots.models.notification import Delivery, Follow, Notification, NotificationPreference
from pilots.models.pilot import (
    DatasetCheck,
    Milestone,
    MilestoneCity,
    MilestoneStatus,
    ParticipantRole,
    Participation,
    Pilot,
    PilotStatus,
    PilotUpdate,
    PublishedDataset,
    Stage,
    StageChange,
)
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
    "CharterLevel",
    "CharterStatus",
    "City",
    "CityKind",
    "CityRole",
    "CoSponsorship",
    "Comment",
    "Criterion",
    "DatasetCheck",
    "Delivery",
    "Direction",
    "FailureKind",
    "Follow",
    "JobFailure",
    "MaturityAssessment",
    "MaturityScore",
    "Membership",
    "Milestone",
    "MilestoneCity",
    "MilestoneStatus",
    "Notification",
    "NotificationPreference",
    "ParticipantRole",
    "Participation",
    "Pilot",
    "PilotStatus",
    "PilotUpdate",
    "PublishedDataset",
    "RenderedCatalogue",
    "Round",
    "RoundPhase",
    "RoundSnapshot",
    "Score",
    "Stage",
    "StageChange",
    "User",
    "utcnow",
]
