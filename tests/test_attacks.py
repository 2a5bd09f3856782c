"""Attacks on every route of the app, on the seeded world of tests/attack_support.py.

1. Every state-changing route is fuzzed with Hypothesis (field names and validators taken from its WTForms form)
   as a user allowed to use it: no example may crash it, nor the page its success redirects to; and, one at a
   time, every field of every form is left out, emptied and sent twice.
2. Every state-changing route refuses a post without its CSRF token, or with another session's token, and
   nothing changes in the database; the same posts with their token are accepted.
3. Every route is tried by each role (anonymous, staff of the owning city, staff of another city, voter, pilot
   lead, steering committee, administrator): the answer follows the route's declared policy, and for the
   important routes a hand-written table says what each role gets. Reading changes nothing, junk in the query
   string crashes nothing, and what a role may not see (drafts, open or confidential ballots, hidden comments,
   password hashes, session tokens) is on none of the pages, exports and API answers it can open.
4. Ids of one object combined with the ids of another (a dataset of another challenge, a milestone of another
   pilot, …) are refused and change nothing; so are NUL bytes anywhere and dataset addresses that are not http(s).
5. Session fixation and sign-in throttling, and the conformance check's address rules reached through the web.
6. Numbers at the edge of what a voting round can hold (found by these tests).

Browser-side XSS: tests/browser/test_xss.py. Already proven elsewhere and not repeated here: throttling per account,
per address and under parallel guesses (tests/test_auth.py TestThrottling, tests/test_hardening.py), planted session
keys dropped at sign-in (tests/test_auth.py test_sign_in_starts_a_fresh_session), the checker's address rules,
redirects and DNS rebinding (tests/conformance/test_address_rules.py, test_server_checks.py, test_pinning.py).
"""

from __future__ import annotations

import operator
import socket
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from wtforms import BooleanField, DateField, FloatField, IntegerField, RadioField, SelectField, SelectMultipleField, SubmitField
from wtforms.fields.core import UnboundField
from wtforms.validators import InputRequired, Length, NumberRange

from pilots.extensions import csrf, db, limiter, login_manager
from pilots.jobs import tasks as pilot_views
from pilots.models import AuditEvent, DatasetCheck, Delivery, PublishedDataset, User
from pilots.security.access import policy_for
from pilots.services.notifications import Kind
from pilots.web.admin.forms import CityForm, MembershipForm, NewUserForm, PasswordResetForm, UserForm
from pilots.web.auth.forms import ChoosePasswordForm, ForgotPasswordForm, LoginForm, PasswordChangeForm
from pilots.web.challenges.forms import (
    ChallengeForm,
    CommentForm,
    CoSponsorForm,
    DatasetForm,
    HideCommentForm,
    ScreeningForm,
    WithdrawCoSponsorForm,
)
from pilots.web.cities.forms import CharterForm, MaturityForm
from pilots.web.forms import ConfirmForm, LanguageForm
from pilots.web.results.forms import ConfirmSelectionForm
from pilots.web.rounds.forms import AdvanceForm, CriterionForm, RoundForm
from pilots.web.workspaces import forms as pilot_forms
from tests import attack_support
from tests.attack_support import PASSWORD, ROLES, World, database_rows

ROLE_NAMES = list(ROLES)


@pytest.fixture
def world(app) -> World:
    return attack_support.world(app)


def sign_in(client, who: str) -> None:
    """Sign in as a role of ROLES or an email address (anonymous: nothing)."""
    email = ROLES.get(who, who)
    if email:
        response = client.login(email, PASSWORD)
        assert response.status_code == 302, f"{email} could not sign in"


def url(app: Flask, endpoint: str, arguments: dict) -> str:
    with app.test_request_context():
        return url_for(endpoint, **arguments)


def is_sign_in_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


# --- what each state-changing route is tried with ---------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """How to use a state-changing route: who posts, to which ids, and which fields (from its form classes)."""

    actor: str  # a role of ROLES, or an email address
    arguments: dict
    forms: tuple[type[FlaskForm], ...] = ()
    prefix: str = ""  # the form's prefix (the admin's hide forms have one per comment)
    choices: dict[str, list] = field(default_factory=dict)  # valid values of fields the view fills in
    extra: dict[str, st.SearchStrategy] = field(default_factory=dict)  # fields that no form class declares
    examples: int = 30
    plain: dict[str, str] = field(default_factory=dict)  # values that make plain_values() a valid post


def voter_of(slug: str) -> str:
    return f"{slug}@demo.local"


