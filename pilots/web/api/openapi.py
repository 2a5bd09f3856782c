"""The OpenAPI 3.1 document of the public API, served at /api/v1/openapi.json.

It is built here as plain data and describes every route of the ``api`` blueprint, every parameter and
every response body exactly: objects list all their properties, all of them required, and allow no others
(``additionalProperties: false``). ``tests/test_api.py`` checks the document with openapi-spec-validator,
checks that it names exactly the blueprint's routes, and validates real responses against it.
"""

from __future__ import annotations

from typing import Any

from pilots.models import (
    Availability,
    ChallengeStatus,
    CityKind,
    Direction,
    MilestoneStatus,
    ParticipantRole,
    PilotStatus,
    Stage,
)
from pilots.models.challenge import PUBLIC_STATUSES
from pilots.ranking import METHODS, NORMALIZATIONS
from pilots.security.requests import MAX_ID
from pilots.vocabularies import THEMES

Schema = dict[str, Any]

#: Paging limits, shared with the views.
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
MAX_PAGE = 100_000
YEARS = (1900, 2999)

#: Every status but draft, in the order of the workflow.
PUBLIC_CHALLENGE_STATUSES = [status.value for status in ChallengeStatus if status in PUBLIC_STATUSES]

# --- schema helpers ------------------------------------------------------------------------------------------------

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
URL: Schema = {"type": "string", "format": "uri"}
DATE: Schema = {"type": "string", "format": "date"}
DATETIME: Schema = {"type": "string", "format": "date-time"}
SHA256: Schema = {"type": "string", "pattern": "^[0-9a-f]{64}$"}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    if "$ref" in schema or "enum" in schema or "type" not in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    return {**schema, "type": [schema["type"], "null"]}


def enum(values: list[str] | tuple[str, ...], description: str | None = None) -> Schema:
    schema: Schema = {"type": "string", "enum": list(values)}
    if description:
        schema["description"] = description
    return schema


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def mapping(values: Schema, description: str | None = None) -> Schema:
    schema: Schema = {"type": "object", "additionalProperties": values}
    if description:
        schema["description"] = description
    return schema


