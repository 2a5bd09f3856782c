"""The public read-only JSON API under /api/v1/: what it shows (and never shows), its OpenAPI document and that
real responses match it, filters and paging, the programme's principles (CORS, caching, ETag), the rate limit,
and bounded queries."""

from __future__ import annotations

import hashlib
import json
import re
from collections import deque
from datetime import date, timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

from pilots.models import (
    Availability,
    Ballot,
    BallotEntry,
    BallotNote,
    BallotStatus,
    CandidateDataset,
    Challenge,
    ChallengeStatus,
    City,
    Comment,
    CoSponsorship,
    Criterion,
    DatasetCheck,
    Direction,
    Milestone,
    MilestoneCity,
    MilestoneStatus,
    ParticipantRole,
    Participation,
    Pilot,
    PilotStatus,
    PublishedDataset,
    Round,
    RoundPhase,
    RoundSnapshot,
    Stage,
    StageChange,
    User,
    utcnow,
)
from pilots.security.access import ANYONE, policy_for
from pilots.vocabularies import LICENCE_CC0
from tests.conftest import count_queries, empty_tables

API = "/api/v1"
LIST_ENDPOINTS = ("/cities", "/challenges", "/rounds", "/pilots", "/datasets")


@pytest.fixture
def base_url(app) -> str:
    return app.config["BASE_URL"].rstrip("/")


@pytest.fixture
def unlimited(app, monkeypatch):
    """Walking the whole API takes more requests than a client may make in a minute."""
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000 per minute")


def get(client, path: str, **kwargs):
    return client.get(path if path.startswith(("http", API + "/")) else API + path, **kwargs)


def local(url: str, base_url: str) -> str:
    assert url.startswith(base_url + API), url
    return url[len(base_url) :]


# --- data ----------------------------------------------------------------------------------------------------------

MARKERS = {
    "ballot_note": "ballot-note-marker-7f3a",
    "open_ballot_note": "open-round-ballot-note-marker-9c1d",
    "hidden_comment": "hidden-comment-marker-2b8e",
    "hidden_reason": "hidden-reason-marker-5d0c",
    "screening": "screening-reason-marker-4e6f",
    "closed_round": "Closed round marker 8a2b",
    "closed_snapshot": "closed-snapshot-marker-3c9d",
    "draft_round": "Draft round marker 6e1f",
}


