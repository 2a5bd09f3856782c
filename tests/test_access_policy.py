"""Every route declares who may use it; the policy is enforced for every request."""

from __future__ import annotations

import pytest
from flask import Blueprint

from pilots.models import CityRole
from pilots.security import access
from pilots.security.access import ADMIN, ANYONE, SIGNED_IN, allow, policy_for, staff_of, voter_of
from tests.conftest import make_app

# Routes anyone may use. Adding a public route is a decision: it must be listed here too.
PUBLIC_ENDPOINTS = {
    "static",
    "bootstrap.static",
    "main.index",
    "main.healthz",
    "main.set_language",
    "auth.login",
    "auth.forgot_password",  # the same answer for any address, throttled (tests/test_password_reset.py)
    "auth.choose_password",  # only with a valid signed token
    # Single sign-on (docs/sso.md): the start sends the browser to the provider; the callback signs in only with the
    # state this browser's session holds and an ID token the provider signed for this client (tests/test_sso.py).
    "auth.sso_login",
    "auth.sso_callback",
    # Submitted challenges are public (drafts stay with their city: the view checks that).
    "challenges.index",
    "challenges.detail",
    "challenges.export_csv",
    # Pilots are public, with their milestone calendar; so is the DCAT-AP catalogue, and the chart library.
    "workspaces.index",
    "workspaces.detail",
    "workspaces.calendar",
    # A published dataset's history of checks: the pilot page already shows its checks to everyone.
    "workspaces.dataset_history",
    "catalogue.negotiated",
    "catalogue.by_extension",
    "results.plotly_js",
    "results.plotly_css",
    # The public read-only JSON API (docs/api.md); api.unknown answers JSON 404/405 for anything else under /api/v1/.
    "api.cities",
    "api.city",
    "api.challenges",
    "api.challenge",
    "api.rounds",
    "api.round",
    "api.snapshot",
    "api.pilots",
    "api.pilot",
    "api.datasets",
    "api.dataset",
    "api.openapi",
    "api.unknown",
}


def test_every_route_declares_a_policy(app):
    missing = [rule.rule for rule in app.url_map.iter_rules() if policy_for(app, rule.endpoint) is None]
    assert missing == []


def test_public_routes_are_exactly_the_listed_ones(app):
    public = {rule.endpoint for rule in app.url_map.iter_rules() if policy_for(app, rule.endpoint).is_public}
    assert public == PUBLIC_ENDPOINTS


def test_admin_blueprint_is_for_administrators_only(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            assert policy_for(app, rule.endpoint).rules == (ADMIN,), rule.rule


def test_a_route_without_policy_is_refused(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'x.sqlite'}")
    bp = Blueprint("forgotten", __name__)

    @bp.get("/forgotten")
    def forgotten():
        return "should never be served"

    app.register_blueprint(bp)
    response = app.test_client().get("/forgotten")
    assert response.status_code == 403
    assert b"should never be served" not in response.data


def _admin_urls(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin.") and "GET" in rule.methods:
            urls.append(rule.rule.replace("<int:user_id>", "1").replace("<int:city_id>", "1"))
    return urls


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    for url in [*_admin_urls(app), "/account"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login?next=" in response.headers["Location"], url


@pytest.mark.parametrize("fields", [{"is_steering": True}, {}])
def test_signed_in_non_admins_get_403(app, client, make_user, fields):
    make_user("staff@example.org", city="gent", **fields)
    client.login("staff@example.org")
    for url in _admin_urls(app):
        assert client.get(url).status_code == 403, url
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin.") and "POST" in rule.methods:
            url = rule.rule.replace("<int:user_id>", "1").replace("<int:city_id>", "1").replace("<int:membership_id>", "1")
            assert client.post(url, data={}).status_code == 403, url


def test_403_page_is_translated(client, make_user):
    make_user("staff@example.org")
    client.login("staff@example.org")
    assert "Geen toegang" in client.get("/admin/").text
    client.post("/language", data={"language": "en"})
    assert "Access denied" in client.get("/admin/").text


def test_city_rules(app, make_user, in_app):
    from pilots.models import User

    gent_voter = make_user("g@example.org", city="gent", role=CityRole.VOTER)
    gent_staff = make_user("s@example.org", city="gent", role=CityRole.STAFF)
    leuven = make_user("l@example.org", city="leuven")
    with in_app() as session:
        from tests.factories import city

        gent_id = city("gent").id
        args = {"city_id": gent_id}
        rule_staff = staff_of(lambda a: a["city_id"])
        rule_voter = voter_of(lambda a: a["city_id"])
        users = {uid: session.get(User, uid) for uid in (gent_voter, gent_staff, leuven)}
        assert rule_staff.check(users[gent_voter], args) and rule_staff.check(users[gent_staff], args)
        assert not rule_staff.check(users[leuven], args)
        assert rule_voter.check(users[gent_voter], args)
        assert not rule_voter.check(users[gent_staff], args)
        assert not rule_staff.check(users[gent_voter], {"city_id": None})  # missing object: refused


def test_any_of_the_rules_grants_access():
    policy = allow(ADMIN, SIGNED_IN)(lambda: None).access_policy
    assert policy.description == "administrator or signed in"
    assert not policy.is_public
    assert allow(ANYONE)(lambda: None).access_policy.is_public
    with pytest.raises(ValueError):
        allow()


def test_declared_policy_for_library_endpoints(app):
    assert policy_for(app, "static").rules == (access.ANYONE,)