def targets(w: World) -> dict[str, Target]:
    cities = list(w.city.values())
    gent, turnhout = w.city["gent"], w.city["turnhout"]
    pilot = {"pilot_id": w.pilot}
    demo_emails = ["nobody@example.org", ROLES["staff"], ROLES["voter"], "antwerpen@demo.local", ROLES["other_staff"]]
    score = st.sampled_from(["1", "2", "3", "4", "5", ""])
    ballot_fields = {
        **{f"score-{c}-{k}": score for c in w.voting_entries for k in w.voting_criteria},
        **{f"note-{c}": TEXT for c in w.voting_entries},
        "action": st.sampled_from(["save", "submit"]),
        "version": VERSION,
    }
    saaty = st.sampled_from(["9", "7", "5", "3", "1", "0.333333", "0.2", "0.142857", "0.111111"])
    pairs = [(a, b) for i, a in enumerate(w.draft_criteria) for b in w.draft_criteria[i + 1 :]]
    city_pairs = [(a, b) for i, a in enumerate(w.cities_criteria) for b in w.cities_criteria[i + 1 :]]
    weight = st.sampled_from(["1", "2.5", "0,5", "40", "0", "-1", "", "abc", "1e309"])
    # What valid_post() changes on forms that would otherwise be saved exactly as their page shows them.
    changes = {
        "admin.edit_city": {"province": "Limburg"},
        "admin.set_active": {"active": "0"},
        "admin.new_user": {"invite": ""},  # an initial password, not an invitation
        "challenges.edit": {"summary": "Een nieuwe samenvatting."},
        "challenges.edit_comment": {"body": "Een aangepaste reactie."},
        "cities.charter": {"note": "Een nieuwe notitie."},
        "main.set_language": {"language": "en"},
        "rounds.advance": {"expected_phase": "draft"},
        "rounds.edit_criterion": {"name_en": "Renamed"},
        "rounds.reopen_ballot": {"version": str(w.ballot_version)},
        "workspaces.edit": {"goal": "Een nieuw doel."},
        "workspaces.edit_dataset": {"keywords": "parkeren, nieuw"},
        "workspaces.edit_milestone": {"description": "Een nieuwe beschrijving."},
    }
    found = {
        "admin.new_user": Target("admin", {}, (NewUserForm,), choices={"city_id": [0, *cities]}, examples=40),
        "admin.edit_user": Target("admin", {"user_id": w.user["staff"]}, (UserForm,), examples=40),
        "admin.set_active": Target(
            "admin", {"user_id": w.user["staff"]}, (ConfirmForm,), extra={"active": st.sampled_from(["1", "0"])}, examples=12
        ),
        "admin.add_membership": Target("admin", {"user_id": w.user["staff"]}, (MembershipForm,), choices={"city_id": cities}),
        "admin.remove_membership": Target(
            "admin", {"user_id": w.user["staff"], "membership_id": w.membership}, (ConfirmForm,), examples=8
        ),
        "admin.reset_password": Target("admin", {"user_id": w.user["staff"]}, (PasswordResetForm,)),
        "admin.new_city": Target(
            "admin", {}, (CityForm,), examples=40, plain={"name": "Nieuwe stad", "slug": "nieuwe-stad", "nis_code": "99999"}
        ),
        "admin.edit_city": Target("admin", {"city_id": turnhout}, (CityForm,), examples=40),
        "api.unknown": Target("anonymous", {"path": "challenges"}, extra={"title": TEXT}, examples=8),
        "auth.login": Target("anonymous", {}, (LoginForm,), choices={"email": demo_emails, "password": [PASSWORD]}),
        "auth.account": Target(
            "voter",
            {},
            (PasswordChangeForm,),
            choices={"current_password": [PASSWORD]},
            plain={"confirm": "a-long-enough-password"},
        ),
        "auth.logout": Target("voter", {}, (ConfirmForm,), examples=8),
        "auth.forgot_password": Target("anonymous", {}, (ForgotPasswordForm,), choices={"email": demo_emails}, examples=12),
        "auth.choose_password": Target(
            "anonymous",
            {"token": w.reset_token},
            (ChoosePasswordForm,),
            plain={"password": "a-long-enough-password", "confirm": "a-long-enough-password"},
        ),
        "admin.invite": Target("admin", {"user_id": w.user["staff"]}, (ConfirmForm,), examples=8),
        "notifications.mark_all_read": Target("lead", {}, (ConfirmForm,), examples=8),
        "notifications.mark_read": Target("lead", {"notification_id": w.notification}, (ConfirmForm,), examples=8),
        "notifications.preferences": Target(
            "voter",
            {},
            extra={kind.value: st.sampled_from([d.value for d in Delivery]) for kind in Kind},
            plain={kind.value: "daily" for kind in Kind},
        ),
        "notifications.follow": Target(
            "other_staff",
            {"subject": "challenge", "subject_id": w.challenge},
            (ConfirmForm,),
            extra={"follow": st.sampled_from(["1", "0"])},
            plain={"follow": "1"},
            examples=8,
        ),
        "main.set_language": Target("voter", {}, (LanguageForm,), choices={"next": ["/challenges", "//evil.example/"]}),
        "challenges.new": Target("voter", {}, (ChallengeForm,), choices={"city_id": [gent], "year": YEARS}, examples=40),
        "challenges.edit": Target("voter", {"challenge_id": w.challenge}, (ChallengeForm,), choices={"year": YEARS}, examples=40),
        "challenges.submit": Target("voter", {"challenge_id": w.draft}, (ConfirmForm,), examples=8),
        "challenges.withdraw": Target("voter", {"challenge_id": w.challenge}, (ConfirmForm,), examples=8),
        "challenges.new_dataset": Target(
            "voter",
            {"challenge_id": w.challenge},
            (DatasetForm,),
            choices={"holder_city_id": [0, *cities], "url": ["javascript:alert(1)", "https://data.example.org/x"]},
            extra={"another": st.sampled_from(["1", ""])},
            examples=40,
            plain={"holder_name": ""},
        ),
        "challenges.edit_dataset": Target(
            "voter",
            {"challenge_id": w.challenge, "dataset_id": w.candidate},
            (DatasetForm,),
            choices={"holder_city_id": [0, *cities], "url": ["https://data.example.org/x"]},
            examples=40,
            plain={"holder_name": ""},
        ),
        "challenges.delete_dataset": Target(
            "voter", {"challenge_id": w.draft, "dataset_id": w.draft_candidate}, (ConfirmForm,), examples=8
        ),
        "challenges.cosponsor": Target(
            voter_of("antwerpen"), {"challenge_id": w.challenge}, (CoSponsorForm,), choices={"city_id": [w.city["antwerpen"]]}
        ),
        "challenges.withdraw_cosponsor": Target(
            "other_staff", {"challenge_id": w.challenge}, (WithdrawCoSponsorForm,), choices={"city_id": [turnhout]}, examples=12
        ),
        "challenges.comment": Target("other_staff", {"challenge_id": w.challenge}, (CommentForm,)),
        "challenges.edit_comment": Target("voter", {"challenge_id": w.challenge, "comment_id": w.comment}, (CommentForm,)),
        "challenges.hide_comment": Target(
            "admin", {"challenge_id": w.challenge, "comment_id": w.comment}, (HideCommentForm,), prefix=f"hide-{w.comment}-"
        ),
        "challenges.screen": Target(
            "steering",
            {"challenge_id": w.challenge},
            (ScreeningForm,),
            choices={"effort": ["", "0", "2,5", "12.25", "1000000"]},
            plain={"effort": "2,5"},
        ),
        "cities.charter": Target("voter", {"slug": "gent"}, (CharterForm,), choices={"principle": list(range(1, 21))}),
        "cities.maturity": Target("voter", {"slug": "gent", "year": w.maturity_year}, (MaturityForm,), examples=40),
        "rounds.new": Target("steering", {}, (RoundForm,), examples=40),
        "rounds.edit": Target("steering", {"round_id": w.draft_round}, (RoundForm,), examples=40),
        "rounds.advance": Target(
            "steering",
            {"round_id": w.draft_round},
            (AdvanceForm,),
            choices={"expected_phase": ["draft", "proposals_open", "voting_open", "closed", "published"]},
            examples=16,
        ),
        "rounds.new_criterion": Target(
            "steering", {"round_id": w.draft_round}, (CriterionForm,), examples=40, plain={"key": "nieuw", "scale_max": "5"}
        ),
        "rounds.edit_criterion": Target(
            "steering", {"round_id": w.draft_round, "criterion_id": w.criterion}, (CriterionForm,), examples=40
        ),
        "rounds.delete_criterion": Target(
            "steering", {"round_id": w.draft_round, "criterion_id": w.criterion}, (ConfirmForm,), examples=8
        ),
        "rounds.weights": Target(
            "steering",
            {"round_id": w.draft_round},
            extra={**{f"pair-{a}-{b}": saaty for a, b in pairs}, "version": VERSION},
        ),
        "rounds.save_ballot": Target("voter", {"round_id": w.voting_round, "city": "gent"}, extra=ballot_fields, examples=40),
        "rounds.save_city_weights": Target(
            "voter",
            {"round_id": w.cities_round, "city": "gent"},
            extra={**{f"weight-{c}": weight for c in w.cities_criteria}, "version": VERSION},
            plain={f"weight-{c}": str(n + 1) for n, c in enumerate(w.cities_criteria)},
        ),
        "rounds.save_city_weights_pairwise": Target(
            "voter",
            {"round_id": w.cities_round, "city": "gent"},
            extra={
                **{f"pair-{a}-{b}": saaty for a, b in city_pairs},
                "version": VERSION,
                "apply_anyway": st.sampled_from(["", "1"]),
                "previewed": TEXT,
            },
            plain={"apply_anyway": "", "previewed": ""},
        ),
        "rounds.reopen_ballot": Target(
            voter_of(w.ballot_city), {"round_id": w.voting_round, "city": w.ballot_city}, extra={"version": VERSION}, examples=12
        ),
        "results.confirm": Target(
            "steering", {"round_id": w.published_round}, (ConfirmSelectionForm,), choices={"selected": list(w.published_entries)}
        ),
        "rounds.save_pledges": Target(
            "voter",
            {"round_id": w.published_round, "city": "gent"},
            (ConfirmForm,),
            extra={f"pledge-{c}": st.sampled_from(["yes", "no", ""]) for c in w.published_entries},
            plain={f"pledge-{c}": "yes" for c in w.published_entries},
        ),
        "workspaces.new": Target("steering", {}, (pilot_forms.PilotForm,), choices={"lead_city_id": [0, *cities]}),
        "workspaces.edit": Target("lead", pilot, (pilot_forms.PilotForm,), choices={"lead_city_id": [0, *cities]}),
        "workspaces.add_lead": Target("lead", pilot, (pilot_forms.LeadForm,), choices={"email": demo_emails}),
        "workspaces.remove_lead": Target("steering", {**pilot, "user_id": w.user["lead"]}, (ConfirmForm,), examples=8),
        "workspaces.join": Target(voter_of("genk"), pilot, (pilot_forms.JoinForm,), choices={"city_id": [w.city["genk"]]}),
        "workspaces.invite": Target("lead", pilot, (pilot_forms.InviteForm,), choices={"city_id": cities}),
        "workspaces.accept": Target("lead", {**pilot, "participation_id": w.pending}, (ConfirmForm,), examples=8),
        "workspaces.stage": Target("voter", {**pilot, "participation_id": w.participation}, (pilot_forms.StageForm,)),
        "workspaces.new_milestone": Target("lead", pilot, (pilot_forms.MilestoneForm,), examples=40),
        "workspaces.edit_milestone": Target(
            "lead", {**pilot, "milestone_id": w.milestone}, (pilot_forms.MilestoneForm,), examples=40
        ),
        "workspaces.milestone_status": Target(
            "voter", {**pilot, "milestone_id": w.milestone}, (pilot_forms.MilestoneStatusForm,), choices={"city_id": [gent]}
        ),
        "workspaces.new_dataset": Target(
            "voter",
            pilot,
            (pilot_forms.DatasetForm,),
            choices={"city_id": [gent], "access_url": ["https://data.stad.gent/x"], "contact_email": ["open@stad.gent"]},
            examples=40,
            plain={"download_url": "https://data.stad.gent/x.csv"},
        ),
        "workspaces.edit_dataset": Target(
            "voter",
            {**pilot, "dataset_id": w.dataset},
            (pilot_forms.DatasetForm,),
            choices={"city_id": [gent], "access_url": ["https://data.stad.gent/x"], "contact_email": ["open@stad.gent"]},
            examples=40,
            plain={"download_url": "https://data.stad.gent/x.csv"},
        ),
        "workspaces.check_dataset": Target("voter", {**pilot, "dataset_id": w.dataset}, examples=6),
        "workspaces.post_update": Target("lead", pilot, (pilot_forms.UpdateForm,)),
    }
    return {endpoint: replace(target, plain={**target.plain, **changes.get(endpoint, {})}) for endpoint, target in found.items()}


