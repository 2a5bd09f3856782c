"""Plain JSON data from the models, for the public API. Every shape here is described in
:mod:`pilots.web.api.openapi` (the tests validate real responses against it), so change both together.

Left out on purpose: anything about people (names, email addresses, including datasets' contact addresses:
the DCAT-AP catalogue carries those), comments, the steering committee's screening reasons, ballots and
ballot notes, and the rounds that are not published.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from pilots.models import (
    CandidateDataset,
    Challenge,
    ChallengeStatus,
    City,
    CoSponsorship,
    Criterion,
    DatasetCheck,
    Milestone,
    MilestoneCity,
    Participation,
    Pilot,
    PublishedDataset,
    Round,
)
from pilots.services import voting, workspaces
from pilots.web.urls import absolute_url

JSON = dict[str, Any]


# --- basics --------------------------------------------------------------------------------------------------------


def timestamp(value: datetime | None) -> str | None:
    """ISO 8601 in UTC, to the second: ``2026-03-01T09:30:00Z``."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def api_url(endpoint: str, **values: Any) -> str:
    """The absolute address of an API resource, under BASE_URL (responses are cacheable by shared caches)."""
    return absolute_url(endpoint, **values)


def texts(nl: str, en: str | None) -> JSON:
    """A text in Dutch (always) and English (null when there is none)."""
    return {"nl": nl, "en": en or None}


def significant(value: float) -> float:
    """12 significant digits, as the ranking engine rounds its output."""
    rounded = float(f"{value:.12g}")
    return 0.0 if rounded == 0 else rounded


# --- references ----------------------------------------------------------------------------------------------------


def city_ref(city: City) -> JSON:
    return {"slug": city.slug, "name": city.name, "url": api_url("api.city", slug=city.slug)}


def challenge_ref(challenge: Challenge) -> JSON:
    return {"id": challenge.id, "title": challenge.title, "url": api_url("api.challenge", challenge_id=challenge.id)}


def round_ref(round_: Round) -> JSON:
    return {"id": round_.id, "title": round_.title, "year": round_.year, "url": api_url("api.round", round_id=round_.id)}


def pilot_ref(pilot: Pilot) -> JSON:
    return {"id": pilot.id, "title": pilot.title, "url": api_url("api.pilot", pilot_id=pilot.id)}


def dataset_ref(dataset: PublishedDataset) -> JSON:
    return {
        "id": dataset.id,
        "title": texts(dataset.title_nl, dataset.title_en),
        "city": city_ref(dataset.city),
        "url": api_url("api.dataset", dataset_id=dataset.id),
    }


# --- cities --------------------------------------------------------------------------------------------------------


def city(city: City) -> JSON:
    return {
        "slug": city.slug,
        "name": city.name,
        "nis_code": city.nis_code,
        "province": city.province,
        "kind": city.kind.value,
        "active": city.active,
        "url": api_url("api.city", slug=city.slug),
        "challenges_url": api_url("api.challenges", city=city.slug),
        "pilots_url": api_url("api.pilots", city=city.slug),
        "datasets_url": api_url("api.datasets", city=city.slug),
    }


# --- challenges ----------------------------------------------------------------------------------------------------


def challenge_summary(challenge: Challenge, dataset_count: int, cosponsor_count: int) -> JSON:
    return {
        "id": challenge.id,
        "title": challenge.title,
        "summary": challenge.summary,
        "theme": challenge.theme,
        "year": challenge.year,
        "status": challenge.status.value,
        "city": city_ref(challenge.city),
        "submitted_at": timestamp(challenge.submitted_at),
        "dataset_count": dataset_count,
        "cosponsor_count": cosponsor_count,
        "url": api_url("api.challenge", challenge_id=challenge.id),
    }


def candidate_dataset(dataset: CandidateDataset) -> JSON:
    return {
        "id": dataset.id,
        "title": dataset.title,
        "description": dataset.description,
        "holder": {
            "city": city_ref(dataset.holder_city) if dataset.holder_city else None,
            "name": dataset.holder,
        },
        "availability": dataset.availability.value,
        "access_url": dataset.url,
        "file_type": dataset.file_type,
        "licence": dataset.licence,
        "frequency": dataset.frequency,
        "realtime": dataset.realtime,
        "standard": dataset.standard,
    }