@pytest.fixture
def programme(app, in_app) -> dict[str, Any]:
    """The demo programme (with its draft challenge and the open voting round of this year), plus what the API
    must never show: ballot notes, a hidden comment, a screening reason, a closed and a draft round, and a round
    whose ballots are confidential. Returns the ids the tests need."""
    from pilots.demo import seed

    with in_app() as session:
        seed()
        published = list(session.scalars(select(Round).where(Round.phase == RoundPhase.PUBLISHED).order_by(Round.year)))
        open_round = session.scalar(select(Round).where(Round.phase == RoundPhase.VOTING_OPEN))
        assert len(published) >= 2 and open_round is not None
        draft = session.scalar(select(Challenge).where(Challenge.status == ChallengeStatus.DRAFT))
        assert draft is not None
        public = session.scalar(select(Challenge).where(Challenge.status == ChallengeStatus.SELECTED).order_by(Challenge.id))

        # Notes in a published round's ballot and in the open round's ballot.
        for round_, text in ((published[0], MARKERS["ballot_note"]), (open_round, MARKERS["open_ballot_note"])):
            ballot = round_.ballots[0]
            session.add(BallotNote(ballot_id=ballot.id, challenge_id=round_.entries[0].challenge_id, text=text))
        # A hidden comment, and the committee's private screening reason.
        session.add(
            Comment(challenge_id=public.id, body=MARKERS["hidden_comment"], hidden=True, hidden_reason=MARKERS["hidden_reason"])
        )
        public.screening_reason = MARKERS["screening"]
        # A closed round (results not published) with its snapshot, and a round in preparation.
        closed = Round(title=MARKERS["closed_round"], year=2016, phase=RoundPhase.CLOSED, closed_at=utcnow())
        closed.criteria.append(Criterion(key="impact", name_nl="Impact", name_en="Impact"))
        closed.entries.append(BallotEntry(challenge_id=public.id))
        closed.snapshot = RoundSnapshot(
            document=json.dumps({"marker": MARKERS["closed_snapshot"]}),
            sha256="0" * 64,
            result=json.dumps({"selected": [str(public.id)], "marker": MARKERS["closed_snapshot"]}),
        )
        draft_round = Round(title=MARKERS["draft_round"], year=2027, phase=RoundPhase.DRAFT)
        session.add_all([closed, draft_round])
        # The latest published round keeps its ballots confidential.
        confidential = published[-1]
        confidential.ballots_confidential = True
        # A city asked to join the parking pilot but was not accepted; and a dataset was checked twice.
        parking = session.scalar(select(Pilot).order_by(Pilot.id))
        taken = {p.city_id for p in parking.participants}
        outsider = session.scalar(select(City).where(City.id.not_in(taken)).order_by(City.name))
        parking.participants.append(Participation(city_id=outsider.id, accepted=False, stage=Stage.INTERESTED))
        dataset = parking.datasets[0]
        old = utcnow() - timedelta(days=3)
        dataset.checks.append(DatasetCheck(checked_at=old, passed=False, report={"checks": [{"id": "https", "result": "fail"}]}))
        dataset.checks.append(
            DatasetCheck(
                checked_at=utcnow(),
                passed=True,
                report={
                    "checks": [{"id": "reachable", "result": "pass", "evidence": "200 OK"}, {"id": "https", "result": "pass"}]
                },
            )
        )
        session.commit()
        snapshot_documents = {r.id: r.snapshot.document for r in published}
        return {
            "published": [r.id for r in published],
            "confidential": confidential.id,
            "open": open_round.id,
            "open_title": open_round.title,
            "closed": closed.id,
            "draft_round": draft_round.id,
            "draft_challenge": draft.id,
            "draft_title": draft.title,
            "public_challenge": public.id,
            "parking": parking.id,
            "outsider": outsider.slug,
            "checked_dataset": dataset.id,
            "snapshots": snapshot_documents,
            "emails": list(session.scalars(select(User.email)))
            + list(session.scalars(select(PublishedDataset.contact_email).distinct())),
        }


def crawl(client, base_url: str) -> dict[str, Any]:
    """Every API address reachable from the lists: each list page by page, and every absolute URL in any response
    (details, filtered lists, snapshots). Returns {path: response}."""
    seen: dict[str, Any] = {}
    queue = deque([API + "/openapi.json", *(API + path + "?per_page=100" for path in LIST_ENDPOINTS)])
    while queue:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path)
        seen[path] = response
        assert len(seen) < 2000, "the crawl does not end"
        if response.status_code != 200 or path.endswith("/openapi.json"):
            continue
        for url in urls_in(response.get_json()):
            if url.startswith(base_url + API):
                queue.append(local(url, base_url))
    return seen