# Parametrisation needs the names before the world exists; test_every_state_changing_route_is_a_target keeps
# this list equal to the app's state-changing routes.
STATE_CHANGING = sorted(
    [
        "admin.add_membership",
        "admin.edit_city",
        "admin.edit_user",
        "admin.invite",
        "admin.new_city",
        "admin.new_user",
        "admin.remove_membership",
        "admin.reset_password",
        "admin.set_active",
        "api.unknown",
        "auth.account",
        "auth.choose_password",
        "auth.forgot_password",
        "auth.login",
        "auth.logout",
        "challenges.comment",
        "challenges.cosponsor",
        "challenges.delete_dataset",
        "challenges.edit",
        "challenges.edit_comment",
        "challenges.edit_dataset",
        "challenges.hide_comment",
        "challenges.new",
        "challenges.new_dataset",
        "challenges.screen",
        "challenges.submit",
        "challenges.withdraw",
        "challenges.withdraw_cosponsor",
        "cities.charter",
        "cities.maturity",
        "main.set_language",
        "notifications.follow",
        "notifications.mark_all_read",
        "notifications.mark_read",
        "notifications.preferences",
        "results.confirm",
        "rounds.advance",
        "rounds.delete_criterion",
        "rounds.edit",
        "rounds.edit_criterion",
        "rounds.new",
        "rounds.new_criterion",
        "rounds.reopen_ballot",
        "rounds.save_ballot",
        "rounds.save_city_weights",
        "rounds.save_city_weights_pairwise",
        "rounds.save_pledges",
        "rounds.weights",
        "workspaces.accept",
        "workspaces.add_lead",
        "workspaces.check_dataset",
        "workspaces.edit",
        "workspaces.edit_dataset",
        "workspaces.edit_milestone",
        "workspaces.invite",
        "workspaces.join",
        "workspaces.milestone_status",
        "workspaces.new",
        "workspaces.new_dataset",
        "workspaces.new_milestone",
        "workspaces.post_update",
        "workspaces.remove_lead",
        "workspaces.stage",
    ]
)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def test_every_state_changing_route_is_a_target(app, world):
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.methods & WRITE_METHODS}
    assert routes == set(STATE_CHANGING)
    assert set(targets(world)) == routes


# --- 1. fuzzing every form ---------------------------------------------------------------------------------------

# Junk for any field: unicode, control characters, numbers out of every range, dates that do not exist, huge texts.
TEXT = st.text(st.characters(exclude_characters="\x00", codec="utf-8"), max_size=40)
HUGE = st.builds(operator.mul, st.sampled_from(["a", "é", "€", "𝄞", "<", "9", " "]), st.integers(2_000, 60_000))
ODD = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1.5",
        "1e309",
        "-1e309",
        "nan",
        "inf",
        "-inf",
        "9" * 40,
        "9" * 400,  # an int, but too large for a float
        str(2**31),
        str(-(2**63) - 1),
        "٣",
        "0x10",
        "2024-02-30",
        "0000-01-01",
        "0001-01-01",
        "9999-12-31",
        "10000-01-01",
        "31/12/2024",
        "true",
        "None",
        "[]",
        "{}",
        "<script>window.__xss=1</script>",
        "' OR 1=1 --",
        "../../etc/passwd",
        "\u202e\ufeff\u200b",
        "a\r\nb",
        "\x01\x1b[31m",
        "%00",
        "a\x00b",  # refused before any view (PostgreSQL cannot store it)
    ]
)
JUNK = st.one_of(ODD, TEXT, st.integers(-(2**70), 2**70).map(str), st.floats().map(repr), HUGE)
VERSION = st.one_of(st.integers(0, 6).map(str), JUNK)
YEARS = list(range(2017, date.today().year + 2))
DATES = st.dates(date(2015, 1, 1), date(2031, 12, 31)).map(date.isoformat)


def form_fields(form_class: type[FlaskForm], prefix: str = "") -> dict[str, UnboundField]:
    return {prefix + name: value for name in dir(form_class) if isinstance(value := getattr(form_class, name), UnboundField)}


def valid_values(name: str, unbound: UnboundField, choices: list | None) -> st.SearchStrategy:
    """Values the form accepts, from the field's type and validators (or the choices the view sets)."""
    kind = unbound.field_class
    validators = unbound.kwargs.get("validators", [])
    if choices is None and "choices" in unbound.kwargs:
        choices = [choice.value for choice in unbound.kwargs["choices"]]
    if issubclass(kind, SubmitField):
        return st.just("y")
    if name.endswith("version"):
        return st.integers(0, 6).map(str)
    if issubclass(kind, BooleanField):
        return st.sampled_from(["y", ""])
    if issubclass(kind, SelectMultipleField):
        return st.lists(st.sampled_from([str(c) for c in choices]), max_size=len(choices), unique=True)
    if choices is not None:
        return st.sampled_from([str(c) for c in choices])
    if issubclass(kind, (SelectField, RadioField)):
        return TEXT
    if issubclass(kind, DateField):
        return DATES
    if issubclass(kind, (IntegerField, FloatField)):
        bounds = next((v for v in validators if isinstance(v, NumberRange)), None)
        low = bounds.min if bounds and bounds.min is not None else -5
        high = bounds.max if bounds and bounds.max is not None else 10
        if issubclass(kind, IntegerField):
            return st.integers(int(low), int(high)).map(str)
        return st.floats(low, high).map(repr)
    longest = min(next((v.max for v in validators if isinstance(v, Length) and v.max > 0), 200), 200)
    required = any(isinstance(v, InputRequired) for v in validators)
    if name.endswith("email"):
        return st.sampled_from(["someone@example.org", "ANN@Stad.Gent "])
    return st.text(st.characters(exclude_characters="\x00", codec="utf-8"), min_size=int(required), max_size=longest)


def fields_of(target: Target) -> dict[str, st.SearchStrategy]:
    fields: dict[str, st.SearchStrategy] = {}
    for form_class in target.forms:
        for name, unbound in form_fields(form_class, target.prefix).items():
            fields[name] = valid_values(name, unbound, target.choices.get(name.removeprefix(target.prefix)))
    return {**fields, **target.extra}


@st.composite
def submissions(draw, fields: dict[str, st.SearchStrategy]) -> dict:
    """A form post: most fields valid, a few broken (missing, junk, or sent several times), now and then a field
    the form does not know."""
    names = sorted(fields)
    broken = draw(st.sets(st.sampled_from(names), max_size=min(3, len(names)))) if names else set()
    data: dict = {}
    for name in names:
        if name not in broken:
            data[name] = draw(fields[name])
            continue
        how = draw(st.sampled_from(["missing", "junk", "several"]))
        if how == "junk":
            data[name] = draw(JUNK)
        elif how == "several":
            data[name] = draw(st.lists(st.one_of(fields[name], JUNK), min_size=2, max_size=3))
    data.update(draw(st.dictionaries(st.sampled_from(["id", "city", "is_admin", "status", "x[]"]), JUNK, max_size=1)))
    return data


def fake_checker(url: str, realtime: bool, frequency: str | None = None) -> dict:
    """The conformance check without the network."""
    return {"url": url, "passed": False, "refused": None, "checks": [{"id": "reachable", "result": "fail", "evidence": "x"}]}


@pytest.mark.parametrize("endpoint", STATE_CHANGING)
def test_fuzzed_forms_never_crash(app, world, client, monkeypatch, endpoint):
    """Hypothesis posts field values of every kind to the route, as someone allowed to use it: never a 500,
    neither from the post nor from the page a successful post redirects to."""
    monkeypatch.setattr(pilot_views, "run_checker", fake_checker)
    target = targets(world)[endpoint]
    address = url(app, endpoint, target.arguments)
    sign_in(client, target.actor)
    fields = fields_of(target)
    if target.forms and target.forms != (ConfirmForm,):  # the field names are the form's, not guesses
        assert fields, endpoint

    @settings(
        max_examples=target.examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=submissions(fields))
    def post(data):
        response = client.post(address, data=data)
        assert response.status_code < 500, (endpoint, data)
        location = response.headers.get("Location", "")
        if response.status_code == 302 and location.startswith("/"):
            shown = client.get(location)
            assert shown.status_code < 500, (endpoint, location, data)

    post()


@pytest.mark.parametrize("how", ["left out", "empty", "sent twice"])
def test_each_field_left_out_emptied_or_sent_twice_never_crashes(app, world, client, monkeypatch, how):
    """The systematic companion of the fuzzing: every field of every form, one at a time. (Found this way: a city
    posted without its province crashed the administrator's city form.)"""
    monkeypatch.setattr(pilot_views, "run_checker", fake_checker)
    clients, failures, tried, accepted = {}, [], 0, 0
    for endpoint, target in sorted(targets(world).items()):
        if endpoint == "auth.logout":
            continue  # it has no fields, and it would end the voter's session
        if target.actor not in clients:
            clients[target.actor] = app.test_client()
            sign_in(clients[target.actor], target.actor)
        address = url(app, endpoint, target.arguments)
        initial = valid_post(app, clients[target.actor], endpoint, target)
        for name in initial:
            # An edit form again for each post: the version moves on with each save.
            plain = valid_post(app, clients[target.actor], endpoint, target) if str(initial.get("version")).isdigit() else initial
            data = dict(plain)
            if how == "left out":
                del data[name]
            elif how == "empty":
                data[name] = ""
            else:
                data[name] = [*(plain[name] if isinstance(plain[name], list) else [plain[name]]), "nog een waarde"]
            tried += 1
            try:
                status = clients[target.actor].post(address, data=data).status_code
            except Exception as error:  # testing propagates exceptions: collect them all
                failures.append(f"{endpoint} {name} {how}: {error!r}")
            else:
                accepted += status == 302
                if status >= 500:
                    failures.append(f"{endpoint} {name} {how}: {status}")
    assert tried > 200 and accepted > tried // 3  # most posts get past the form to the service
    assert failures == []


