"""Single sign-on with OpenID Connect, against a real provider (the npm package oidc-provider) on a loopback port.

tests/sso_provider/provider.mjs runs the provider with a static client and a few accounts; its sign-in page is a
one-field form that these tests post like a browser would (httpx), following the redirects from the app's start to
the provider and back to the app's callback, which the Flask test client then opens. The refused ID tokens (forged
signature, another audience, expired, another issuer) come from the same provider, told to rewrite the ID token of
its next token response: the refusing is Authlib's real validation of what a real token endpoint answered.

Without Node.js or node_modules (`make test` runs `npm ci`) these tests skip and say why, except in CI, where they fail.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
import sqlalchemy as sa

from pilots.config import ConfigurationError, check_sso_config, environment_overrides
from pilots.models import AuditEvent, CityRole, Membership, User
from pilots.web.auth import oidc
from tests import factories
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "sso_provider" / "provider.mjs"
IN_CI = os.environ.get("CI") == "true"
CLIENT_ID = "datapilots-test"
CLIENT_SECRET = "a-client-secret-for-the-tests-only"
STARTUP_SECONDS = 30

ACCOUNTS = {
    "alice": {"email": "alice@stad.gent", "email_verified": True, "name": "Alice Aerts", "locale": "en-GB"},
    "bert": {"email": "Bert@Leuven.be", "email_verified": True, "given_name": "Bert", "family_name": "Boon"},
    "carla": {"email": "carla@example.org", "email_verified": False, "name": "Carla Claes"},
    "dirk": {
        "email": "dirk@stad.gent",
        "email_verified": True,
        "name": "Dirk Desmet",
        "city": "gent",
        "role": ["datapilots-stemmer", "iets-anders"],
    },
    "els": {"email": "els@leuven.be", "email_verified": True, "name": "Els Eeckhout", "city": ["24062", "nergens"]},
    "frank": {"email": "frank@example.org", "email_verified": True, "name": "Frank", "city": "gent", "role": "bezoeker"},
}


@dataclass
class Provider:
    issuer: str
    callback: str
    log: Path

    def next_id_token(self, mode: str, **claims) -> None:
        """Have the provider rewrite the ID token of its next token response (see provider.mjs)."""
        response = httpx.post(f"{self.issuer}/__test/next-id-token", json={"mode": mode, "claims": claims}, timeout=5)
        response.raise_for_status()


def _read_issuer(process: subprocess.Popen, log: Path, deadline: float) -> str:
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if selector.select(timeout=min(1.0, max(0.0, deadline - time.monotonic()))):
            line = process.stdout.readline()
            if line:
                return json.loads(line)["issuer"]
    raise AssertionError(f"the OIDC provider did not start: {log.read_text(errors='replace')[-2000:]}")


def _wait_until_it_answers(issuer: str, deadline: float) -> None:
    while True:
        try:
            if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"the OIDC provider at {issuer} does not answer")
        time.sleep(0.05)  # a poll interval under a deadline, not a wait for luck


@pytest.fixture(scope="session")
def provider(app, tmp_path_factory):
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").is_dir():
        message = "the single sign-on tests need Node.js and node_modules/oidc-provider (`make test` runs npm ci)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("sso_provider")
    callback = app.config["BASE_URL"].rstrip("/") + "/sso/callback"
    config = folder / "provider.json"
    config.write_text(
        json.dumps(
            {
                "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [callback]}],
                "accounts": ACCOUNTS,
            }
        )
    )
    log = folder / "provider.log"
    with log.open("w") as stderr:
        process = subprocess.Popen([node, str(SCRIPT), str(config)], cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        issuer = _read_issuer(process, log, deadline)
        _wait_until_it_answers(issuer, deadline)
        yield Provider(issuer, callback, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


@pytest.fixture
def sso(app, provider, monkeypatch):
    """Single sign-on on, with the test provider; returns a function to change further settings."""
    settings = {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_NAME": "ACM/IDM",
        "OIDC_SCOPES": "openid email profile",
        "OIDC_REQUIRED_DOMAINS": [],
        "OIDC_CITY_CLAIM": "",
        "OIDC_ROLE_CLAIM": "",
        "OIDC_ROLE_MAP": "",
    }

    def configure(**changes):
        for name, value in {**settings, **changes}.items():
            monkeypatch.setitem(app.config, name, value)
        check_sso_config(app.config)

    configure()
    return configure


def at_provider(provider: Provider, authorize_url: str, login: str) -> str:
    """Be the browser at the provider: open its sign-in page, sign in as ``login``, follow the redirects until the
    provider sends the browser back to the app; return that callback address (path and query)."""
    assert authorize_url.startswith(provider.issuer + "/auth?"), authorize_url
    with httpx.Client(timeout=10) as browser:
        response = browser.get(authorize_url)
        for _ in range(12):
            if response.status_code in (302, 303):
                target = urljoin(str(response.url), response.headers["location"])
                if target.startswith(provider.callback):
                    parts = urlsplit(target)
                    return f"{parts.path}?{parts.query}"
                response = browser.get(target)
            elif response.status_code == 200 and "/interaction/" in str(response.url):
                response = browser.post(str(response.url), data={"login": login})
            else:
                raise AssertionError(f"the provider answered {response.status_code}: {response.text[:500]}")
    raise AssertionError("the provider never sent the browser back")


def sign_in(client, provider: Provider, login: str, start: str = "/sso/login"):
    """The whole sign-in, as a person does it; returns the app's answer to the callback."""
    started = client.get(start)
    assert started.status_code == 302, started.text
    return client.get(at_provider(provider, started.headers["Location"], login))