def urls_in(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [url for item in value.values() for url in urls_in(item)]
    if isinstance(value, list):
        return [url for item in value for url in urls_in(item)]
    return [value] if isinstance(value, str) and value.startswith("http") else []


# --- the OpenAPI document ------------------------------------------------------------------------------------------


class Contract:
    """The OpenAPI document, and the schema it declares for each path and status."""

    URI = "urn:datapilots:api"

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.registry = Registry().with_resource(self.URI, Resource.from_contents(document, default_specification=DRAFT202012))
        self.templates = [(self.pattern(path), path) for path in document["paths"]]

    @staticmethod
    def pattern(template: str) -> re.Pattern:
        parts = ["[^/]+" if part.startswith("{") else re.escape(part) for part in template.split("/")]
        return re.compile("^" + "/".join(parts) + "$")

    def template(self, path: str) -> str:
        path = path.split("?", 1)[0]
        matches = [template for pattern, template in self.templates if pattern.match(path)]
        assert matches, f"{path} is not in the OpenAPI document"
        return min(matches, key=lambda template: template.count("{"))  # a literal segment beats a parameter

    def response(self, path: str, status: int) -> dict[str, Any]:
        responses = self.document["paths"][self.template(path)]["get"]["responses"]
        assert str(status) in responses, f"{path} answered {status}, which the document does not declare"
        response = responses[str(status)]
        if "$ref" in response:
            response = self.document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        return response

    def errors(self, path: str, status: int, body: Any) -> list[str]:
        schema = self.response(path, status)["content"]["application/json"]["schema"]
        assert set(schema) == {"$ref"}
        validator = Draft202012Validator(
            {"$ref": self.URI + schema["$ref"]}, registry=self.registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        return [
            f"{path} ({status}): {'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(body)
        ]


@pytest.fixture
def contract(client) -> Contract:
    return Contract(get(client, "/openapi.json").get_json())


def test_the_openapi_document_is_valid_openapi(contract):
    validate_spec(contract.document)
    assert contract.document["openapi"].startswith("3.1")
    # Exact shapes: every object schema lists its properties and allows no others.
    for name, schema in contract.document["components"]["schemas"].items():
        for node in walk(schema):
            if node.get("type") == "object" and "properties" in node:
                assert node.get("additionalProperties") is False, name


def walk(node: Any):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_the_document_describes_exactly_the_api_routes(app, contract):
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.unknown":  # the JSON 404/405 for anything else
            routes[re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)] = rule
    assert set(routes) == set(contract.document["paths"])
    for path, rule in routes.items():
        operations = contract.document["paths"][path]
        assert set(operations) == {"get"} and "GET" in rule.methods, path
        declared = {p["$ref"].rsplit("/", 1)[1] for p in operations["get"]["parameters"]}
        parameters = [contract.document["components"]["parameters"][name] for name in declared]
        assert {p["name"] for p in parameters if p["in"] == "path"} == set(rule.arguments), path
    assert {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith(API)} == {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
    }


def test_every_api_route_is_public(app):
    endpoints = [rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")]
    assert len(endpoints) >= 13
    for endpoint in endpoints:
        assert policy_for(app, endpoint).rules == (ANYONE,), endpoint


def test_every_response_matches_the_document(client, base_url, programme, contract, unlimited):
    responses = crawl(client, base_url)
    assert len(responses) > 60
    problems = []
    for path, response in responses.items():
        assert response.mimetype == "application/json", path
        if path.endswith("/openapi.json"):
            continue
        problems += contract.errors(path, response.status_code, response.get_json())
    assert problems == []
    visited = {contract.template(path) for path in responses}
    assert visited == set(contract.document["paths"])  # every endpoint was walked
    # Errors too: each declared error status of each endpoint, with its body.
    ids = {"slug": "nowhere", "challenge_id": "999999", "round_id": "999999", "pilot_id": "999999", "dataset_id": "999999"}
    for template, operations in contract.document["paths"].items():
        path = re.sub(r"\{([^}]+)\}", lambda m: ids[m.group(1)], template)
        for status in operations["get"]["responses"]:
            if status in ("404",):
                response = client.get(path)
            elif status == "400":
                response = client.get(path + ("?per_page=0" if "{" not in template and "json" not in path else "?q=%00"))
            elif status == "403":
                response = client.get(f"{API}/rounds/{programme['confidential']}/snapshot")
            else:
                continue
            assert response.status_code == int(status), (path, status)
            assert contract.errors(path, int(status), response.get_json()) == []


# --- nothing unpublished -------------------------------------------------------------------------------------------


def test_nothing_unpublished_ever_appears(client, base_url, programme, unlimited):
    responses = crawl(client, base_url)
    bodies = {path: response.get_data(as_text=True) for path, response in responses.items()}
    everything = "\n".join(bodies.values())
    for name, marker in MARKERS.items():
        assert marker not in everything, name
    # No draft challenge, no open, closed or draft round, anywhere (the draft's title nor its address).
    assert programme["draft_title"] not in everything
    assert f'{API}/challenges/{programme["draft_challenge"]}"' not in everything
    assert programme["open_title"] not in everything
    for round_id in (programme["open"], programme["closed"], programme["draft_round"]):
        assert f'{API}/rounds/{round_id}"' not in everything
        assert get(client, f"/rounds/{round_id}").status_code == 404
        assert get(client, f"/rounds/{round_id}/snapshot").status_code == 404
    assert get(client, f"/challenges/{programme['draft_challenge']}").status_code == 404
    assert get(client, "/challenges?status=draft").status_code == 400
    # No email address of anyone (accounts, nor the datasets' contact points: the DCAT catalogue has those).
    for email in programme["emails"]:
        assert email not in everything
    assert re.search(r"[\w.+-]+@[\w-]+\.[\w.-]+", everything) is None
    # Ballots (scores per city) only in the snapshots of rounds that do not keep them confidential.
    for path, body in bodies.items():
        if path.endswith("/openapi.json"):
            continue  # describes the snapshot's shape, with no data
        if '"scores"' in body or '"ballots":[{' in body:
            assert path.endswith("/snapshot"), path
            assert f"/rounds/{programme['confidential']}/" not in path
    assert programme["snapshots"][programme["confidential"]] not in everything
    # The hidden comment is not even counted: comments are left out entirely.
    assert '"comments"' not in everything


def test_a_signed_in_visitor_gets_the_same_public_answer(client, make_user, programme):
    anonymous = get(client, "/challenges?per_page=100").data
    make_user("staff@example.org", city="gent", is_steering=True, is_admin=True)
    assert client.login("staff@example.org").status_code == 302
    response = get(client, "/challenges?per_page=100")
    assert response.data == anonymous  # the own city's drafts stay on the site, never in the API
    assert "Set-Cookie" not in response.headers


# --- contents ------------------------------------------------------------------------------------------------------


def test_cities(client, base_url, programme):
    body = get(client, "/cities?per_page=100").get_json()
    assert body["meta"]["total"] == 14 and len(body["data"]) == 14
    names = [city["name"] for city in body["data"]]
    assert names == sorted(names)
    gent = get(client, "/cities/gent").get_json()
    assert gent["url"] == f"{base_url}{API}/cities/gent" and gent["nis_code"] == "44021"
    assert get(client, local(gent["challenges_url"], base_url)).get_json()["data"][0]["city"]["slug"] == "gent"
    assert get(client, "/cities/nowhere").status_code == 404


def test_challenge_detail(client, programme):
    body = get(client, f"/challenges/{programme['public_challenge']}").get_json()
    assert body["status"] == "selected"
    assert body["datasets"] and body["datasets"][0]["holder"]["name"]
    assert body["cosponsors"] and all(sponsor["city"]["slug"] for sponsor in body["cosponsors"])
    assert body["dataset_count"] == len(body["datasets"]) and body["cosponsor_count"] == len(body["cosponsors"])
    assert body["pilot"]["id"] == programme["parking"]
    assert [r["id"] for r in body["rounds"]] == [programme["published"][0]]
    assert body["submitted_at"].endswith("Z")


def test_withdrawn_challenges_are_public(client, in_app, programme):
    with in_app() as session:
        challenge = session.scalar(select(Challenge).where(Challenge.status == ChallengeStatus.ELIGIBLE))
        challenge.status = ChallengeStatus.WITHDRAWN
        session.commit()
        challenge_id = challenge.id
    assert get(client, f"/challenges/{challenge_id}").get_json()["status"] == "withdrawn"
    listed = get(client, "/challenges?status=withdrawn").get_json()["data"]
    assert [c["id"] for c in listed] == [challenge_id]


def test_round_detail_and_snapshot(client, base_url, in_app, programme):
    round_id = programme["published"][0]
    body = get(client, f"/rounds/{round_id}").get_json()
    assert sum(c["normalised_weight"] for c in body["criteria"]) == pytest.approx(1.0)
    assert {c["key"]: c["normalised_weight"] for c in body["criteria"]} == pytest.approx(body["result"]["weights"])
    assert [c["id"] for c in body["selection"]["computed"]] == [int(a) for a in body["result"]["selected"]]
    assert body["selection"]["confirmed"] == body["selection"]["computed"]  # the demo confirms the ranking
    assert body["confirmation"]["overridden"] is False and body["confirmation"]["justification"] is None
    assert body["ballots"] == {"submitted": 14, "total": 14}
    assert [p["id"] for p in body["pilots"]] == [programme["parking"]]
    assert len(body["ballot"]) == len(body["result"]["aggregate"])
    # The snapshot, byte for byte: its hash is the published one, and the engine's input hash in the result.
    snapshot = get(client, local(body["snapshot"]["url"], base_url))
    assert snapshot.status_code == 200 and snapshot.mimetype == "application/json"
    assert snapshot.data == programme["snapshots"][round_id].encode("utf-8")
    assert hashlib.sha256(snapshot.data).hexdigest() == body["snapshot"]["sha256"] == body["result"]["input_sha256"]
    # A confidential round publishes its result and the snapshot's hash, not the snapshot.
    confidential = get(client, f"/rounds/{programme['confidential']}").get_json()
    assert confidential["ballots_confidential"] is True and confidential["snapshot"]["url"] is None
    assert confidential["result"] is not None and len(confidential["snapshot"]["sha256"]) == 64
    refused = get(client, f"/rounds/{programme['confidential']}/snapshot")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    # Only published rounds are listed.
    listed = get(client, "/rounds?per_page=100").get_json()
    assert sorted(r["id"] for r in listed["data"]) == sorted(programme["published"])


def test_round_confirmed_against_the_ranking_says_so(client, in_app, programme):
    round_id = programme["published"][0]
    with in_app() as session:
        session.get(Round, round_id).override_justification = "The committee weighed the cities' capacity this year."
        session.commit()
    body = get(client, f"/rounds/{round_id}").get_json()
    assert body["confirmation"]["overridden"] is True
    assert body["confirmation"]["justification"].startswith("The committee")


def test_pilot_detail(client, in_app, programme):
    from pilots.services import workspaces

    body = get(client, f"/pilots/{programme['parking']}").get_json()
    with in_app():
        pilot = workspaces.get_pilot(programme["parking"])
        assert body["progress"] == workspaces.pilot_progress(pilot)
        accepted = [p.city.slug for p in pilot.participants if p.accepted]
    assert [c["city"]["slug"] for c in body["cities"]] == accepted
    assert programme["outsider"] not in {c["city"]["slug"] for c in body["cities"]}  # asked, not accepted
    gent = next(c for c in body["cities"] if c["city"]["slug"] == "gent")
    assert gent["role"] == "lead" and gent["stage"] == "published"
    assert {"stage": "published", "on": "2017-11-06"} in gent["stages"]
    per_city = [m for m in body["milestones"] if m["per_city"]]
    assert per_city and all(m["cities"] for m in per_city)
    assert all(row["status"] in {s.value for s in MilestoneStatus} for m in per_city for row in m["cities"])
    assert all(m["cities"] == [] for m in body["milestones"] if not m["per_city"])
    assert len(body["datasets"]) == 6
    assert get(client, "/pilots/999999").status_code == 404


def test_datasets_carry_their_last_check(client, programme):
    body = get(client, f"/datasets/{programme['checked_dataset']}").get_json()
    check = body["last_check"]
    assert check["passed"] is True and check["checked_at"].endswith("Z")
    assert check["checks"] == [
        {"id": "reachable", "result": "pass", "evidence": "200 OK"},
        {"id": "https", "result": "pass", "evidence": ""},
    ]
    listed = get(client, "/datasets?per_page=100").get_json()["data"]
    assert len(listed) == 6
    assert all(d["last_check"] is not None for d in listed)  # the demo checked every parking dataset once
    assert "contact_email" not in body


# --- filters and paging ----------------------------------------------------------------------------------------------


def test_challenge_filters(client, in_app, programme):
    every = get(client, "/challenges?per_page=100").get_json()["data"]
    with in_app() as session:
        public = session.scalars(select(Challenge).where(Challenge.status != ChallengeStatus.DRAFT)).all()
        assert len(every) == len(public)
    for query, keep in [
        ("year=2017", lambda c: c["year"] == 2017),
        ("theme=TRAN", lambda c: c["theme"] == "TRAN"),
        ("city=gent", lambda c: c["city"]["slug"] == "gent"),
        ("status=eligible", lambda c: c["status"] == "eligible"),
        ("year=2026&city=mechelen", lambda c: c["year"] == 2026 and c["city"]["slug"] == "mechelen"),
    ]:
        found = get(client, f"/challenges?per_page=100&{query}").get_json()["data"]
        assert found and found == [c for c in every if keep(c)], query
    assert get(client, "/challenges?city=nowhere").get_json()["data"] == []
    assert get(client, "/challenges?year=").get_json()["meta"]["total"] == len(every)  # empty is absent


def test_pilot_round_and_dataset_filters(client, programme):
    pilots = get(client, "/pilots?per_page=100").get_json()["data"]
    active = get(client, "/pilots?status=active").get_json()["data"]
    assert active and all(p["status"] == "active" for p in active)
    assert len(active) == sum(p["status"] == "active" for p in pilots)
    in_gent = get(client, "/pilots?city=gent").get_json()["data"]
    assert in_gent and all("gent" in {c["city"]["slug"] for c in p["cities"]} for p in in_gent)
    # A city that only asked to join is not "in" the pilot.
    outsider = get(client, f"/pilots?city={programme['outsider']}").get_json()["data"]
    assert programme["parking"] not in {p["id"] for p in outsider}
    assert [r["year"] for r in get(client, "/rounds?year=2017").get_json()["data"]] == [2017]
    datasets = get(client, f"/datasets?pilot={programme['parking']}&city=gent").get_json()["data"]
    assert [d["city"]["slug"] for d in datasets] == ["gent"]
    assert get(client, "/datasets?pilot=999999").get_json()["meta"]["total"] == 0


def test_paging_envelope(client, base_url, programme):
    first = get(client, "/challenges?per_page=3&theme=TRAN").get_json()
    meta, links = first["meta"], first["links"]
    assert meta["total"] > 6 and meta["page"] == 1 and meta["per_page"] == 3 and meta["pages"] == -(-meta["total"] // 3)
    assert links["prev"] is None and links["self"].startswith(base_url + API + "/challenges?")
    assert "theme=TRAN" in links["next"] and "page=2" in links["next"] and "per_page=3" in links["next"]
    collected, page = list(first["data"]), first
    while page["links"]["next"]:
        page = get(client, local(page["links"]["next"], base_url)).get_json()
        assert page["links"]["prev"]
        collected += page["data"]
    assert len(collected) == meta["total"] and len({c["id"] for c in collected}) == meta["total"]
    assert page["links"]["next"] is None
    beyond = get(client, f"/challenges?per_page=3&theme=TRAN&page={meta['pages'] + 5}").get_json()
    assert beyond["data"] == [] and f"page={meta['pages']}" in beyond["links"]["prev"]
    default = get(client, "/cities").get_json()["meta"]
    assert default["per_page"] == 25


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("/challenges?per_page=1000", "per_page"),
        ("/challenges?per_page=0", "per_page"),
        ("/challenges?page=0", "page"),
        ("/challenges?page=-1", "page"),
        ("/challenges?page=99999999999999999999", "page"),
        ("/challenges?year=abc", "year"),
        ("/challenges?year=20177", "year"),
        ("/challenges?theme=XXXX", "theme"),
        ("/challenges?status=draft", "status"),
        ("/challenges?city=Not%20A%20Slug", "city"),
        ("/cities?per_page=x", "per_page"),
        ("/rounds?year=1.5", "year"),
        ("/pilots?status=flying", "status"),
        ("/pilots?city=GENT", "city"),
        ("/datasets?pilot=abc", "pilot"),
        ("/datasets?pilot=0", "pilot"),
        ("/datasets?pilot=34359738367", "pilot"),  # beyond the maximum the document states
    ],
)
def test_bad_filters_are_400_with_json(client, query, parameter):
    response = get(client, query)
    assert response.status_code == 400 and response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["status"] == 400 and error["code"] == "bad_request" and error["parameter"] == parameter
    assert parameter in error["message"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "path",
    [
        "/cities/nowhere",
        "/challenges/999999",
        "/rounds/999999",
        "/pilots/999999",
        "/datasets/999999",
        "/nothing",
        "/",
        # Regression (issue 11): ids of 2³¹ or more matched no route and answered the site's HTML 404.
        "/challenges/2147483648",
        "/rounds/99999999999",
        "/rounds/99999999999/snapshot",
        "/pilots/2147483648",
        "/datasets/34359738367",
    ],
)
def test_unknown_is_404_with_json(client, path):
    response = get(client, path)
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert response.get_json() == {
        "error": {"status": 404, "code": "not_found", "message": "No such public resource.", "parameter": None}
    }
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_the_document_states_the_id_ranges(contract):
    """Every id the API takes, in a path or a filter, is declared with the range a route accepts."""
    parameters = contract.document["components"]["parameters"]
    for name in ("challenge_id", "round_id", "pilot_id", "dataset_id", "pilot"):
        assert parameters[name]["schema"]["maximum"] == 2**31 - 1, name


def test_the_api_is_read_only(client):
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = client.open(API + "/cities", method=method)
        assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"
        assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


# --- the programme's principles ----------------------------------------------------------------------------------------


def test_cors_caching_and_etag_on_every_response(client, programme):
    for path in [*LIST_ENDPOINTS, "/cities/gent", f"/rounds/{programme['published'][0]}/snapshot", "/openapi.json"]:
        response = get(client, path)
        assert response.status_code == 200, path
        headers = response.headers
        assert headers["Access-Control-Allow-Origin"] == "*"
        assert headers["Cache-Control"] == "public, max-age=60"
        assert "Accept" in [v.strip() for v in headers["Vary"].split(",")]
        etag = headers["ETag"]
        assert etag.strip('"') == hashlib.sha256(response.data).hexdigest()[:32]
        again = get(client, path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
        assert again.headers["Access-Control-Allow-Origin"] == "*"
        assert get(client, path, headers={"If-None-Match": '"stale"'}).status_code == 200
        head = client.head(API + path)
        assert head.status_code == 200 and head.headers["ETag"] == etag
    # Errors carry the headers too; a 404 or 400 may be cached like the data.
    for path in ["/cities/nowhere", "/challenges?year=abc"]:
        response = get(client, path)
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Cache-Control"] == "public, max-age=60"
        assert "Accept" in response.headers["Vary"]


def test_cors_preflight(client):
    response = client.options(
        API + "/cities", headers={"Origin": "https://example.org", "Access-Control-Request-Headers": "if-none-match"}
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]
    assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_rate_limit_per_client_address(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "5 per minute")
    for n in range(5):  # one budget for the whole API, not one per route
        assert get(client, ["/cities", "/challenges", "/rounds", "/pilots", "/datasets"][n]).status_code == 200
    response = get(client, "/cities/gent")
    assert response.status_code == 429 and response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == "too_many_requests"
    assert "5 per 1 minute" in response.get_json()["error"]["message"]
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "no-store"  # a shared cache must not keep it for others
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert client.options(API + "/cities").status_code == 200  # a CORS preflight is not counted, nor refused
    other = get(client, "/cities", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200 and other.headers["X-RateLimit-Remaining"] == "4"


def test_the_default_limit_is_120_a_minute(client):
    response = get(client, "/cities")
    assert response.headers["X-RateLimit-Limit"] == "120"


# --- bounded queries -----------------------------------------------------------------------------------------------------


def populate(session, n: int) -> None:
    """``n`` of everything each list shows, fully connected (every nested collection has items)."""
    cities = [City(name=f"City {i:02d}", slug=f"city-{i:02d}", province="Antwerpen") for i in range(n)]
    session.add_all(cities)
    session.flush()
    for i, city in enumerate(cities):
        other = cities[(i + 1) % n]
        challenge = Challenge(
            title=f"Challenge {i}", summary="A problem.", theme="TRAN", year=2024, status=ChallengeStatus.SELECTED, city=city
        )
        challenge.submitted_at = utcnow()
        challenge.datasets.append(
            CandidateDataset(title="Counts", holder_city=other, availability=Availability.OPEN, url="https://x.example")
        )
        challenge.cosponsors.append(CoSponsorship(city=other, note="Us too."))
        session.add(challenge)
        round_ = Round(title=f"Round {i}", year=2024, phase=RoundPhase.PUBLISHED, published_at=utcnow(), confirmed_at=utcnow())
        round_.criteria.append(Criterion(key="impact", name_nl="Impact", name_en="Impact", weight=2))
        round_.criteria.append(Criterion(key="cost", name_nl="Kost", name_en="Cost", direction=Direction.COST))
        round_.ballots.append(Ballot(city=city, status=BallotStatus.SUBMITTED, submitted_at=utcnow()))
        session.add(round_)
        session.flush()
        round_.entries.append(BallotEntry(challenge_id=challenge.id))
        round_.snapshot = RoundSnapshot(
            document="{}", sha256="0" * 64, result=json.dumps({"selected": [str(challenge.id)], "quorum": 1})
        )
        pilot = Pilot(
            title=f"Pilot {i}", challenge_id=challenge.id, round_id=round_.id, lead_city_id=city.id, status=PilotStatus.ACTIVE
        )
        for member, role in ((city, ParticipantRole.LEAD), (other, ParticipantRole.PARTICIPANT)):
            participation = Participation(city=member, role=role, accepted=True, stage=Stage.COMMITTED)
            participation.stage_changes.append(StageChange(stage=Stage.COMMITTED, changed_on=date(2024, 1, 1)))
            pilot.participants.append(participation)
        shared = Milestone(title="Kick-off", due_date=date(2024, 3, 1), status=MilestoneStatus.DONE)
        per_city = Milestone(title="Publish", due_date=date(2024, 9, 1), per_city=True)
        per_city.city_statuses.extend([MilestoneCity(city=city), MilestoneCity(city=other, status=MilestoneStatus.DONE)])
        pilot.milestones.extend([shared, per_city])
        dataset = PublishedDataset(
            city=city,
            title_nl=f"Dataset {i}",
            contact_email="data@example.org",
            theme="TRAN",
            access_url=f"https://data.example/{i}",
            file_type="CSV",
            licence=LICENCE_CC0,
        )
        dataset.checks.append(DatasetCheck(passed=False, checked_at=utcnow() - timedelta(days=1), report={"checks": []}))
        dataset.checks.append(DatasetCheck(passed=True, report={"checks": [{"id": "https", "result": "pass", "evidence": ""}]}))
        pilot.datasets.append(dataset)
        session.add(pilot)
    session.commit()


@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS)
def test_list_queries_are_bounded(app, client, in_app, endpoint):
    counts = []
    for n in (2, 20):
        empty_tables(app)
        with in_app() as session:
            populate(session, n)
        with count_queries(app) as statements:
            body = get(client, f"{endpoint}?per_page=100").get_json()
        assert len(body["data"]) == n, endpoint
        counts.append(len(statements))
    assert counts[0] == counts[1], f"{endpoint}: {counts[0]} queries for 2 items, {counts[1]} for 20"