QUERY_NAMES = [
    "page",
    "per_page",
    "year",
    "city",
    "theme",
    "status",
    "sort",
    "q",
    "mine",
    "date",
    "scope",
    "format",
    "principle",
    "action",
    "object_type",
    "next",
    "pilot",
]


@pytest.mark.parametrize("role", ["anonymous", "voter", "steering", "admin"])
def test_fuzzed_query_strings_never_crash(app, world, client, role):
    """Every page with the query arguments the views read (filters, pages, dates, report scopes), filled with junk."""
    sign_in(client, role)
    arguments = get_arguments(world)
    pages = sorted(
        url(app, rule.endpoint, arguments.get(rule.endpoint, {}))
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint not in ("static", "bootstrap.static", "results.plotly_js")
    )

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(page=st.sampled_from(pages), query=st.dictionaries(st.sampled_from(QUERY_NAMES), st.one_of(ODD, TEXT), max_size=4))
    def visit(page, query):
        response = client.get(page, query_string=query)
        assert response.status_code < 500, (page, query)

    visit()


# --- 2. CSRF ------------------------------------------------------------------------------------------------------


def plain_values(target: Target) -> dict:
    """One ordinary, valid-looking post for the target (no Hypothesis: the same every run)."""
    data = {}
    for name, unbound in (item for form in target.forms for item in form_fields(form, target.prefix).items()):
        short = name.removeprefix(target.prefix)
        kind = unbound.field_class
        if short in target.choices:
            data[name] = str(target.choices[short][-1])
        elif "choices" in unbound.kwargs:
            data[name] = str(unbound.kwargs["choices"][0].value)
        elif issubclass(kind, DateField):
            data[name] = "2026-01-15"
        elif issubclass(kind, (IntegerField, FloatField)):
            bounds = next((v for v in unbound.kwargs.get("validators", []) if isinstance(v, NumberRange)), None)
            data[name] = str(bounds.min if bounds and bounds.min is not None else 1)
        elif issubclass(kind, BooleanField):
            data[name] = "y"
        elif name.endswith("email"):
            data[name] = "someone@example.org"
        elif name.endswith("password"):
            data[name] = "a-long-enough-password"
        else:
            data[name] = "Een gewone tekst van een aanvaller"
    for name in target.extra:
        data[name] = "1"
    return {**data, **target.plain}


def valid_post(app: Flask, client, endpoint: str, target: Target) -> dict:
    """plain_values(), overwritten by the form as its page renders it (real values, the current version) when the
    route has a page of its own."""
    data = plain_values(target)
    address = url(app, endpoint, target.arguments)
    try:
        app.url_map.bind("localhost").match(address, method="GET")
    except HTTPException:
        return data
    page = client.get(address)
    if page.status_code == 200:
        rendered = attack_support.rendered_form(page.text, address) or {}
        editing = bool(rendered.get("version"))  # an existing object: its page shows it as it is, blanks included
        data.update({name: value for name, value in rendered.items() if editing or value != ""})
    return {**data, **target.plain}


CSRF_EXEMPT = {"api.unknown"}  # it changes nothing and answers every write with 405 (pilots/web/api/views.py)


def test_only_the_api_fallback_is_exempt_from_csrf(app):
    exempt = {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.methods & WRITE_METHODS and _is_exempt(app, rule.endpoint)
    }
    assert exempt == CSRF_EXEMPT


def _is_exempt(app: Flask, endpoint: str) -> bool:
    view = app.view_functions[endpoint]
    return f"{view.__module__}.{view.__name__}" in csrf._exempt_views


@pytest.mark.parametrize("token", ["missing", "another session's"])
def test_posts_without_their_own_csrf_token_are_refused(app, world, client, monkeypatch, token):
    """Each state-changing route, as a user allowed to use it, with ordinary data: 400 and nothing changes.
    (The ``client`` fixture makes ``app.test_client()`` the Client of tests/conftest.py.)"""
    monkeypatch.setattr(pilot_views, "run_checker", fake_checker)
    foreign = app.test_client().csrf_token() if token != "missing" else None
    clients = {}
    for actor in sorted({target.actor for target in targets(world).values()}):
        clients[actor] = app.test_client()  # one session per actor, signed in before the database is copied
        sign_in(clients[actor], actor)
    before = database_rows(app)
    failures = []
    for endpoint, target in sorted(targets(world).items()):
        address = url(app, endpoint, target.arguments)
        data = valid_post(app, clients[target.actor], endpoint, target)
        if foreign:
            data["csrf_token"] = foreign
        for method in sorted(_rule_methods(app, endpoint) & WRITE_METHODS):
            response = clients[target.actor].open(address, method=method, data=data)  # open() adds no token of its own
            expected = 405 if endpoint in CSRF_EXEMPT else 400
            if response.status_code != expected:
                failures.append(f"{method} {endpoint}: {response.status_code}, expected {expected}")
    after = database_rows(app)
    failures += [f"table {name} changed" for name in before if before[name] != after[name]]
    assert failures == []


def _rule_methods(app: Flask, endpoint: str) -> set[str]:
    return {method for rule in app.url_map.iter_rules(endpoint) for method in rule.methods}


def test_the_same_posts_with_their_token_are_accepted(app, world, client, monkeypatch):
    """The control for the test above: with its token, each of those posts is accepted and changes the database,
    so they were refused for their token, not for what they carry."""
    monkeypatch.setattr(pilot_views, "run_checker", fake_checker)
    refused = []
    for endpoint, target in sorted(targets(world).items()):
        if endpoint in CSRF_EXEMPT:
            continue
        attack_support.world(app)  # each from the same world
        with app.app_context():
            limiter.reset()  # a sign-in per route: more than the address's limit
        client = app.test_client()
        sign_in(client, target.actor)
        data = valid_post(app, client, endpoint, target)
        before = database_rows(app)
        response = client.post(url(app, endpoint, target.arguments), data=data)
        if response.status_code != 302 or database_rows(app) == before:
            refused.append(f"{endpoint}: {response.status_code}")
    assert refused == []


# --- 3. every route, every role -----------------------------------------------------------------------------------

LOGIN, OK, DENIED, MISSING, ELSEWHERE = "sign-in", 200, 403, 404, "redirect"


def get_arguments(w: World) -> dict[str, dict]:
    """Real ids for every GET route with arguments: objects of Gent (the staff's and the voter's city)."""
    return {
        "admin.edit_city": {"city_id": w.city["gent"]},
        "admin.edit_user": {"user_id": w.user["voter"]},
        "api.unknown": {"path": "nothing/here"},
        "auth.choose_password": {"token": w.reset_token},
        "api.challenge": {"challenge_id": w.challenge},
        "api.city": {"slug": "gent"},
        "api.dataset": {"dataset_id": w.dataset},
        "api.pilot": {"pilot_id": w.pilot},
        "api.round": {"round_id": w.confirmed_round},
        "api.snapshot": {"round_id": w.confirmed_round},
        "bootstrap.static": {"filename": "css/bootstrap.min.css"},
        "static": {"filename": "app.css"},
        "catalogue.by_extension": {"extension": "ttl"},
        "challenges.detail": {"challenge_id": w.challenge},
        "challenges.edit": {"challenge_id": w.challenge},
        "challenges.edit_comment": {"challenge_id": w.challenge, "comment_id": w.comment},
        "challenges.edit_dataset": {"challenge_id": w.challenge, "dataset_id": w.candidate},
        "challenges.new_dataset": {"challenge_id": w.challenge},
        "cities.profile": {"slug": "gent"},
        "cities.charter": {"slug": "gent"},
        "cities.maturity": {"slug": "gent", "year": w.maturity_year},
        "dashboard.export_csv": {"table": "challenges"},
        "exports.download": {"table": "challenges", "fmt": "csv"},
        "reports.city": {"slug": "gent"},
        "reports.city_md": {"slug": "gent"},
        "rounds.detail": {"round_id": w.voting_round},
        "rounds.ballot": {"round_id": w.voting_round, "city": "gent"},
        "rounds.city_weights": {"round_id": w.cities_round, "city": "gent"},
        "rounds.city_weights_pairwise": {"round_id": w.cities_round, "city": "gent"},
        "rounds.confirm_step": {"round_id": w.voting_round, "step": "closed"},
        "rounds.edit": {"round_id": w.draft_round},
        "rounds.weights": {"round_id": w.draft_round},
        "rounds.new_criterion": {"round_id": w.draft_round},
        "rounds.edit_criterion": {"round_id": w.draft_round, "criterion_id": w.criterion},
        "rounds.pledges": {"round_id": w.published_round},
        "results.show": {"round_id": w.published_round},
        "results.export_csv": {"round_id": w.published_round, "table": "ranking"},
        "results.snapshot": {"round_id": w.published_round},
        "workspaces.detail": {"pilot_id": w.pilot},
        "workspaces.calendar": {"pilot_id": w.pilot},
        "workspaces.dataset_history": {"pilot_id": w.pilot, "dataset_id": w.dataset},
        "workspaces.edit": {"pilot_id": w.pilot},
        "workspaces.new_dataset": {"pilot_id": w.pilot},
        "workspaces.new_milestone": {"pilot_id": w.pilot},
        "workspaces.edit_dataset": {"pilot_id": w.pilot, "dataset_id": w.dataset},
        "workspaces.edit_milestone": {"pilot_id": w.pilot, "milestone_id": w.milestone},
    }


