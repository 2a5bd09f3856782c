"""The public read-only JSON API under /api/v1/ (docs/api.md; the OpenAPI document is at /api/v1/openapi.json).

It follows the programme's technical principles, as the DCAT-AP catalogue does: every response allows any
origin (CORS), is cacheable by anyone for a minute and carries an ETag (a hash of its body) that answers 304 to
a matching If-None-Match. Each client address may make API_RATE_LIMIT requests (default 120 a minute) across
the whole API; beyond that, 429. Errors are JSON too: ``{"error": {"status", "code", "message", "parameter"}}``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import BadRequest, Forbidden, HTTPException, MethodNotAllowed, NotFound

from pilots.extensions import csrf, db, limiter
from pilots.models import PilotStatus
from pilots.security.access import ANYONE, allow
from pilots.security.requests import MAX_ID
from pilots.services import voting
from pilots.services.cities import SLUG_RE
from pilots.vocabularies import THEMES
from pilots.web.api import openapi, queries
from pilots.web.api import serializers as out
from pilots.web.api.openapi import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, PUBLIC_CHALLENGE_STATUSES, YEARS

bp = Blueprint("api", __name__, url_prefix="/api/v1")

DEFAULT_RATE_LIMIT = "120 per minute"
CACHE_CONTROL = "public, max-age=60"
#: Errors that are the same for everyone and may be cached like the data; others (405, 429, 5xx) never are.
CACHEABLE_ERRORS = {400, 403, 404}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
ERROR_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    429: "too_many_requests",
    500: "internal_error",
}


def rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT)


# One budget per client address for the whole API (not one per route).
limiter.shared_limit(rate_limit, scope="api", methods=["GET", "HEAD"])(bp)


# --- responses -----------------------------------------------------------------------------------------------------


def respond(body: bytes, status: int = 200) -> Response:
    return current_app.response_class(body, status=status, mimetype="application/json")


def respond_json(payload: Any, status: int = 200) -> Response:
    return respond(json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8"), status)


class InvalidParameter(BadRequest):
    """A query parameter the API refuses; the error names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def error_response(status: int, message: str, parameter: str | None = None) -> Response:
    return respond_json(
        {
            "error": {
                "status": status,
                "code": ERROR_CODES.get(status, "bad_request" if status < 500 else "internal_error"),
                "message": message,
                "parameter": parameter,
            }
        },
        status,
    )


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if status == 429:
        message = f"Too many requests: the API allows {error.description} per client address. Try again later."
    elif isinstance(error, InvalidParameter):
        message = str(error.description)
    else:
        message = {
            400: "The request could not be understood.",
            403: "Access denied.",
            404: "No such public resource.",
            405: "The API only answers GET (and HEAD, OPTIONS).",
        }.get(status, str(error.description or error.name))
    response = error_response(status, message, getattr(error, "parameter", None))
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def unrouted_error(error: HTTPException) -> Response:
    """The API's answer to an address under it that matched no route (the app's error handler calls it)."""
    return principles(http_error(error))


@bp.errorhandler(500)
def server_error(error: Exception) -> Response:
    db.session.rollback()
    return error_response(500, "An unexpected error occurred. It has been logged.")


@bp.after_request
def principles(response: Response) -> Response:
    """CORS, caching and the ETag on every API response, errors included (only CACHEABLE_ERRORS may be cached)."""
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = "ETag, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
    response.vary.add("Accept")
    if request.method == "OPTIONS":  # a CORS preflight (If-None-Match is not a "simple" header)
        headers["Allow"] = "GET, HEAD, OPTIONS"
        headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        headers["Access-Control-Allow-Headers"] = "Accept, If-None-Match"
        headers["Access-Control-Max-Age"] = "86400"
    status = response.status_code
    if status < 300 or status in CACHEABLE_ERRORS:
        headers["Cache-Control"] = CACHE_CONTROL
    else:
        headers["Cache-Control"] = "no-store"
    if status == 200 and request.method in ("GET", "HEAD") and not response.direct_passthrough:
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
        response = response.make_conditional(request)
    return response


# --- query parameters ------------------------------------------------------------------------------------------------


def _text(name: str) -> str | None:
    value = request.args.get(name)
    return value if value else None  # absent and empty are the same