def user_by_email(email: str) -> User | None:
    from pilots.extensions import db

    return db.session.scalar(sa.select(User).where(User.email == email))


def actions(in_app) -> list[tuple[str, dict]]:
    with in_app() as session:
        return [(event.action, event.details) for event in session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))]


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


# --- off ----------------------------------------------------------------------------------------------------------


def test_while_off_the_sign_in_page_shows_nothing_new_and_the_routes_say_so(app, client):
    assert not app.config["OIDC_ISSUER"]
    page = client.get("/login")
    assert page.status_code == 200
    assert "/sso/login" not in page.text
    for path in ("/sso/login", "/sso/callback?code=x&state=y"):
        response = client.get(path, headers={"Accept-Language": "en"})
        assert response.status_code == 200
        assert "Single sign-on is not set up on this platform" in response.text


def test_nothing_is_registered_or_fetched_before_the_first_sign_in(app, sso, client):
    app.extensions.pop(oidc.EXTENSION, None)
    assert client.get("/login").status_code == 200
    assert oidc.EXTENSION not in app.extensions  # the sign-in page itself does not talk to the provider


# --- signing in -----------------------------------------------------------------------------------------------------


def test_first_sign_in_creates_an_account_without_any_role(app, sso, client, provider, in_app):
    page = client.get("/login", headers={"Accept-Language": "en"})
    assert "Sign in with ACM/IDM" in page.text
    assert 'name="password"' in page.text  # the password form is still there

    elsewhere = app.test_client().get("/sso/login", headers={"Host": "evil.example"})
    assert parse_qs(urlsplit(elsewhere.headers["Location"]).query)["redirect_uri"] == [provider.callback]  # BASE_URL

    started = client.get("/sso/login?next=/challenges")
    assert started.status_code == 302
    query = parse_qs(urlsplit(started.headers["Location"]).query)
    assert query["redirect_uri"] == [provider.callback]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"

    response = client.get(at_provider(provider, started.headers["Location"], "alice"))
    assert response.status_code == 302, response.text
    assert response.headers["Location"] == "/challenges"
    assert signed_in(client)
    with client.session_transaction() as session:
        assert "planted" not in session  # a fresh session, as with a password
        assert not [key for key in session if key.startswith("_state_")]

    with in_app():
        user = user_by_email("alice@stad.gent")
        assert user.name == "Alice Aerts" and user.locale == "en"
        assert user.memberships == [] and not user.is_admin and not user.is_steering and user.active
        assert (user.oidc_issuer, user.oidc_subject) == (provider.issuer, "alice")
        assert not user.check_password("") and not user.check_password(PASSWORD)
    events = actions(in_app)
    assert [action for action, _ in events] == ["user.created", "user.login"]
    assert events[0][1]["via"] == "sso" and events[1][1]["method"] == "sso"