# What each role gets, written by hand from the README and docs/architecture.md (not derived from the code).
# Columns: anonymous, staff of Gent, staff of Turnhout, Gent's voter, the pilot lead (Gent staff), steering, admin.
# The arguments are the default ones of get_arguments, or the ones given.
EXPECTED: list[tuple[str, Callable[[World], dict] | None, tuple]] = [
    ("main.index", None, (OK, OK, OK, OK, OK, OK, OK)),
    ("auth.login", None, (OK, ELSEWHERE, ELSEWHERE, ELSEWHERE, ELSEWHERE, ELSEWHERE, ELSEWHERE)),
    ("auth.account", None, (LOGIN, OK, OK, OK, OK, OK, OK)),
    ("auth.forgot_password", None, (OK, OK, OK, OK, OK, OK, OK)),
    ("auth.choose_password", lambda w: {"token": "not-a-token"}, (MISSING,) * 7),
    # Notifications: each user their own.
    ("notifications.index", None, (LOGIN, OK, OK, OK, OK, OK, OK)),
    ("notifications.preferences", None, (LOGIN, OK, OK, OK, OK, OK, OK)),
    # Administration: administrators only.
    ("admin.index", None, (LOGIN, DENIED, DENIED, DENIED, DENIED, DENIED, OK)),
    ("admin.users", None, (LOGIN, DENIED, DENIED, DENIED, DENIED, DENIED, OK)),
    ("admin.edit_user", None, (LOGIN, DENIED, DENIED, DENIED, DENIED, DENIED, OK)),
    ("admin.edit_user", lambda w: {"user_id": 2**31 - 1}, (LOGIN, DENIED, DENIED, DENIED, DENIED, DENIED, MISSING)),
    ("admin.audit_log", None, (LOGIN, DENIED, DENIED, DENIED, DENIED, DENIED, OK)),
    ("admin.edit_city", None, (LOGIN, DENIED, DENIED, DENIED, DENIED, DENIED, OK)),
    # Challenges: submitted ones are public; drafts stay with their city (and do not exist for anyone else).
    ("challenges.index", None, (OK, OK, OK, OK, OK, OK, OK)),
    ("challenges.detail", None, (OK, OK, OK, OK, OK, OK, OK)),
    ("challenges.detail", lambda w: {"challenge_id": w.draft}, (MISSING, OK, MISSING, OK, OK, MISSING, MISSING)),
    ("challenges.detail", lambda w: {"challenge_id": w.other_draft}, (MISSING,) * 7),
    ("api.challenge", lambda w: {"challenge_id": w.draft}, (MISSING,) * 7),
    ("challenges.new", None, (LOGIN, OK, OK, OK, OK, DENIED, DENIED)),
    ("challenges.my_city", None, (LOGIN, OK, OK, OK, OK, DENIED, DENIED)),
    ("challenges.edit", None, (LOGIN, OK, DENIED, OK, OK, DENIED, DENIED)),
    ("challenges.edit", lambda w: {"challenge_id": w.draft}, (LOGIN, OK, DENIED, OK, OK, DENIED, DENIED)),
    ("challenges.new_dataset", None, (LOGIN, OK, DENIED, OK, OK, DENIED, DENIED)),
    ("challenges.edit_dataset", None, (LOGIN, OK, DENIED, OK, OK, DENIED, DENIED)),
    # Only its author edits a comment; a comment named under another challenge does not exist there.
    ("challenges.edit_comment", None, (LOGIN, DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    (
        "challenges.edit_comment",
        lambda w: {"challenge_id": w.other_draft, "comment_id": w.comment},
        (LOGIN, MISSING, MISSING, MISSING, MISSING, MISSING, MISSING),
    ),
    # Cities: signed in to read; the city's own staff (and administrators) keep its status.
    ("cities.index", None, (LOGIN, OK, OK, OK, OK, OK, OK)),
    ("cities.profile", None, (LOGIN, OK, OK, OK, OK, OK, OK)),
    ("cities.charter", None, (LOGIN, OK, DENIED, OK, OK, DENIED, OK)),
    ("cities.charter", lambda w: {"slug": "turnhout"}, (LOGIN, DENIED, OK, DENIED, DENIED, DENIED, OK)),
    ("cities.maturity", None, (LOGIN, OK, DENIED, OK, OK, DENIED, OK)),
    ("cities.maturity", lambda w: {"slug": "gent", "year": 1999}, (LOGIN, MISSING, DENIED, MISSING, MISSING, DENIED, MISSING)),
    ("reports.city", lambda w: {"slug": "nowhere"}, (LOGIN, MISSING, MISSING, MISSING, MISSING, MISSING, MISSING)),
    # Voting: the committee runs rounds; a ballot is its city's until the results are published.
    ("rounds.index", None, (LOGIN, OK, OK, OK, OK, OK, OK)),
    ("rounds.new", None, (LOGIN, DENIED, DENIED, DENIED, DENIED, OK, DENIED)),
    ("rounds.edit", None, (LOGIN, DENIED, DENIED, DENIED, DENIED, OK, DENIED)),
    ("rounds.weights", None, (LOGIN, DENIED, DENIED, DENIED, DENIED, OK, DENIED)),
    ("rounds.edit_criterion", None, (LOGIN, DENIED, DENIED, DENIED, DENIED, OK, DENIED)),
    ("rounds.ballot", None, (LOGIN, OK, DENIED, OK, OK, DENIED, DENIED)),
    (
        "rounds.ballot",
        lambda w: {"round_id": w.voting_round, "city": "turnhout"},
        (LOGIN, DENIED, OK, DENIED, DENIED, DENIED, DENIED),
    ),
    ("rounds.ballot", lambda w: {"round_id": w.published_round, "city": "gent"}, (LOGIN, OK, OK, OK, OK, OK, OK)),
    # A city's weights are as private as its scores; only its voters change them (the page says so to its other staff).
    ("rounds.city_weights", None, (LOGIN, OK, DENIED, OK, OK, DENIED, DENIED)),
    ("rounds.city_weights_pairwise", None, (LOGIN, OK, DENIED, OK, OK, DENIED, DENIED)),
    (
        "rounds.city_weights",
        lambda w: {"round_id": w.cities_round, "city": "turnhout"},
        (LOGIN, DENIED, OK, DENIED, DENIED, DENIED, DENIED),
    ),
    ("rounds.city_weights", lambda w: {"round_id": w.voting_round, "city": "gent"}, (LOGIN, OK, DENIED, OK, OK, DENIED, DENIED)),
    ("results.show", lambda w: {"round_id": w.voting_round}, (LOGIN, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED)),
    ("results.snapshot", lambda w: {"round_id": w.voting_round}, (LOGIN, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED)),
    ("results.show", None, (LOGIN, OK, OK, OK, OK, OK, OK)),
    # Pledges: everyone signed in reads who takes part; a city's staff (any role) answer for their own city only.
    ("rounds.pledges", None, (LOGIN, OK, OK, OK, OK, OK, OK)),
    ("api.round", lambda w: {"round_id": w.voting_round}, (MISSING,) * 7),
    ("api.snapshot", lambda w: {"round_id": w.voting_round}, (MISSING,) * 7),
    # Pilots: public pages; the leads and the committee run them, a city's staff keep its own datasets.
    ("workspaces.detail", None, (OK, OK, OK, OK, OK, OK, OK)),
    ("workspaces.detail", lambda w: {"pilot_id": 999_999}, (MISSING,) * 7),
    ("workspaces.new", None, (LOGIN, DENIED, DENIED, DENIED, DENIED, OK, DENIED)),
    ("workspaces.edit", None, (LOGIN, DENIED, DENIED, DENIED, OK, OK, DENIED)),
    ("workspaces.edit", lambda w: {"pilot_id": w.other_pilot}, (LOGIN, DENIED, DENIED, DENIED, DENIED, OK, DENIED)),
    ("workspaces.new_milestone", None, (LOGIN, DENIED, DENIED, DENIED, OK, OK, DENIED)),
    ("workspaces.edit_milestone", None, (LOGIN, DENIED, DENIED, DENIED, OK, OK, DENIED)),
    ("workspaces.new_dataset", None, (LOGIN, OK, DENIED, OK, OK, OK, DENIED)),
    ("workspaces.new_dataset", lambda w: {"pilot_id": w.other_pilot}, (LOGIN, DENIED, DENIED, DENIED, DENIED, OK, DENIED)),
    ("workspaces.edit_dataset", None, (LOGIN, OK, DENIED, OK, OK, OK, DENIED)),
    (
        "workspaces.edit_dataset",
        lambda w: {"pilot_id": w.pilot, "dataset_id": w.other_dataset},
        (LOGIN, DENIED, DENIED, DENIED, OK, OK, DENIED),
    ),
    # Signed in: dashboards, reports and exports (what they show is filtered per user elsewhere).
    ("dashboard.index", None, (LOGIN, OK, OK, OK, OK, OK, OK)),
    ("reports.programme", None, (LOGIN, OK, OK, OK, OK, OK, OK)),
    ("exports.download", None, (LOGIN, OK, OK, OK, OK, OK, OK)),
    ("exports.dictionary", None, (LOGIN, OK, OK, OK, OK, OK, OK)),
]


def outcome(response) -> str | int:
    if response.status_code == 302:
        return LOGIN if is_sign_in_redirect(response) else ELSEWHERE
    return response.status_code


def derived_expectation(app: Flask, endpoint: str, arguments: dict, role: str, user_id: int | None) -> str | int:
    """From the declared policy alone: refused → sign in (anonymous) or 403; permitted → 200."""
    with app.app_context():
        user = db.session.get(User, user_id) if user_id else login_manager.anonymous_user()
        permitted = policy_for(app, endpoint).permits(user, arguments)
    if permitted:
        return OK
    return LOGIN if role == "anonymous" else DENIED


# Routes whose own answer is not 200 whoever asks (for reasons other than access).
NOT_PAGES = {"api.unknown": MISSING}  # no such API resource


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_page_answers_each_role_as_its_policy_says(app, world, client, role):
    """Every GET route with real ids, by each role; and reading changes nothing (no state change behind a GET)."""
    sign_in(client, role)
    user_id = world.user.get(role)
    arguments = get_arguments(world)
    before = database_rows(app)
    tried, failures = 0, []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if "GET" not in rule.methods:
            continue
        values = arguments.get(rule.endpoint, {})
        assert set(rule.arguments) <= set(values), f"no ids for {rule.rule}"
        expected = NOT_PAGES.get(rule.endpoint) or derived_expectation(app, rule.endpoint, values, role, user_id)
        response = client.get(url(app, rule.endpoint, values))
        tried += 1
        if outcome(response) != expected and not _refused_by_view(rule.endpoint, role):
            failures.append(f"{rule.rule}: {outcome(response)}, its policy says {expected}")
    assert tried > 60
    assert failures == []
    after = database_rows(app)
    assert [name for name in before if before[name] != after[name]] == []


def _refused_by_view(endpoint: str, role: str) -> bool:
    """Routes open to everyone signed in whose view refuses some roles: the table below says exactly which."""
    return any(e == endpoint and a is None and row[ROLE_NAMES.index(role)] != OK for e, a, row in EXPECTED)


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_the_important_pages_answer_each_role_as_written(app, world, client, role):
    sign_in(client, role)
    arguments = get_arguments(world)
    failures = []
    for endpoint, custom, row in EXPECTED:
        values = custom(world) if custom else arguments.get(endpoint, {})
        response = client.get(url(app, endpoint, values))
        expected = row[ROLE_NAMES.index(role)]
        if outcome(response) != expected:
            failures.append(f"{endpoint} {values}: {outcome(response)}, expected {expected}")
    assert failures == []


# Routes any signed-in user may call, whose view refuses all but the pilot's managers (its leads, the committee),
# the publishing city or the ballot's own voters: who is refused there, by hand.
REFUSED_BY_THE_VIEW = {
    "workspaces.edit": {"staff", "other_staff", "voter", "admin"},
    "workspaces.add_lead": {"staff", "other_staff", "voter", "admin"},
    "workspaces.remove_lead": {"staff", "other_staff", "voter", "admin"},
    "workspaces.invite": {"staff", "other_staff", "voter", "admin"},
    "workspaces.accept": {"staff", "other_staff", "voter", "admin"},
    "workspaces.new_milestone": {"staff", "other_staff", "voter", "admin"},
    "workspaces.edit_milestone": {"staff", "other_staff", "voter", "admin"},
    "workspaces.post_update": {"staff", "other_staff", "voter", "admin"},
    "workspaces.new_dataset": {"other_staff", "admin"},
    "workspaces.edit_dataset": {"other_staff", "admin"},
    "workspaces.check_dataset": {"other_staff", "admin"},
    "workspaces.stage": {"other_staff", "admin"},
    "workspaces.milestone_status": {"other_staff", "admin"},
    "challenges.edit_comment": {"staff", "other_staff", "lead", "steering", "admin"},
}


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_state_changing_routes_refuse_the_roles_they_do_not_serve(app, world, client, monkeypatch, role):
    """Every write route, tried with ordinary data and a valid token by each role its policy (or its view) refuses:
    sign in (anonymous) or 403, and the database does not change."""
    monkeypatch.setattr(pilot_views, "run_checker", fake_checker)
    sign_in(client, role)
    user_id = world.user.get(role)
    before = database_rows(app)
    tried, failures = 0, []
    for endpoint, target in sorted(targets(world).items()):
        if endpoint in ("api.unknown", "auth.login", "auth.logout", "main.set_language"):
            continue  # for everyone: nothing to refuse (logout would end this test's session)
        expected = derived_expectation(app, endpoint, target.arguments, role, user_id)
        if expected == OK and role in REFUSED_BY_THE_VIEW.get(endpoint, ()):
            expected = DENIED
        if expected == OK:
            continue
        tried += 1
        response = client.post(url(app, endpoint, target.arguments), data=plain_values(target))
        if outcome(response) != expected:
            failures.append(f"{endpoint}: {outcome(response)}, expected {expected}")
    assert tried >= (40 if role == "anonymous" else 10)
    assert failures == []
    assert database_rows(app) == before


SECRET = {
    "draft": "GEHEIM-ONTWERP-7f3a",  # the title of Gent's draft: Gent's staff only
    "draft dataset": "GEHEIM-DATASET-51c2",  # a candidate dataset of that draft: Gent's staff only
    "ballot note": "GEHEIM-STEMNOTA-9e4d",  # Gent's note on its open ballot: Gent's staff only
    "hidden comment": "GEHEIM-VERBORGEN-2b8c",  # a comment an administrator hid: nobody
    "confidential note": "GEHEIM-VERTROUWELIJK-4d17",  # Gent's note in a published round that keeps ballots confidential
}
GENT = {"staff", "voter", "lead"}
SEES = {"draft": GENT, "draft dataset": GENT, "ballot note": GENT, "confidential note": GENT}


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_what_a_role_may_not_see_is_on_no_page_and_in_no_export(app, world, client, role):
    """Drafts, a ballot before publication, hidden comments, password hashes and session tokens, searched for in
    every page, CSV export, API answer and Markdown report the role can open."""
    from pilots.models import Ballot, BallotNote, CandidateDataset, Challenge, Round
    from pilots.services import challenges as challenge_service
    from pilots.services import voting

    w = world
    with app.app_context():
        db.session.get(Challenge, w.draft).title = SECRET["draft"]
        db.session.get(CandidateDataset, w.draft_candidate).title = SECRET["draft dataset"]
        db.session.commit()
        voter, admin = db.session.get(User, w.user["voter"]), db.session.get(User, w.user["admin"])
        ballot = db.session.scalar(sa.select(Ballot).where(Ballot.round_id == w.voting_round, Ballot.city_id == w.city["gent"]))
        voting.save_ballot(
            voter,
            w.voting_round,
            w.city["gent"],
            voting.BallotInput({}, {w.voting_entries[0]: SECRET["ballot note"]}),
            ballot.version,
        )
        hidden = challenge_service.add_comment(voter, w.challenge, SECRET["hidden comment"])
        challenge_service.hide_comment(admin, w.challenge, hidden.id, "Ongepast.")
        db.session.get(Round, w.published_round).ballots_confidential = True
        published = sa.select(Ballot.id).where(Ballot.round_id == w.published_round, Ballot.city_id == w.city["gent"])
        db.session.add(
            BallotNote(
                ballot_id=db.session.scalar(published), challenge_id=w.published_entries[1], text=SECRET["confidential note"]
            )
        )
        db.session.commit()
        never = [*db.session.scalars(sa.select(User.session_token)), "pbkdf2:sha256", "scrypt:"]
    sign_in(client, role)
    arguments = get_arguments(w)
    pages = {
        url(app, rule.endpoint, arguments.get(rule.endpoint, {})) for rule in app.url_map.iter_rules() if "GET" in rule.methods
    }
    pages -= {url(app, "static", arguments["static"]), url(app, "bootstrap.static", arguments["bootstrap.static"])}
    pages |= {
        f"/exports/{table}.csv{variant}"
        for table in ("challenges", "ballots", "results", "pilots", "milestones", "datasets", "city-status")
        for variant in ("", "?variant=excel")
    }
    pages |= {f"/dashboard/{table}.csv" for table in ("challenges", "pilots", "stages", "datasets", "conformance", "milestones")}
    pages |= {
        f"/challenges/{w.draft}",
        f"/challenges/{w.draft}/edit",
        "/challenges?q=GEHEIM",
        "/challenges/export.csv?mine=1",
        "/challenges/my-city",
        "/api/v1/challenges?per_page=100",
        f"/api/v1/challenges/{w.draft}",
        "/api/v1/datasets?per_page=100",
        f"/rounds/{w.voting_round}/ballots/gent",
        f"/rounds/{w.published_round}/ballots/gent",
        f"/rounds/{w.published_round}/snapshot.json",
        f"/api/v1/rounds/{w.published_round}/snapshot",
        f"/rounds/{w.published_round}/results/cities.csv",
        *(f"/rounds/{w.published_round}/results/{table}.csv" for table in ("consensus", "city-weights", "capacity")),
        "/cities/gent",
        f"/rounds/{w.voting_round}/results",
        f"/rounds/{w.voting_round}/snapshot.json",
        f"/api/v1/rounds/{w.voting_round}/snapshot",
        "/reports/programme?scope=all",
        "/reports/programme.md",
        "/reports/cities/gent.md",
    }
    leaks = []
    for page in sorted(pages):
        body = client.get(page).get_data(as_text=True)
        leaks += [f"{name} on {page}" for name, text in SECRET.items() if text in body and role not in SEES.get(name, set())]
        leaks += [f"a password hash or session token on {page}" for text in never if text in body]
    assert len(pages) > 80
    assert leaks == []
    if role in SEES["draft"]:  # the control: they are there for those who may see them
        assert SECRET["draft"] in client.get("/challenges/my-city").text
        assert SECRET["ballot note"] in client.get(f"/rounds/{w.voting_round}/ballots/gent").text
        assert SECRET["confidential note"] in client.get(f"/rounds/{w.published_round}/ballots/gent").text


# --- 4. one object's id with another's; hostile bytes and addresses ----------------------------------------------


def crossed(w: World) -> list[tuple[str, str, dict, dict, int]]:
    """(actor, endpoint, arguments, data, expected status): a parent the actor may act on, a child of another parent."""
    gent = w.city["gent"]
    return [
        ("voter", "challenges.edit_dataset", {"challenge_id": w.challenge, "dataset_id": w.other_candidate}, {}, 404),
        ("voter", "challenges.delete_dataset", {"challenge_id": w.challenge, "dataset_id": w.other_candidate}, {}, 404),
        ("voter", "challenges.edit_comment", {"challenge_id": w.challenge, "comment_id": w.old_comment}, {"body": "x"}, 404),
        (
            "admin",
            "challenges.hide_comment",
            {"challenge_id": w.challenge, "comment_id": w.old_comment},
            {f"hide-{w.old_comment}-reason": "Weg ermee"},
            404,
        ),
        ("voter", "challenges.withdraw_cosponsor", {"challenge_id": w.challenge}, {"city_id": str(w.city["turnhout"])}, 403),
        (
            "lead",
            "workspaces.edit_milestone",
            {"pilot_id": w.pilot, "milestone_id": w.other_milestone},
            {"title": "Overgenomen", "due_date": "2027-01-01", "weight": "1"},
            404,
        ),
        (
            "voter",
            "workspaces.milestone_status",
            {"pilot_id": w.led_pilot, "milestone_id": w.milestone},
            {"status": "done", "city_id": str(gent)},
            404,
        ),
        ("lead", "workspaces.stage", {"pilot_id": w.led_pilot, "participation_id": w.participation}, {"stage": "withdrawn"}, 404),
        ("lead", "workspaces.accept", {"pilot_id": w.led_pilot, "participation_id": w.pending}, {}, 404),
        ("lead", "workspaces.edit_dataset", {"pilot_id": w.led_pilot, "dataset_id": w.dataset}, {"title_nl": "x"}, 404),
        ("lead", "workspaces.check_dataset", {"pilot_id": w.led_pilot, "dataset_id": w.dataset}, {}, 404),
        ("steering", "workspaces.remove_lead", {"pilot_id": w.pilot, "user_id": w.user["voter"]}, {}, 404),
        (
            "steering",
            "rounds.edit_criterion",
            {"round_id": w.draft_round, "criterion_id": w.voting_criteria[0]},
            {"key": "x", "name_nl": "x", "name_en": "x", "weight": "1", "scale_min": "1", "scale_max": "5"},
            404,
        ),
        ("steering", "rounds.delete_criterion", {"round_id": w.draft_round, "criterion_id": w.voting_criteria[0]}, {}, 404),
        ("voter", "rounds.save_ballot", {"round_id": w.voting_round, "city": "turnhout"}, {"action": "save"}, 403),
        ("voter", "rounds.reopen_ballot", {"round_id": w.voting_round, "city": w.ballot_city}, {}, 403),
        ("voter", "cities.maturity", {"slug": "turnhout", "year": w.maturity_year}, {}, 403),
        ("steering", "results.confirm", {"round_id": w.published_round}, {"selected": str(w.voting_entries[0])}, 400),
        # A pledge for another city, and one for a challenge of another round's ballot.
        ("voter", "rounds.save_pledges", {"round_id": w.published_round, "city": "turnhout"}, {"x": "1"}, 403),
        (
            "voter",
            "rounds.save_pledges",
            {"round_id": w.published_round, "city": "gent"},
            {f"pledge-{w.voting_entries[0]}": "yes"},
            400,
        ),
    ]


@pytest.mark.parametrize("case", range(20))
def test_ids_of_another_object_are_refused(app, world, client, monkeypatch, case):
    monkeypatch.setattr(pilot_views, "run_checker", fake_checker)
    cases = crossed(world)
    assert len(cases) == 20
    actor, endpoint, arguments, data, expected = cases[case]
    sign_in(client, actor)
    before = database_rows(app)
    response = client.post(url(app, endpoint, arguments), data=data)
    assert response.status_code == expected, (endpoint, response.status_code)
    assert database_rows(app) == before


def test_a_ballot_ignores_scores_for_challenges_of_another_round(app, world, client):
    from pilots.models import Ballot, Score

    sign_in(client, "voter")
    foreign = world.published_entries[0]
    assert foreign not in world.voting_entries
    with app.app_context():
        ballot = db.session.scalar(
            sa.select(Ballot).where(Ballot.round_id == world.voting_round, Ballot.city_id == world.city["gent"])
        )
        version = ballot.version
    data = {f"score-{foreign}-{world.voting_criteria[0]}": "5", "action": "save", "version": str(version)}
    response = client.post(url(app, "rounds.save_ballot", {"round_id": world.voting_round, "city": "gent"}), data=data)
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.scalars(
            sa.select(Score.challenge_id)
            .join(Ballot)
            .where(Ballot.round_id == world.voting_round, Ballot.city_id == world.city["gent"])
        ).all()
        assert foreign not in saved
        assert db.session.get(Ballot, ballot.id).version == version + 1  # it was saved, without that score


@pytest.mark.parametrize(
    ("where", "query", "data"),
    [
        ("a form field sent twice", "", {"body": ["Gewoon", "a\x00b"]}),
        ("a form field's name", "", {"body": "Gewoon", "note\x00": "x"}),
        ("a query argument sent twice", "?page=1&page=a%00b", {"body": "Gewoon"}),
        ("a query argument's name", "?a%00b=1", {"body": "Gewoon"}),
    ],
)
def test_nul_bytes_anywhere_in_a_request_are_refused(app, world, client, where, query, data):
    """PostgreSQL cannot store NUL: the request guard refuses it in every value and name, not only a field's first."""
    sign_in(client, "voter")
    before = database_rows(app)
    response = client.post(url(app, "challenges.comment", {"challenge_id": world.challenge}) + query, data=data)
    assert response.status_code == 400, where
    assert database_rows(app) == before


@pytest.mark.parametrize(
    "address",
    [
        "javascript:window.__xss=1",
        " JavaScript:window.__xss=1",
        "java\tscript:window.__xss=1",
        "data:text/html,<script>window.__xss=1</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "https:/evil.example",
    ],
)
@pytest.mark.parametrize(("endpoint", "name"), [("challenges.new_dataset", "url"), ("workspaces.new_dataset", "access_url")])
def test_dataset_addresses_that_are_not_web_addresses_are_refused(app, world, client, endpoint, name, address):
    """A dataset's address becomes a link on public pages: only http(s) addresses are stored."""
    target = targets(world)[endpoint]
    sign_in(client, target.actor)
    data = {**plain_values(target), name: address, "availability": "open", "holder_name": ""}
    data.pop("another", None)
    before = database_rows(app)
    response = client.post(url(app, endpoint, target.arguments), data=data)
    assert response.status_code == 400
    assert "Vul een webadres in dat begint met http:// of https://." in response.text
    assert database_rows(app) == before


# --- 5. sessions, throttling and the address rules through the web ----------------------------------------------


def test_a_session_planted_before_sign_in_gives_the_attacker_nothing(app, world, client):
    """Session fixation: the attacker's own (anonymous) session cookie, with the CSRF token they know, is planted
    in the victim's browser; the victim signs in. The attacker's copy stays anonymous and their token is refused."""
    attacker = app.test_client()
    attacker.get("/login")
    attacker_token = attacker.csrf_token()
    planted = attacker.get_cookie("session").value
    client.set_cookie("session", planted)
    response = client.post(
        "/login", csrf=False, data={"email": ROLES["voter"], "password": PASSWORD, "csrf_token": attacker_token}
    )
    assert response.status_code == 302
    assert client.get_cookie("session").value != planted
    assert client.get("/account").status_code == 200
    assert attacker.get("/account").status_code == 302  # the planted cookie is not signed in
    before = database_rows(app)
    refused = client.post(
        url(app, "challenges.comment", {"challenge_id": world.challenge}),
        csrf=False,
        data={"body": "Geplant", "csrf_token": attacker_token},
    )
    assert refused.status_code == 400
    assert database_rows(app) == before


def test_the_sign_in_limit_counts_every_spelling_of_an_account(app, world, client):
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    spellings = ["Gent@Demo.Local", " gent@demo.local", "GENT@DEMO.LOCAL ", "gent@demo.local", "gEnT@dEmO.lOcAl"]
    for attempt in range(limit):
        assert client.post("/login", data={"email": spellings[attempt % len(spellings)], "password": "guess"}).status_code == 400
    assert client.post("/login", data={"email": ROLES["voter"], "password": PASSWORD}).status_code == 429


@pytest.mark.parametrize("where", ["loopback", "localhost", "link-local", "private"])
def test_checking_a_dataset_at_an_internal_address_is_refused_without_connecting(app, world, client, where):
    """The web route runs the real checker with the app's address rules: an internal address is refused and no
    connection is made (a listening socket on loopback sees none)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    address = {
        "loopback": f"http://127.0.0.1:{port}/parking",
        "localhost": f"http://localhost:{port}/parking",
        "link-local": "http://169.254.169.254/latest/meta-data/",
        "private": "http://10.0.0.1/parking",
    }[where]
    with app.app_context():
        db.session.get(PublishedDataset, world.dataset).access_url = address
        db.session.commit()
    sign_in(client, "voter")
    try:
        response = client.post(url(app, "workspaces.check_dataset", {"pilot_id": world.pilot, "dataset_id": world.dataset}))
        assert response.status_code == 302
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()
    with app.app_context():
        check = db.session.scalars(
            sa.select(DatasetCheck).where(DatasetCheck.dataset_id == world.dataset).order_by(DatasetCheck.id.desc())
        ).first()
        assert check.passed is False
        refused = check.report["refused"] or ""
        assert {"loopback": "loopback", "localhost": "loopback", "link-local": "link-local", "private": "private"}[
            where
        ] in refused
        assert db.session.scalar(sa.select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "pilot.dataset_checked"


# --- 6. numbers at the edge of what a round can hold ----------------------------------------------------------------


def _open_the_draft_round(app, client, w: World, **settings) -> None:
    """Set the draft round up (``settings`` straight in the database), open voting and have Brugge submit a full
    ballot: the three eligible challenges of next year are on it, none of them Brugge's."""
    from pilots.models import Ballot, Round

    with app.app_context():
        round_ = db.session.get(Round, w.draft_round)
        for name, value in settings.items():
            setattr(round_, name, value)
        db.session.commit()
    for phase in ("draft", "proposals_open"):
        assert (
            client.post(url(app, "rounds.advance", {"round_id": w.draft_round}), data={"expected_phase": phase}).status_code
            == 302
        )
    voter = app.test_client()
    sign_in(voter, voter_of("brugge"))
    with app.app_context():
        round_ = db.session.get(Round, w.draft_round)
        assert round_.phase.value == "voting_open" and round_.entries
        cells = {f"score-{e.challenge_id}-{c.id}": str(c.scale_max) for e in round_.entries for c in round_.criteria}
        ballot = db.session.scalar(sa.select(Ballot).where(Ballot.round_id == w.draft_round, Ballot.city_id == w.city["brugge"]))
        cells.update(action="submit", version=str(ballot.version))
    response = voter.post(url(app, "rounds.save_ballot", {"round_id": w.draft_round, "city": "brugge"}), data=cells)
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("method", "normalization"), [("wsm", "minmax"), ("topsis", "minmax"), ("topsis", "vector"), ("wsm", "scale")]
)
def test_a_round_where_no_challenge_reaches_the_quorum_closes_and_publishes(app, world, client, method, normalization):
    """Found by these tests: with the min-max normalisation, closing such a round crashed (numpy's min of nothing)."""
    from pilots.models import Round

    sign_in(client, "steering")
    _open_the_draft_round(app, client, world, method=method, normalization=normalization, quorum=1000)
    for phase in ("voting_open", "closed"):
        response = client.post(url(app, "rounds.advance", {"round_id": world.draft_round}), data={"expected_phase": phase})
        assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Round, world.draft_round).phase.value == "published"
    assert client.get(url(app, "results.show", {"round_id": world.draft_round})).status_code == 200
    assert client.get(url(app, "api.snapshot", {"round_id": world.draft_round})).status_code == 200