def int_param(name: str, minimum: int, maximum: int) -> int | None:
    raw = _text(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidParameter(name, f"'{name}' must be a whole number.")
    if len(raw) > 10 or not minimum <= int(raw) <= maximum:
        raise InvalidParameter(name, f"'{name}' must be from {minimum} to {maximum}.")
    return int(raw)


def choice_param(name: str, allowed: list[str]) -> str | None:
    raw = _text(name)
    if raw is not None and raw not in allowed:
        raise InvalidParameter(name, f"'{name}' must be one of: {', '.join(allowed)}.")
    return raw


def slug_param(name: str) -> str | None:
    raw = _text(name)
    if raw is not None and (len(raw) > 64 or not SLUG_RE.match(raw)):
        raise InvalidParameter(name, f"'{name}' must be a city's slug, like 'sint-niklaas'.")
    return raw


def paging() -> tuple[int, int]:
    return int_param("page", 1, MAX_PAGE) or 1, int_param("per_page", 1, MAX_PER_PAGE) or DEFAULT_PER_PAGE


def listing(endpoint: str, page: queries.Page, filters: dict[str, Any], item: Callable[[Any], dict]) -> Response:
    """The list envelope: ``{"data", "meta", "links"}``; the links keep the filters."""
    kept = {name: value for name, value in filters.items() if value is not None}

    def link(number: int) -> str:
        return out.api_url(endpoint) + "?" + urlencode({**kept, "page": number, "per_page": page.per_page})

    return respond_json(
        {
            "data": [item(entry) for entry in page.items],
            "meta": {"page": page.page, "per_page": page.per_page, "total": page.total, "pages": page.pages},
            "links": {
                "self": link(page.page),
                "next": link(page.page + 1) if page.page < page.pages else None,
                "prev": link(min(page.page - 1, page.pages)) if page.page > 1 and page.pages else None,
            },
        }
    )


# --- cities --------------------------------------------------------------------------------------------------------


@bp.get("/cities")
@allow(ANYONE)
def cities():
    page, per_page = paging()
    return listing("api.cities", queries.paginate(queries.cities_query(), page, per_page), {}, out.city)


@bp.get("/cities/<slug>")
@allow(ANYONE)
def city(slug: str):
    found = queries.city(slug)
    if found is None:
        raise NotFound()
    return respond_json(out.city(found))


# --- challenges ----------------------------------------------------------------------------------------------------


@bp.get("/challenges")
@allow(ANYONE)
def challenges():
    filters = {
        "year": int_param("year", *YEARS),
        "theme": choice_param("theme", list(THEMES)),
        "city": slug_param("city"),
        "status": choice_param("status", PUBLIC_CHALLENGE_STATUSES),
    }
    page, per_page = paging()
    result = queries.paginate(queries.challenges_query(**filters), page, per_page, rows=True)
    return listing("api.challenges", result, filters, lambda row: out.challenge_summary(*row))


@bp.get("/challenges/<int:challenge_id>")
@allow(ANYONE)
def challenge(challenge_id: int):
    found = queries.challenge(challenge_id)
    if found is None:
        raise NotFound()
    return respond_json(
        out.challenge_detail(found, queries.pilot_of_challenge(found.id), queries.published_rounds_of_challenge(found.id))
    )


# --- rounds --------------------------------------------------------------------------------------------------------


@bp.get("/rounds")
@allow(ANYONE)
def rounds():
    filters = {"year": int_param("year", *YEARS)}
    page, per_page = paging()
    result = queries.paginate(queries.rounds_query(**filters), page, per_page)
    counts = queries.ballot_counts([round_.id for round_ in result.items])
    return listing("api.rounds", result, filters, lambda round_: out.round_summary(round_, counts.get(round_.id)))


@bp.get("/rounds/<int:round_id>", endpoint="round")
@allow(ANYONE)
def round_detail(round_id: int):
    found = queries.published_round(round_id)
    if found is None:
        raise NotFound()
    counts = queries.ballot_counts([found.id]).get(found.id)
    return respond_json(out.round_detail(found, counts, queries.pilots_of_round(found.id)))


@bp.get("/rounds/<int:round_id>/snapshot")
@allow(ANYONE)
def snapshot(round_id: int):
    """The stored canonical JSON itself, not re-serialised: its SHA-256 is the round's snapshot hash."""
    found = queries.snapshot_document(round_id)
    if found is None or found[1] is None:
        raise NotFound()
    round_, document = found
    if not voting.scores_public(round_):
        raise Forbidden()
    return respond(document.encode("utf-8"))


# --- pilots --------------------------------------------------------------------------------------------------------


@bp.get("/pilots")
@allow(ANYONE)
def pilots():
    filters = {"status": choice_param("status", [s.value for s in PilotStatus]), "city": slug_param("city")}
    page, per_page = paging()
    result = queries.paginate(queries.pilots_query(**filters), page, per_page)
    rounds = queries.published_rounds_by_id([pilot.round_id for pilot in result.items])
    return listing("api.pilots", result, filters, lambda pilot: out.pilot_summary(pilot, rounds))


@bp.get("/pilots/<int:pilot_id>")
@allow(ANYONE)
def pilot(pilot_id: int):
    found = queries.pilot(pilot_id)
    if found is None:
        raise NotFound()
    return respond_json(out.pilot_detail(found, queries.published_rounds_by_id([found.round_id])))


# --- published datasets ----------------------------------------------------------------------------------------------


@bp.get("/datasets")
@allow(ANYONE)
def datasets():
    filters = {"city": slug_param("city"), "pilot": int_param("pilot", 1, MAX_ID)}
    page, per_page = paging()
    result = queries.paginate(queries.datasets_query(filters["city"], filters["pilot"]), page, per_page)
    checks = queries.last_checks([dataset.id for dataset in result.items])
    return listing("api.datasets", result, filters, lambda dataset: out.published_dataset(dataset, checks.get(dataset.id)))


@bp.get("/datasets/<int:dataset_id>")
@allow(ANYONE)
def dataset(dataset_id: int):
    found = queries.dataset(dataset_id)
    if found is None:
        raise NotFound()
    return respond_json(out.published_dataset(found, queries.last_checks([found.id]).get(found.id)))


# --- the description -------------------------------------------------------------------------------------------------


@bp.get("/openapi.json", endpoint="openapi")
@allow(ANYONE)
def openapi_document():
    return respond_json(openapi.document(current_app.config["BASE_URL"], current_app.config["VERSION"]))


@bp.route("/", defaults={"path": ""}, methods=["GET", *WRITE_METHODS])
@bp.route("/<path:path>", methods=["GET", *WRITE_METHODS])
@allow(ANYONE)
def unknown(path: str):
    """Any other address or method under /api/v1/: a JSON 404 or 405 with the API's headers, not the site's HTML
    page. (A write to an API route comes here too: no route of the read-only API accepts it.)"""
    if request.method in WRITE_METHODS:
        raise MethodNotAllowed(valid_methods=["GET", "HEAD", "OPTIONS"])
    raise NotFound()


csrf.exempt(unknown)  # it changes nothing and only ever answers 405 to a write