def obj(properties: dict[str, Schema], description: str | None = None, optional: tuple[str, ...] = ()) -> Schema:
    """An object with exactly these properties, all required except ``optional``."""
    schema: Schema = {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def described(schema: Schema, description: str) -> Schema:
    if "$ref" in schema:  # OpenAPI 3.1 allows siblings of $ref; keep them apart for older tools anyway
        return {"allOf": [schema], "description": description}
    return {**schema, "description": description}


def list_of(item: str, description: str) -> Schema:
    return obj({"data": array(ref(item)), "meta": ref("Meta"), "links": ref("Links")}, description)


# --- the schemas -----------------------------------------------------------------------------------------------------


def _schemas() -> dict[str, Schema]:
    localized = obj({"nl": STRING, "en": nullable(STRING)}, "A text in Dutch, and in English when there is one.")
    acceptability = obj(
        {
            "rank_acceptability": mapping(array(NUMBER), "Per alternative: the share of draws at rank 1, 2, …"),
            "selection_probability": mapping(NUMBER, "Per alternative: the share of draws that select it."),
        }
    )
    spread = obj({name: nullable(NUMBER) for name in ("min", "max", "median", "q1", "q3", "iqr", "std")} | {"n": INTEGER})
    challenge_summary = {
        "id": INTEGER,
        "title": STRING,
        "summary": STRING,
        "theme": enum(list(THEMES), "EU data theme code."),
        "year": INTEGER,
        "status": enum(PUBLIC_CHALLENGE_STATUSES, "Never `draft`: drafts are not public."),
        "city": described(ref("CityRef"), "The proposing city."),
        "submitted_at": nullable(DATETIME),
        "dataset_count": INTEGER,
        "cosponsor_count": INTEGER,
        "url": URL,
    }
    round_summary = {
        "id": INTEGER,
        "title": STRING,
        "year": INTEGER,
        "pilots_to_select": INTEGER,
        "method": enum(list(METHODS)),
        "normalization": enum(list(NORMALIZATIONS)),
        "quorum": nullable({**INTEGER, "description": "The number of cities that had to score a challenge for it to be ranked."}),
        "allow_self_scoring": BOOLEAN,
        "ballots_confidential": described(BOOLEAN, "When true, the snapshot (which holds every ballot) is not published."),
        "ballots": obj({"submitted": INTEGER, "total": INTEGER}, "How many cities submitted their ballot, of those invited."),
        "timeline": obj(
            {
                "proposals_deadline": nullable(DATE),
                "voting_deadline": nullable(DATE),
                "proposals_opened_at": nullable(DATETIME),
                "voting_opened_at": nullable(DATETIME),
                "closed_at": nullable(DATETIME),
                "published_at": nullable(DATETIME),
            }
        ),
        "criteria": array(ref("Criterion")),
        "selection": obj(
            {
                "computed": described(array(ref("ChallengeRef")), "The challenges the ranking selected, in rank order."),
                "confirmed": nullable(
                    described(array(ref("ChallengeRef")), "The challenges the steering committee confirmed; null until it has.")
                ),
            }
        ),
        "confirmation": nullable(
            obj(
                {
                    "confirmed_at": DATETIME,
                    "overridden": described(BOOLEAN, "True when the committee chose differently from the ranking."),
                    "justification": nullable(STRING),
                }
            )
        ),
        "snapshot": nullable(
            obj(
                {
                    "sha256": SHA256,
                    "created_at": DATETIME,
                    "url": nullable(described(URL, "The snapshot document; null when the ballots are confidential.")),
                },
                "The frozen ranking input: its SHA-256 identifies it.",
            )
        ),
        "url": URL,
    }
    pilot_summary = {
        "id": INTEGER,
        "title": STRING,
        "goal": STRING,
        "status": enum([s.value for s in PilotStatus]),
        "start_date": nullable(DATE),
        "end_date": nullable(DATE),
        "progress": {
            "type": "integer",
            "minimum": 0,
            "maximum": 100,
            "description": "Weighted share of the milestones done, in percent.",
        },
        "lead_city": nullable(ref("CityRef")),
        "challenge": nullable(described(ref("ChallengeRef"), "The selected challenge the pilot works on.")),
        "round": nullable(described(ref("RoundRef"), "The voting round that selected it.")),
        "cities": described(array(ref("ParticipantSummary")), "The accepted participating cities."),
        "url": URL,
    }
    return {
        "Error": obj(
            {
                "error": obj(
                    {
                        "status": INTEGER,
                        "code": enum(
                            ["bad_request", "forbidden", "not_found", "method_not_allowed", "too_many_requests", "internal_error"]
                        ),
                        "message": STRING,
                        "parameter": nullable(described(STRING, "The query parameter that was refused (400 only).")),
                    }
                )
            }
        ),
        "Meta": obj(
            {
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                "total": {"type": "integer", "minimum": 0, "description": "Items on all pages."},
                "pages": {"type": "integer", "minimum": 0},
            }
        ),
        "Links": obj({"self": URL, "next": nullable(URL), "prev": nullable(URL)}),
        "LocalizedText": localized,
        "CityRef": obj({"slug": STRING, "name": STRING, "url": URL}),
        "ChallengeRef": obj({"id": INTEGER, "title": STRING, "url": URL}),
        "RoundRef": obj({"id": INTEGER, "title": STRING, "year": INTEGER, "url": URL}),
        "PilotRef": obj({"id": INTEGER, "title": STRING, "url": URL}),
        "DatasetRef": obj({"id": INTEGER, "title": ref("LocalizedText"), "city": ref("CityRef"), "url": URL}),
        # cities
        "City": obj(
            {
                "slug": STRING,
                "name": STRING,
                "nis_code": nullable(STRING),
                "province": STRING,
                "kind": enum([k.value for k in CityKind]),
                "active": BOOLEAN,
                "url": URL,
                "challenges_url": URL,
                "pilots_url": URL,
                "datasets_url": URL,
            }
        ),
        "CityList": list_of("City", "A page of cities, by name."),
        # challenges
        "ChallengeSummary": obj(challenge_summary),
        "ChallengeList": list_of("ChallengeSummary", "A page of public challenges, newest year first."),
        "CandidateDataset": obj(
            {
                "id": INTEGER,
                "title": STRING,
                "description": STRING,
                "holder": obj(
                    {"city": nullable(ref("CityRef")), "name": STRING}, "Who holds the data: a city, or an organisation by name."
                ),
                "availability": enum([a.value for a in Availability]),
                "access_url": nullable(URL),
                "file_type": nullable(STRING),
                "licence": nullable(STRING),
                "frequency": nullable(STRING),
                "realtime": BOOLEAN,
                "standard": nullable(STRING),
            },
            "A dataset that could help address the challenge.",
        ),
        "CoSponsor": obj({"city": ref("CityRef"), "note": STRING, "since": DATETIME}),
        "Challenge": obj(
            {
                **challenge_summary,
                "description": STRING,
                "expected_impact": STRING,
                "datasets": array(ref("CandidateDataset")),
                "cosponsors": array(ref("CoSponsor")),
                "rounds": described(array(ref("RoundRef")), "Published rounds with this challenge on their ballot."),
                "pilot": nullable(ref("PilotRef")),
            }
        ),
        # rounds
        "Criterion": obj(
            {
                "key": STRING,
                "name": ref("LocalizedText"),
                "description": ref("LocalizedText"),
                "weight": described(NUMBER, "As set by the committee, in any unit."),
                "normalised_weight": described(NUMBER, "The weight divided by the sum of the weights: they add up to 1."),
                "direction": enum([d.value for d in Direction]),
                "scale": obj({"min": NUMBER, "max": NUMBER, "integer": BOOLEAN}),
            }
        ),
        "RoundSummary": obj(round_summary),
        "RoundList": list_of("RoundSummary", "A page of rounds with published results, newest first."),
        "Round": obj(
            {
                **round_summary,
                "ballot": described(array(ref("ChallengeRef")), "The challenges on the ballot."),
                "result": nullable(ref("RankingResult")),
                "pilots": described(array(ref("PilotRef")), "The pilots started from the confirmed selection."),
            }
        ),
        "RankingResult": obj(
            {
                "version": INTEGER,
                "method": enum(list(METHODS)),
                "normalization": enum(list(NORMALIZATIONS)),
                "select": INTEGER,
                "quorum": INTEGER,
                "weights": mapping(NUMBER, "Per criterion key: the normalised weight."),
                "ranking": array(obj({"alternative": STRING, "score": NUMBER, "rank": INTEGER, "voters": INTEGER})),
                "selected": array(STRING),
                "ties": array(
                    obj(
                        {
                            "alternatives": array(STRING),
                            "ranks": array(INTEGER),
                            "score": NUMBER,
                            "broken_by": array(obj({"between": {**array(STRING), "minItems": 2, "maxItems": 2}, "step": STRING})),
                            "affects_selection": BOOLEAN,
                        }
                    )
                ),
                "ineligible": array(obj({"alternative": STRING, "voters": INTEGER})),
                "agreement": mapping(obj({"selected": array(STRING), "agrees": BOOLEAN, "normalization": nullable(STRING)})),
                "sensitivity": nullable(
                    obj(
                        {
                            "samples": INTEGER,
                            "seed": INTEGER,
                            "perturbation": nullable(NUMBER),
                            "uniform": nullable(acceptability),
                            "perturbed": nullable(acceptability),
                        }
                    )
                ),
                "leave_one_out": array(obj({"voter": STRING, "selected": array(STRING), "changed": BOOLEAN})),
                "weight_intervals": mapping(
                    obj({"weight": NUMBER, "low": NUMBER, "high": NUMBER, "method": enum(["exact", "bisection"])})
                ),
                "aggregate": mapping(
                    obj(
                        {
                            "voters": INTEGER,
                            "eligible": BOOLEAN,
                            "criteria": mapping(
                                obj({"mean": nullable(NUMBER), "count": INTEGER, "normalised": NUMBER, "imputed": BOOLEAN})
                            ),
                        }
                    )
                ),
                "contributions": mapping(mapping(NUMBER)),
                "excluded": array(obj({"alternative": STRING, "voter": STRING, "cells": INTEGER})),
                "warnings": array(STRING),
                "input_sha256": SHA256,
                "pairwise": mapping(mapping(INTEGER), "Social-choice methods only."),
                "strongest_paths": mapping(mapping(INTEGER), "Schulze only."),
                # version 2 (docs/ranking.md, "Contract version 2")
                "weight_aggregation": enum(["committee", "geometric_mean"]),
                "city_weights": nullable(
                    mapping(mapping(NUMBER), "Per city: its own normalised weights; null when not public (confidential).")
                ),
                "group_weights": nullable(mapping(NUMBER, "The geometric mean of the cities' weights, normalised.")),
                "distance": nullable(mapping(NUMBER, "Per city: how far its weights are from the weights ranked with (0–1).")),
                "tie_break": obj({"rule": enum(["default", "first_criterion_then_draw"]), "seed": INTEGER}, optional=("seed",)),
                "consensus": obj(
                    {
                        "cells": mapping(mapping(spread), "alternative → criterion → the spread of the cities' scores"),
                        "kendall_w": nullable(NUMBER),
                        "alternatives": array(STRING),
                        "cities": described(
                            array(obj({"city": STRING, "spearman": nullable(NUMBER)})),
                            "Each city's agreement with the group's order; empty when the ballots are confidential.",
                        ),
                    }
                ),
                "delphi": nullable(
                    obj(
                        {
                            "passes": INTEGER,
                            "first": nullable(NUMBER),
                            "second": nullable(NUMBER),
                            "narrowing": nullable(NUMBER),
                            "narrowed_share": nullable(NUMBER),
                            "cells": INTEGER,
                            "criteria": mapping(
                                obj({"first": nullable(NUMBER), "second": nullable(NUMBER), "narrowing": nullable(NUMBER)})
                            ),
                        }
                    )
                ),
                "capacity": nullable(
                    obj(
                        {
                            "selected": array(STRING),
                            "total_effort": NUMBER,
                            "total_score": NUMBER,
                            "by_rank": array(STRING),
                            "capacity_decided": BOOLEAN,
                            "capacity": NUMBER,
                            "front": array(
                                obj({"effort": NUMBER, "score": NUMBER, "alternatives": array(STRING), "feasible": BOOLEAN})
                            ),
                            "warnings": array(STRING),
                        }
                    )
                ),
            },
            "The ranking engine's output, as stored when the round closed (docs/ranking.md). Alternatives are challenge ids. "
            "Rounds closed since contract version 2 also carry the version-2 keys.",
            optional=(
                "pairwise",
                "strongest_paths",
                "weight_aggregation",
                "city_weights",
                "group_weights",
                "distance",
                "tie_break",
                "consensus",
                "delphi",
                "capacity",
            ),
        ),
        "SnapshotDocument": obj(
            {
                "alternatives": array(STRING),
                "criteria": array(
                    obj(
                        {
                            "id": STRING,
                            "weight": NUMBER,
                            "direction": enum([d.value for d in Direction]),
                            "scale": {**array(NUMBER), "minItems": 2, "maxItems": 2},
                        }
                    )
                ),
                "ballots": array(
                    obj(
                        {
                            "voter": described(STRING, "A city's slug."),
                            "scores": mapping(mapping(NUMBER), "alternative → criterion → score"),
                        }
                    )
                ),
                "method": enum(list(METHODS)),
                "normalization": enum(list(NORMALIZATIONS)),
                "select": INTEGER,
                "sensitivity": obj({"samples": INTEGER, "seed": INTEGER, "perturbation": NUMBER}),
                "quorum": INTEGER,
                "exclude_self": mapping(STRING, "alternative → the proposing city, whose scores for it are not counted."),
                "version": described(INTEGER, "2 for rounds closed since contract version 2; absent before."),
                "tie_break": obj({"rule": enum(["default", "first_criterion_then_draw"]), "seed": INTEGER}, optional=("seed",)),
                "weight_aggregation": enum(["committee", "geometric_mean"]),
                "voter_weights": mapping(mapping(NUMBER), "Per city: its own weights per criterion."),
                "effort": mapping(NUMBER, "Per alternative: its estimated effort."),
                "capacity": NUMBER,
            },
            "The ranking input frozen when the round closed, byte for byte as stored (canonical JSON).",
            optional=("exclude_self", "version", "tie_break", "weight_aggregation", "voter_weights", "effort", "capacity"),
        ),
        # pilots
        "ParticipantSummary": obj(
            {"city": ref("CityRef"), "role": enum([r.value for r in ParticipantRole]), "stage": enum([s.value for s in Stage])}
        ),
        "Participant": obj(
            {
                "city": ref("CityRef"),
                "role": enum([r.value for r in ParticipantRole]),
                "stage": enum([s.value for s in Stage]),
                "stages": described(
                    array(obj({"stage": enum([s.value for s in Stage]), "on": DATE})), "Every change of stage, oldest first."
                ),
            }
        ),
        "MilestoneCity": obj(
            {
                "city": ref("CityRef"),
                "status": enum([s.value for s in MilestoneStatus]),
                "blocked_reason": nullable(STRING),
                "completed_on": nullable(DATE),
            }
        ),
        "Milestone": obj(
            {
                "id": INTEGER,
                "title": STRING,
                "description": STRING,
                "start_date": nullable(DATE),
                "due_date": DATE,
                "per_city": BOOLEAN,
                "weight": NUMBER,
                "status": enum([s.value for s in MilestoneStatus]),
                "blocked_reason": nullable(STRING),
                "completed_on": nullable(DATE),
                "progress": {"type": "integer", "minimum": 0, "maximum": 100},
                "cities": described(array(ref("MilestoneCity")), "Per-city milestones: each city's status; empty when shared."),
            }
        ),
        "PilotSummary": obj(pilot_summary),
        "PilotList": list_of("PilotSummary", "A page of pilots, latest start first."),
        "Pilot": obj(
            {
                **pilot_summary,
                "cities": described(array(ref("Participant")), "The accepted participating cities, with their stage history."),
                "milestones": array(ref("Milestone")),
                "datasets": array(ref("DatasetRef")),
            }
        ),
        # datasets
        "CheckSummary": obj(
            {
                "checked_at": DATETIME,
                "passed": BOOLEAN,
                "checks": array(obj({"id": STRING, "result": enum(["pass", "fail", "n/a"]), "evidence": STRING})),
            },
            "The latest run of the conformance checker (docs/conformance.md).",
        ),
        "Dataset": obj(
            {
                "id": INTEGER,
                "title": ref("LocalizedText"),
                "description": ref("LocalizedText"),
                "keywords": array(STRING),
                "theme": enum(list(THEMES)),
                "access_url": URL,
                "download_url": nullable(URL),
                "file_type": STRING,
                "licence": described(STRING, "The licence's URI."),
                "conforms_to": nullable(STRING),
                "frequency": STRING,
                "realtime": BOOLEAN,
                "issued": nullable(DATE),
                "modified": nullable(DATETIME),
                "language": STRING,
                "city": described(ref("CityRef"), "The publishing city."),
                "pilot": ref("PilotRef"),
                "last_check": nullable(ref("CheckSummary")),
                "url": URL,
            },
            "A dataset a city published in a pilot. Its contact point is in the DCAT-AP catalogue (/catalog).",
        ),
        "DatasetList": list_of("Dataset", "A page of published datasets, oldest first."),
        "OpenAPIDocument": {"type": "object", "description": "This document."},
    }


# --- parameters and responses ---------------------------------------------------------------------------------------


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _path(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


PARAMETERS: dict[str, Schema] = {
    "page": _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}, "Page number, from 1."),
    "per_page": _query(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
        f"Items per page, at most {MAX_PER_PAGE}.",
    ),
    "year": _query("year", {"type": "integer", "minimum": YEARS[0], "maximum": YEARS[1]}, "Only this year."),
    "theme": _query("theme", enum(list(THEMES)), "Only this EU data theme."),
    "city": _query("city", {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 64}, "A city's slug."),
    "challenge_status": _query("status", enum(PUBLIC_CHALLENGE_STATUSES), "Only challenges with this status."),
    "pilot_status": _query("status", enum([s.value for s in PilotStatus]), "Only pilots with this status."),
    "pilot": _query("pilot", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "Only the datasets of this pilot (its id)."),
    "slug": _path("slug", STRING, "The city's slug, e.g. `gent`."),
    "challenge_id": _path("challenge_id", {"type": "integer", "minimum": 0, "maximum": MAX_ID}, "The challenge's id."),
    "round_id": _path("round_id", {"type": "integer", "minimum": 0, "maximum": MAX_ID}, "The round's id."),
    "pilot_id": _path("pilot_id", {"type": "integer", "minimum": 0, "maximum": MAX_ID}, "The pilot's id."),
    "dataset_id": _path("dataset_id", {"type": "integer", "minimum": 0, "maximum": MAX_ID}, "The dataset's id."),
}