def test_a_criterion_scale_too_wide_to_normalise_is_refused(app, world, client):
    """Found by these tests: a scale from -1e308 to 1e308 was accepted; its span is infinite, the result held NaN
    and closing the round crashed."""
    from pilots.models import Criterion, Round

    sign_in(client, "steering")
    with app.app_context():
        criterion = db.session.get(Criterion, world.criterion)
        data = {"key": criterion.key, "name_nl": criterion.name_nl, "name_en": criterion.name_en, "direction": "benefit"}
        data.update(
            weight="1", scale_min="-1e308", scale_max="1e308", version=str(db.session.get(Round, world.draft_round).version)
        )
    before = database_rows(app)
    response = client.post(
        url(app, "rounds.edit_criterion", {"round_id": world.draft_round, "criterion_id": world.criterion}), data=data
    )
    assert response.status_code == 400
    assert "De bovengrens van de schaal moet hoger liggen dan de ondergrens." in response.text
    assert database_rows(app) == before


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy overflows on that span: the point of the test
def test_a_result_that_cannot_be_stored_refuses_to_close_instead_of_crashing(app, world, client):
    """The safety net behind the refusal above: a scale stored before it existed gives a message, not a 500."""
    from pilots.models import Criterion, Round

    sign_in(client, "steering")
    with app.app_context():
        criterion = db.session.get(Criterion, world.criterion)
        criterion.scale_min, criterion.scale_max, criterion.integer_scale = -1e308, 1e308, False
        db.session.commit()
    _open_the_draft_round(app, client, world)
    response = client.post(
        url(app, "rounds.advance", {"round_id": world.draft_round}), data={"expected_phase": "voting_open"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "not representable as canonical JSON" in response.text
    with app.app_context():
        assert db.session.get(Round, world.draft_round).phase.value == "voting_open"


@pytest.mark.parametrize("name", ["year", "pilots_to_select", "quorum", "sensitivity_samples", "seed"])
@pytest.mark.parametrize("number", ["9" * 400, "-" + "9" * 400])
def test_a_number_too_large_for_a_float_is_refused_next_to_its_field(app, world, client, name, number):
    """Found by the fuzzing: WTForms' NumberRange raised OverflowError on a 400-digit whole number (a 500)."""
    target = targets(world)["rounds.edit"]
    sign_in(client, target.actor)
    data = {**valid_post(app, client, "rounds.edit", target), name: number}
    before = database_rows(app)
    response = client.post(url(app, "rounds.edit", target.arguments), data=data)
    assert response.status_code == 400
    assert f'id="{name}-error"' in response.text
    assert database_rows(app) == before