def cosponsor(sponsorship: CoSponsorship) -> JSON:
    return {"city": city_ref(sponsorship.city), "note": sponsorship.note, "since": timestamp(sponsorship.created_at)}


def challenge_detail(challenge: Challenge, pilot: Pilot | None, rounds: list[Round]) -> JSON:
    return {
        **challenge_summary(challenge, len(challenge.datasets), len(challenge.cosponsors)),
        "description": challenge.description,
        "expected_impact": challenge.expected_impact,
        "datasets": [candidate_dataset(dataset) for dataset in challenge.datasets],
        "cosponsors": [cosponsor(sponsorship) for sponsorship in challenge.cosponsors],
        "rounds": [round_ref(round_) for round_ in rounds],
        "pilot": pilot_ref(pilot) if pilot else None,
    }


# --- rounds --------------------------------------------------------------------------------------------------------


def criterion(item: Criterion, total_weight: float) -> JSON:
    return {
        "key": item.key,
        "name": texts(item.name_nl, item.name_en),
        "description": texts(item.description_nl, item.description_en),
        "weight": item.weight,
        "normalised_weight": significant(item.weight / total_weight) if total_weight else 0.0,
        "direction": item.direction.value,
        "scale": {"min": item.scale_min, "max": item.scale_max, "integer": item.integer_scale},
    }


def result_of(round_: Round) -> JSON | None:
    return json.loads(round_.snapshot.result) if round_.snapshot else None


def round_summary(round_: Round, counts: tuple[int, int] | None, result: JSON | None = None) -> JSON:
    """A published round: its settings, criteria, selection and confirmation. ``result``: the parsed stored
    result, when the caller has it already."""
    result = result if result is not None else result_of(round_)
    on_ballot = {str(entry.challenge_id): entry.challenge for entry in round_.entries if entry.challenge.is_public}
    computed = [on_ballot[alternative] for alternative in (result or {}).get("selected", []) if alternative in on_ballot]
    confirmed = [challenge for challenge in on_ballot.values() if challenge.status is ChallengeStatus.SELECTED]
    total_weight = sum(c.weight for c in round_.criteria)
    submitted, total = counts or (0, 0)
    snapshot = round_.snapshot
    return {
        "id": round_.id,
        "title": round_.title,
        "year": round_.year,
        "pilots_to_select": round_.pilots_to_select,
        "method": round_.method,
        "normalization": round_.normalization,
        "quorum": int(result["quorum"]) if result and "quorum" in result else round_.quorum,
        "allow_self_scoring": round_.allow_self_scoring,
        "ballots_confidential": round_.ballots_confidential,
        "ballots": {"submitted": submitted, "total": total},
        "timeline": {
            "proposals_deadline": day(round_.proposals_deadline),
            "voting_deadline": day(round_.voting_deadline),
            "proposals_opened_at": timestamp(round_.proposals_opened_at),
            "voting_opened_at": timestamp(round_.voting_opened_at),
            "closed_at": timestamp(round_.closed_at),
            "published_at": timestamp(round_.published_at),
        },
        "criteria": [criterion(item, total_weight) for item in round_.criteria],
        "selection": {
            "computed": [challenge_ref(challenge) for challenge in computed],
            "confirmed": [challenge_ref(challenge) for challenge in confirmed] if round_.confirmed_at else None,
        },
        "confirmation": {
            "confirmed_at": timestamp(round_.confirmed_at),
            "overridden": round_.override_justification is not None,
            "justification": round_.override_justification,
        }
        if round_.confirmed_at
        else None,
        "snapshot": {
            "sha256": snapshot.sha256,
            "created_at": timestamp(snapshot.created_at),
            # The snapshot holds every city's ballot: confidential rounds publish its hash only.
            "url": None if round_.ballots_confidential else api_url("api.snapshot", round_id=round_.id),
        }
        if snapshot
        else None,
        "url": api_url("api.round", round_id=round_.id),
    }


def round_detail(round_: Round, counts: tuple[int, int] | None, pilots: list[Pilot]) -> JSON:
    result = result_of(round_)
    return {
        **round_summary(round_, counts, result),
        "ballot": [challenge_ref(entry.challenge) for entry in round_.entries if entry.challenge.is_public],
        "result": voting.public_result(round_, result),
        "pilots": [pilot_ref(pilot) for pilot in pilots],
    }