HEADERS: dict[str, Schema] = {
    "ETag": {"description": "A hash of the body: send it back in If-None-Match to get 304.", "schema": STRING},
    "Cache-Control": {"description": "`public, max-age=60`.", "schema": STRING},
    "Access-Control-Allow-Origin": {"description": "`*`: any web page may read the API.", "schema": STRING},
    "Vary": {"description": "Includes `Accept`.", "schema": STRING},
    "X-RateLimit-Limit": {"description": "Requests allowed per window and client address.", "schema": INTEGER},
    "X-RateLimit-Remaining": {"description": "Requests left in the current window.", "schema": INTEGER},
    "X-RateLimit-Reset": {"description": "When the window ends (Unix time).", "schema": INTEGER},
}


def _header_refs(*names: str) -> dict[str, Schema]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


OK_HEADERS = _header_refs(
    "ETag",
    "Cache-Control",
    "Access-Control-Allow-Origin",
    "Vary",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
)


def _error(description: str) -> Schema:
    return {
        "description": description,
        "headers": _header_refs("Cache-Control", "Access-Control-Allow-Origin", "Vary"),
        "content": {"application/json": {"schema": ref("Error")}},
    }


RESPONSES: dict[str, Schema] = {
    "NotModified": {
        "description": "Not modified: the If-None-Match header named the current ETag.",
        "headers": _header_refs("ETag"),
    },
    "BadRequest": _error(
        "A query parameter is not valid (`error.parameter` names it), or a query value contains a NUL byte (refused everywhere)."
    ),
    "NotFound": _error("No such public resource (unpublished things do not exist here)."),
    "Forbidden": _error("The round keeps its ballots confidential: its snapshot is not published."),
    "TooManyRequests": {
        **_error("Too many requests from this address; `Retry-After` says when to try again (never cached)."),
        "headers": {
            **_header_refs("Access-Control-Allow-Origin", "Vary"),
            "Retry-After": {"description": "Seconds to wait.", "schema": INTEGER},
        },
    },
}