def test_later_sign_ins_match_by_subject_not_by_address(app, sso, client, provider, in_app):
    assert sign_in(client, provider, "alice").status_code == 302
    with in_app() as session:
        user = user_by_email("alice@stad.gent")
        user_id = user.id
        user.email = "alice.renamed@stad.gent"
        session.commit()
    client.post("/logout")
    assert not signed_in(client)
    assert sign_in(client, provider, "alice").status_code == 302
    assert signed_in(client)
    with in_app() as session:
        assert session.scalar(sa.select(sa.func.count(User.id))) == 1
        assert session.get(User, user_id).last_login_at is not None


def test_an_existing_account_is_matched_by_its_verified_address_and_keeps_its_password(
    app, sso, client, provider, make_user, in_app
):
    user_id = make_user("bert@leuven.be", city="leuven", role=CityRole.VOTER, name="Bert Boon")
    assert sign_in(client, provider, "bert").status_code == 302  # the provider says Bert@Leuven.be
    assert signed_in(client)
    with in_app() as session:
        user = session.get(User, user_id)
        assert user.oidc_subject == "bert"
        assert [(m.city.slug, m.role) for m in user.memberships] == [("leuven", CityRole.VOTER)]
        assert session.scalar(sa.select(sa.func.count(User.id))) == 1
    assert "user.sso_linked" in [action for action, _ in actions(in_app)]
    assert app.test_client().login("bert@leuven.be").status_code == 302  # the password still works


def test_password_accounts_still_sign_in_while_sso_is_on(sso, client, make_user):
    sso(OIDC_NAME="")
    assert "Sign in with single sign-on" in client.get("/login", headers={"Accept-Language": "en"}).text
    make_user("someone@example.org")
    assert client.login("someone@example.org").status_code == 302
    assert signed_in(client)


# --- refused ----------------------------------------------------------------------------------------------------------


def refused(response, status: int, text: str) -> None:
    assert response.status_code == status, response.text
    assert text in response.text
    assert "Traceback" not in response.text


def test_an_unverified_address_is_refused_and_links_nothing(sso, client, provider, make_user, in_app):
    user_id = make_user("carla@example.org")
    client.post("/language", data={"language": "en"})
    response = sign_in(client, provider, "carla")
    refused(response, 401, "has not verified your e-mail address carla@example.org")
    assert not signed_in(client)
    with in_app() as session:
        assert session.get(User, user_id).oidc_subject is None
    assert ("sso.refused", "email_unverified") in [(a, d.get("reason")) for a, d in actions(in_app)]


def test_a_replayed_state_is_refused(app, sso, client, provider, in_app):
    client.post("/language", data={"language": "en"})
    started = client.get("/sso/login")
    callback = at_provider(provider, started.headers["Location"], "alice")
    before = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert client.get(callback).status_code == 302

    # The same callback again in the same browser: its state was used up.
    refused(client.get(callback), 400, "This sign-in was already completed")
    # With a copy of the session from before the sign-in: the state is there, but the provider refuses the code.
    copy = app.test_client()
    copy.set_cookie(app.config["SESSION_COOKIE_NAME"], before)
    refused(copy.get(callback), 400, "the code was used already")
    assert not signed_in(copy)
    # A state this browser never started.
    stranger = app.test_client().get("/sso/callback?code=abc&state=made-up", headers={"Accept-Language": "en"})
    refused(stranger, 400, "not started in this browser")
    reasons = [d.get("reason") for a, d in actions(in_app) if a == "sso.refused"]
    assert reasons[0] == "state" and reasons[1].startswith("token_refused") and reasons[2] == "state"


