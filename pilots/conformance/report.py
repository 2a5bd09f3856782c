"""The result of a check: a checklist of :class:`Check` items in a :class:`CheckReport`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pilots.conformance.messages import Message

PASS = "pass"  # noqa: S105 - a check result, not a password
FAIL = "fail"
NOT_APPLICABLE = "n/a"
RESULTS = (PASS, FAIL, NOT_APPLICABLE)

#: Every check, in the order of the checklist. The ids are stable: store and compare them freely.
CHECK_IDS = (
    "reachable",
    "https",
    "cors",
    "caching",
    "media_type",
    "rdf_parses",
    "content_negotiation",
    "licence",
    "generated_at",
    "history_links",
    "freshness",
)


@dataclass(frozen=True)
class Check:
    """One line of the checklist: ``result`` is ``"pass"``, ``"fail"`` or ``"n/a"``; ``evidence`` says why, in
    English. ``message`` says the same by key and parameters (:mod:`pilots.conformance.messages`), so that a
    caller can say it in its reader's language; None for a check made from a plain text."""

    id: str
    result: str
    evidence: str
    message: Message | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.id not in CHECK_IDS:
            raise ValueError(f"unknown check id {self.id!r}")
        if self.result not in RESULTS:
            raise ValueError(f"result must be one of {RESULTS}, not {self.result!r}")

    @classmethod
    def said(cls, check_id: str, result: str, message: Message) -> Check:
        """The check whose evidence is ``message`` (in English, and by key for translation)."""
        return cls(check_id, result, message.english(), message)

    def to_dict(self) -> dict[str, Any]:
        """``{"id", "result", "evidence"}``, plus ``"message"``, ``"params"`` (and ``"detail"``) of the message."""
        data: dict[str, Any] = {"id": self.id, "result": self.result, "evidence": self.evidence}
        if self.message is not None:
            data.update(self.message.to_dict())
        return data


@dataclass(frozen=True)
class CheckReport:
    """The checklist for one URL.

        ``final_url``: where the redirects ended (the URL itself when there were none; None when nothing was
        fetched). ``checked_at``: when the check started (timezone-aware UTC). ``refused``: why the URL itself
        was refused before any request (bad scheme, a private address …), else None. ``limit``: ``"time"`` or
    ``"memory"`` when the check was stopped at that limit (the dataset is too slow or too large to check), with
    the checks not reached failed and saying so; else None. ``passed``: no check
        failed (``"n/a"`` counts as passing).
    """

    url: str
    final_url: str | None
    checked_at: datetime
    checks: tuple[Check, ...]
    refused: str | None = None
    limit: str | None = None
    passed: bool = field(init=False)

    def __post_init__(self) -> None:
        if self.checked_at.tzinfo is None:
            raise ValueError("checked_at must be timezone-aware")
        object.__setattr__(self, "checked_at", self.checked_at.astimezone(UTC))
        object.__setattr__(self, "checks", tuple(self.checks))
        object.__setattr__(self, "passed", all(check.result != FAIL for check in self.checks))

    def get(self, check_id: str) -> Check:
        """The check with id ``check_id`` (KeyError when absent)."""
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(check_id)

    @property
    def results(self) -> dict[str, str]:
        """``{check id: result}``, handy for storing a compact history."""
        return {check.id: check.result for check in self.checks}

    def to_dict(self) -> dict[str, Any]:
        """``{"url", "checks": [{"id", "result", "evidence", "message", "params"}], ...}`` plus final_url, checked_at, passed, refused."""
        return {
            "url": self.url,
            "checks": [check.to_dict() for check in self.checks],
            "final_url": self.final_url,
            "checked_at": self.checked_at.isoformat().replace("+00:00", "Z"),
            "passed": self.passed,
            "refused": self.refused,
            "limit": self.limit,
        }