def _ok(schema: str, description: str) -> Schema:
    return {"description": description, "headers": OK_HEADERS, "content": {"application/json": {"schema": ref(schema)}}}


def _operation(
    operation_id: str,
    summary: str,
    schema: str,
    parameters: tuple[str, ...] = (),
    *,
    not_found: bool = False,
    description: str = "",
) -> Schema:
    responses: dict[str, Schema] = {"200": _ok(schema, summary)}
    responses["304"] = {"$ref": "#/components/responses/NotModified"}
    responses["400"] = {"$ref": "#/components/responses/BadRequest"}
    if not_found:
        responses["404"] = {"$ref": "#/components/responses/NotFound"}
    responses["429"] = {"$ref": "#/components/responses/TooManyRequests"}
    operation: Schema = {
        "operationId": operation_id,
        "summary": summary,
        "parameters": [{"$ref": f"#/components/parameters/{name}"} for name in parameters],
        "responses": responses,
    }
    if description:
        operation["description"] = description
    return {"get": operation}


PAGING = ("page", "per_page")

PATHS: dict[str, Schema] = {
    "/api/v1/cities": _operation("list_cities", "The cities taking part, by name.", "CityList", PAGING),
    "/api/v1/cities/{slug}": _operation("get_city", "One city.", "City", ("slug",), not_found=True),
    "/api/v1/challenges": _operation(
        "list_challenges",
        "Public challenges (submitted and later; never drafts).",
        "ChallengeList",
        ("year", "theme", "city", "challenge_status", *PAGING),
    ),
    "/api/v1/challenges/{challenge_id}": _operation(
        "get_challenge",
        "One public challenge, with its candidate datasets and co-sponsoring cities.",
        "Challenge",
        ("challenge_id",),
        not_found=True,
    ),
    "/api/v1/rounds": _operation("list_rounds", "Voting rounds whose results are published.", "RoundList", ("year", *PAGING)),
    "/api/v1/rounds/{round_id}": _operation(
        "get_round",
        "One published round, with its ballot and the stored result.",
        "Round",
        ("round_id",),
        not_found=True,
        description="Rounds that are not published (open, closed or in preparation) answer 404.",
    ),
    "/api/v1/pilots": _operation(
        "list_pilots", "Pilots, with their participating cities and progress.", "PilotList", ("pilot_status", "city", *PAGING)
    ),
    "/api/v1/pilots/{pilot_id}": _operation(
        "get_pilot", "One pilot, with its cities, milestones and published datasets.", "Pilot", ("pilot_id",), not_found=True
    ),
    "/api/v1/datasets": _operation(
        "list_datasets",
        "Datasets the cities published in their pilots, with their latest conformance check.",
        "DatasetList",
        ("city", "pilot", *PAGING),
    ),
    "/api/v1/datasets/{dataset_id}": _operation(
        "get_dataset", "One published dataset.", "Dataset", ("dataset_id",), not_found=True
    ),
    "/api/v1/openapi.json": _operation("get_openapi", "This OpenAPI document.", "OpenAPIDocument"),
}