@pytest.mark.parametrize(
    ("mode", "message", "reason"),
    [
        ("forged", "is not signed by ACM/IDM", "signature"),
        ("wrong_audience", "issued for another application", "audience"),
        # Authlib alone would take this one (azp names this client); the app says aud must name it.
        ("wrong_audience_azp", "issued for another application", "audience"),
        ("expired", "has expired", "expired"),
        ("wrong_issuer", "was not issued by ACM/IDM", "issuer"),
    ],
)
def test_an_id_token_that_does_not_verify_is_refused(sso, client, provider, in_app, mode, message, reason):
    client.post("/language", data={"language": "en"})
    started = client.get("/sso/login")
    callback = at_provider(provider, started.headers["Location"], "alice")
    provider.next_id_token(mode, email="mallory@stad.gent")
    refused(client.get(callback), 401, message)
    assert not signed_in(client)
    with in_app() as session:
        assert session.scalar(sa.select(sa.func.count(User.id))) == 0
    assert [(a, d.get("reason")) for a, d in actions(in_app)] == [("sso.refused", reason)]


def test_claims_in_the_id_token_itself_are_used(sso, client, provider, in_app):
    """Some providers put the e-mail in the ID token: then no userinfo is needed (and the token's word counts)."""
    started = client.get("/sso/login")
    callback = at_provider(provider, started.headers["Location"], "carla")
    provider.next_id_token("extra", email="carla@example.org", email_verified=True)
    assert client.get(callback).status_code == 302
    with in_app():
        assert user_by_email("carla@example.org").oidc_subject == "carla"


def test_a_provider_that_does_not_answer_gives_a_clear_page(app, sso, client, in_app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    sso(OIDC_ISSUER=closed)
    client.post("/language", data={"language": "en"})
    refused(client.get("/sso/login"), 503, "ACM/IDM does not answer right now")
    refused(client.get("/sso/callback?code=x&state=y"), 503, "ACM/IDM does not answer right now")
    assert {d.get("reason") for a, d in actions(in_app) if a == "sso.refused"} == {"provider_unavailable"}


def test_an_error_from_the_provider_gives_a_clear_page(sso, client):
    client.post("/language", data={"language": "en"})
    refused(client.get("/sso/callback?error=access_denied&state=x"), 401, "ACM/IDM did not sign you in (access_denied)")


def test_an_address_linked_to_another_identity_or_a_deactivated_account_is_refused(sso, client, provider, make_user, in_app):
    make_user("bert@leuven.be", oidc_issuer="https://elsewhere.example", oidc_subject="someone-else")
    make_user("alice@stad.gent", active=False)
    client.post("/language", data={"language": "en"})
    refused(sign_in(client, provider, "bert"), 403, "is linked to another identity")
    refused(sign_in(client, provider, "alice"), 403, "This account is deactivated")
    assert [d.get("reason") for a, d in actions(in_app) if a == "sso.refused"] == ["email_linked_elsewhere", "inactive"]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"code": "x"},
        {"state": ""},
        {"state": "x" * 5000, "code": "é€𝄞"},
        {"error": "<script>alert(1)</script>", "error_description": "x"},
        {"error": "", "state": "[]", "code": "{}"},
        {"state": ["a", "b"], "code": ["c", "d"]},
    ],
)
def test_junk_at_the_callback_gives_a_page_not_a_crash(sso, client, query):
    client.get("/sso/login")  # a sign-in under way in this browser: its state is in the session
    response = client.get("/sso/callback", query_string=query)
    assert response.status_code in (400, 401), response.text
    assert "<script>alert(1)</script>" not in response.text


def test_a_signed_in_user_starting_sso_is_sent_on(sso, client, make_user):
    make_user("someone@example.org")
    client.login("someone@example.org")
    response = client.get("/sso/login?next=/challenges")
    assert response.status_code == 302 and response.headers["Location"] == "/challenges"


# --- discovery and outbound requests ----------------------------------------------------------------------------------


def test_a_discovery_document_pointing_elsewhere_is_refused(app, sso, provider):
    good = httpx.get(f"{provider.issuer}/.well-known/openid-configuration").json()
    with app.test_request_context():
        oidc._check_metadata(dict(good), provider.issuer)  # the real one passes
        for change in ({"token_endpoint": "https://evil.example/token"}, {"issuer": "https://evil.example"}, {"jwks_uri": None}):
            with pytest.raises(oidc.SignInFailed) as failure:
                oidc._check_metadata({**good, **change}, provider.issuer)
            assert failure.value.status == 503
        metadata = {**good, "id_token_signing_alg_values_supported": ["none", "RS256"]}
        oidc._check_metadata(metadata, provider.issuer)
        assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]