# --- pilots --------------------------------------------------------------------------------------------------------


def accepted(pilot: Pilot) -> list[Participation]:
    return [participation for participation in pilot.participants if participation.accepted]


def participant_summary(participation: Participation) -> JSON:
    return {"city": city_ref(participation.city), "role": participation.role.value, "stage": participation.stage.value}


def participant(participation: Participation) -> JSON:
    return {
        **participant_summary(participation),
        "stages": [{"stage": change.stage.value, "on": day(change.changed_on)} for change in participation.stage_changes],
    }


def milestone_city(row: MilestoneCity) -> JSON:
    return {
        "city": city_ref(row.city),
        "status": row.status.value,
        "blocked_reason": row.blocked_reason,
        "completed_on": day(row.completed_on),
    }


def milestone(item: Milestone) -> JSON:
    return {
        "id": item.id,
        "title": item.title,
        "description": item.description,
        "start_date": day(item.start_date),
        "due_date": day(item.due_date),
        "per_city": item.per_city,
        "weight": item.weight,
        "status": item.status.value,
        "blocked_reason": item.blocked_reason,
        "completed_on": day(item.completed_on),
        "progress": round(100 * workspaces.milestone_progress(item)),
        "cities": [milestone_city(row) for row in item.city_statuses] if item.per_city else [],
    }


def pilot_summary(pilot: Pilot, rounds: dict[int, Round]) -> JSON:
    """``rounds``: the published rounds by id (a pilot links its round only once the round is published)."""
    challenge = pilot.challenge if pilot.challenge is not None and pilot.challenge.is_public else None
    round_ = rounds.get(pilot.round_id) if pilot.round_id is not None else None
    return {
        "id": pilot.id,
        "title": pilot.title,
        "goal": pilot.goal,
        "status": pilot.status.value,
        "start_date": day(pilot.start_date),
        "end_date": day(pilot.end_date),
        "progress": workspaces.pilot_progress(pilot),
        "lead_city": city_ref(pilot.lead_city) if pilot.lead_city else None,
        "challenge": challenge_ref(challenge) if challenge else None,
        "round": round_ref(round_) if round_ else None,
        "cities": [participant_summary(participation) for participation in accepted(pilot)],
        "url": api_url("api.pilot", pilot_id=pilot.id),
    }


def pilot_detail(pilot: Pilot, rounds: dict[int, Round]) -> JSON:
    return {
        **pilot_summary(pilot, rounds),
        "cities": [participant(participation) for participation in accepted(pilot)],
        "milestones": [milestone(item) for item in pilot.milestones],
        "datasets": [dataset_ref(dataset) for dataset in pilot.datasets],
    }


# --- published datasets ----------------------------------------------------------------------------------------------


def check_summary(check: DatasetCheck) -> JSON:
    report = check.report if isinstance(check.report, dict) else {}
    items = [item for item in report.get("checks") or [] if isinstance(item, dict) and "id" in item and "result" in item]
    return {
        "checked_at": timestamp(check.checked_at),
        "passed": check.passed,
        "checks": [
            {"id": str(item["id"]), "result": str(item["result"]), "evidence": str(item.get("evidence") or "")} for item in items
        ],
    }


def published_dataset(dataset: PublishedDataset, last_check: DatasetCheck | None) -> JSON:
    return {
        "id": dataset.id,
        "title": texts(dataset.title_nl, dataset.title_en),
        "description": texts(dataset.description_nl, dataset.description_en),
        "keywords": [keyword.strip() for keyword in dataset.keywords.split(",") if keyword.strip()],
        "theme": dataset.theme,
        "access_url": dataset.access_url,
        "download_url": dataset.download_url,
        "file_type": dataset.file_type,
        "licence": dataset.licence,
        "conforms_to": dataset.conforms_to,
        "frequency": dataset.frequency,
        "realtime": dataset.realtime,
        "issued": day(dataset.issued),
        "modified": timestamp(dataset.modified),
        "language": dataset.language,
        "city": city_ref(dataset.city),
        "pilot": pilot_ref(dataset.pilot),
        "last_check": check_summary(last_check) if last_check else None,
        "url": api_url("api.dataset", dataset_id=dataset.id),
    }