_snapshot = _operation(
    "get_snapshot",
    "The ranking input of a published round, byte for byte as frozen when voting closed.",
    "SnapshotDocument",
    ("round_id",),
    not_found=True,
    description=(
        "The stored canonical JSON: its SHA-256 is the round's `snapshot.sha256`, and `flask rank` on it gives the "
        "round's `result`. It holds every city's ballot, so a round with `ballots_confidential` answers 403; "
        "a round that is not published answers 404."
    ),
)
_snapshot["get"]["responses"]["403"] = {"$ref": "#/components/responses/Forbidden"}
PATHS["/api/v1/rounds/{round_id}/snapshot"] = _snapshot
for _path_name, _item in PATHS.items():
    _item["get"]["tags"] = [_path_name.split("/")[3].removesuffix(".json")]


def document(base_url: str, version: str) -> dict[str, Any]:
    """The whole OpenAPI document; ``base_url`` is the platform's public address (BASE_URL)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Datapilots public API",
            "version": f"1 ({version})",
            "summary": "Read-only JSON about the Smart Flanders data pilots: cities, challenges, rounds, pilots, datasets.",
            "description": (
                "Everything here is public and read-only; nothing unpublished appears (draft challenges, rounds "
                "whose results are not published, ballots of confidential rounds, comments, people). "
                "Lists are paginated (`page`, `per_page` ≤ 100) and wrapped as `{data, meta, links}`. "
                "Responses carry `Access-Control-Allow-Origin: *`, `Cache-Control: public, max-age=60` and an ETag; "
                "each client address may make a limited number of requests per minute (429 beyond). "
                "See docs/api.md."
            ),
            "license": {"name": "CC0 1.0", "identifier": "CC0-1.0"},
        },
        "servers": [{"url": base_url.rstrip("/")}],
        "paths": PATHS,
        "components": {"schemas": _schemas(), "parameters": PARAMETERS, "responses": RESPONSES, "headers": HEADERS},
    }