def test_requests_outside_the_issuer_are_not_sent(app, sso, provider):
    with app.test_request_context():
        session = oidc.client().client_cls()
        with pytest.raises(oidc.OutsideIssuer):
            session.get("http://127.0.0.2:9/anything", withhold_token=True)
        assert session.get(f"{provider.issuer}/jwks", withhold_token=True).status_code == 200


# --- required domains -------------------------------------------------------------------------------------------------


def test_a_required_domain_refuses_password_sign_in_and_reset(app, sso, client, provider, make_user, in_app, outbox):
    sso(OIDC_REQUIRED_DOMAINS=["stad.gent"])
    make_user("dirk@stad.gent")
    make_user("someone@digipolis.stad.gent")
    make_user("someone@example.org")
    client.post("/language", data={"language": "en"})
    for email in ("dirk@stad.gent", "DIRK@Stad.Gent ", "someone@digipolis.stad.gent"):
        response = client.login(email)
        refused(response, 400, "Accounts at stad.gent sign in with ACM/IDM, not with a password")
        assert "Sign in with ACM/IDM" in response.text  # the button is right there
    assert not signed_in(client)
    response = client.post("/password/forgot", data={"email": "dirk@stad.gent"})
    refused(response, 400, "there is no password here to reset")
    assert outbox == []
    reasons = [(a, d.get("reason")) for a, d in actions(in_app)]
    assert reasons.count(("user.login_refused", "sso_required")) == 3
    assert ("user.password_reset_refused", "sso_required") in reasons

    assert client.login("someone@example.org").status_code == 302  # other domains keep their passwords
    client.post("/logout")
    assert sign_in(client, provider, "dirk").status_code == 302  # and the domain signs in with SSO
    assert signed_in(client)


def test_a_reset_link_sent_before_the_domain_required_sso_no_longer_works(app, sso, client, make_user, in_app):
    from pilots.services import account_links

    user_id = make_user("dirk@stad.gent")
    with in_app() as session:
        token = account_links.make_token(session.get(User, user_id), account_links.Purpose.RESET)
    sso(OIDC_REQUIRED_DOMAINS=["stad.gent"])
    client.post("/language", data={"language": "en"})
    refused(client.get(f"/password/new/{token}"), 403, "there is no password here to reset")
    refused(client.post(f"/password/new/{token}", data={"password": "x" * 12, "confirm": "x" * 12}), 403, "no password here")


# --- claims to cities and roles ---------------------------------------------------------------------------------------


def factories_city(slug: str, nis_code: str | None = None):
    """A city (in an app context), with this NIS code if given."""
    from pilots.extensions import db

    city = factories.city(slug)
    if nis_code:
        city.nis_code = nis_code
    db.session.commit()
    return city


def test_claims_give_no_city_or_role_unless_configured(sso, client, provider, in_app):
    with in_app():
        factories_city("gent")
    assert sign_in(client, provider, "dirk").status_code == 302
    with in_app():
        assert user_by_email("dirk@stad.gent").memberships == []


def test_configured_claims_give_cities_and_roles(app, sso, client, provider, in_app):
    sso(
        OIDC_SCOPES="openid email profile datapilots",
        OIDC_CITY_CLAIM="city",
        OIDC_ROLE_CLAIM="role",
        OIDC_ROLE_MAP="datapilots-stemmer:voter,datapilots-medewerker:staff",
    )
    with in_app():
        factories_city("gent")
        factories_city("leuven", nis_code="24062")
    assert sign_in(client, provider, "dirk").status_code == 302  # city gent, role datapilots-stemmer
    client.post("/logout")
    assert sign_in(app.test_client(), provider, "frank").status_code == 302  # a role the map does not know: none
    with in_app():
        assert [(m.city.slug, m.role) for m in user_by_email("dirk@stad.gent").memberships] == [("gent", CityRole.VOTER)]
        assert user_by_email("frank@example.org").memberships == []
    assert ("membership.added", "sso") in [(a, d.get("via")) for a, d in actions(in_app)]


def test_a_city_claim_alone_gives_staff_by_nis_code_and_never_lowers_a_role(app, sso, client, provider, in_app, make_user):
    sso(OIDC_SCOPES="openid email profile datapilots", OIDC_CITY_CLAIM="city")
    with in_app():
        factories_city("leuven", nis_code="24062")
    assert sign_in(client, provider, "els").status_code == 302  # city ["24062", "nergens"]
    with in_app() as session:
        user = user_by_email("els@leuven.be")
        assert [(m.city.slug, m.role) for m in user.memberships] == [("leuven", CityRole.STAFF)]
        user.memberships[0].role = CityRole.VOTER  # an administrator makes her a voter
        session.commit()
    login = next(d for a, d in actions(in_app) if a == "user.login")
    assert login["ignored_claims"] == ["nergens"]
    client.post("/logout")
    assert sign_in(client, provider, "els").status_code == 302
    with in_app() as session:
        memberships = session.scalars(sa.select(Membership)).all()
        assert [(m.city.slug, m.role) for m in memberships] == [("leuven", CityRole.VOTER)]


# --- configuration ----------------------------------------------------------------------------------------------------


def test_the_settings_come_from_the_environment():
    overrides = environment_overrides(
        {
            "OIDC_ISSUER": "https://authenticatie.vlaanderen.be/op",
            "OIDC_REQUIRED_DOMAINS": "stad.gent, @Leuven.be ,",
            "OIDC_TIMEOUT": "4.5",
            "OIDC_NAME": "ACM/IDM",
        }
    )
    assert overrides["OIDC_REQUIRED_DOMAINS"] == ["stad.gent", "leuven.be"]
    assert overrides["OIDC_TIMEOUT"] == 4.5
    assert overrides["OIDC_ISSUER"] == "https://authenticatie.vlaanderen.be/op"


ON = {"OIDC_ISSUER": "https://idp.example/op", "OIDC_CLIENT_ID": "c", "OIDC_CLIENT_SECRET": "s", "OIDC_SCOPES": "openid email"}


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"OIDC_REQUIRED_DOMAINS": ["stad.gent"]}, "single sign-on is off"),
        ({**ON, "OIDC_CLIENT_SECRET": ""}, "OIDC_CLIENT_SECRET is not set"),
        ({**ON, "OIDC_ISSUER": "ftp://idp.example"}, "is not an https:// address"),
        ({**ON, "OIDC_ISSUER": "http://idp.example", "ENV_NAME": "production"}, "must use https:// in production"),
        ({**ON, "OIDC_SCOPES": "email"}, "must include openid"),
        ({**ON, "OIDC_REQUIRED_DOMAINS": ["stad gent"]}, "is not an e-mail domain"),
        ({**ON, "OIDC_CITY_CLAIM": "city", "OIDC_ROLE_CLAIM": "role", "OIDC_ROLE_MAP": "x:admin"}, "OIDC_ROLE_MAP"),
        ({**ON, "OIDC_CITY_CLAIM": "city", "OIDC_ROLE_CLAIM": "role"}, "go together"),
        ({**ON, "OIDC_ROLE_CLAIM": "role", "OIDC_ROLE_MAP": "x:voter"}, "set OIDC_CITY_CLAIM too"),
        ({**ON, "OIDC_TIMEOUT": 0}, "OIDC_TIMEOUT"),
    ],
)
def test_an_incomplete_or_unsafe_configuration_is_refused(settings, complaint):
    with pytest.raises(ConfigurationError, match=complaint):
        check_sso_config(settings)


def test_the_app_checks_these_settings_when_it_starts():
    from pilots.config import check_config

    with pytest.raises(ConfigurationError, match="OIDC_ISSUER"):
        check_config({"OIDC_REQUIRED_DOMAINS": ["stad.gent"]})


def test_a_complete_configuration_is_accepted():
    check_sso_config({})
    check_sso_config({**ON, "ENV_NAME": "production", "OIDC_REQUIRED_DOMAINS": ["stad.gent"]})
    check_sso_config({**ON, "OIDC_CITY_CLAIM": "city", "OIDC_ROLE_CLAIM": "role", "OIDC_ROLE_MAP": "a:voter, b c:staff"})
