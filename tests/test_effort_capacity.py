"""Effort and capacity (issue 15): the committee estimates each challenge's effort at screening, the effort freezes
once the challenge is on the ballot of a round whose voting opened, the round page shows the efforts against the
capacity with its warnings, and a round closed with a capacity selects the best set that fits."""

from __future__ import annotations

import json
import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from pilots.models import AuditEvent, Challenge, EffortUnit, Round, RoundPhase, User
from pilots.services import capacity, voting
from pilots.services import challenges as service
from pilots.services.challenges import ChallengeData, DatasetData
from pilots.services.errors import Forbidden, ServiceError
from tests.voting_world import fill_ballots, signed_in

MESSAGES = {
    "-1": "The estimated effort is a number from 0 to 1,000,000.",
    "1000000.01": "The estimated effort is a number from 0 to 1,000,000.",
    "nan": "The estimated effort is a number from 0 to 1,000,000.",
    "inf": "The estimated effort is a number from 0 to 1,000,000.",
    "1.234": "Use at most 2 decimals: efforts are counted in hundredths.",
    "1,000": "Use at most 2 decimals: efforts are counted in hundredths.",
    "abc": "Enter the estimated effort as a number, for example 3 or 2.5.",
    "2,5.1": "Enter the estimated effort as a number, for example 3 or 2.5.",
}


def _page(response) -> str:
    return re.sub(r"\s+", " ", response.text)


def _effort(in_app, challenge_id) -> float | None:
    with in_app() as session:
        return session.get(Challenge, challenge_id).effort


def _actions(in_app, challenge_id) -> list[str]:
    with in_app() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_type == "challenge", AuditEvent.object_id == str(challenge_id))
                .order_by(AuditEvent.id)
            )
        )


def _set_efforts(in_app, world, efforts: dict[str, float | None]) -> None:
    """The committee records each city's challenge's effort (the decision and reason stay as they are)."""
    with in_app() as session:
        steering = session.get(User, world["steering"])
        for slug, effort in efforts.items():
            service.screen(steering, world[f"{slug}_challenge"], True, "", effort)


@pytest.fixture
def submitted(world, in_app):
    """A fresh Gent challenge of 2026, submitted and not screened yet."""
    with in_app() as session:
        author = session.get(User, world["gent"])
        challenge = service.create_challenge(
            author, world["gent_city"], ChallengeData("Slimme verlichting", "Samenvatting.", "", "TRAN", "", 2026)
        )
        service.add_dataset(author, challenge.id, DatasetData(title="Data", holder_city_id=world["gent_city"]))
        service.submit(author, challenge.id)
        return challenge.id


class TestScreeningWithAnEffort:
    def test_the_committee_screens_with_an_effort_and_it_is_audited(self, client, submitted, in_app):
        signed_in(client, "steering@example.org")
        form = client.get(f"/challenges/{submitted}").text
        assert 'name="effort"' in form and 'inputmode="decimal"' in form
        response = client.post(f"/challenges/{submitted}/screening", data={"decision": "eligible", "reason": "", "effort": "2,5"})
        assert response.status_code == 302
        assert _effort(in_app, submitted) == 2.5
        with in_app() as session:
            event = session.scalars(select(AuditEvent).where(AuditEvent.action == "challenge.screened")).all()[-1]
            assert event.details["effort"] == {"from": None, "to": 2.5}
        # Shown to the committee, with the form filled in as stored.
        page = _page(client.get(f"/challenges/{submitted}"))
        assert "Estimated effort: 2.5." in page  # no round for 2026 yet: the number alone
        assert 'name="effort" type="text" value="2.5"' in page

    def test_changing_only_the_effort_records_an_estimate_and_tells_nobody(self, client, world, in_app):
        challenge_id = world["gent_challenge"]  # eligible, reason ""
        signed_in(client, "steering@example.org")
        with in_app() as session:
            notified = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()))
        response = client.post(
            f"/challenges/{challenge_id}/screening", data={"decision": "eligible", "reason": "", "effort": "4"}
        )
        assert response.status_code == 302
        assert _effort(in_app, challenge_id) == 4
        assert _actions(in_app, challenge_id)[-1] == "challenge.effort_estimated"
        with in_app() as session:
            events = session.scalars(select(AuditEvent).where(AuditEvent.id > notified)).all()
            assert [e.action for e in events] == ["challenge.effort_estimated"]
            assert events[0].details == {"effort": {"from": None, "to": 4.0}}
        # Emptying the field takes the estimate back.
        client.post(f"/challenges/{challenge_id}/screening", data={"decision": "eligible", "reason": "", "effort": ""})
        assert _effort(in_app, challenge_id) is None

    def test_two_committee_members_screening_at_once_do_not_wipe_each_others_effort(self, app, client, world, in_app):
        challenge_id = world["gent_challenge"]  # eligible, no effort yet
        other = app.test_client()
        signed_in(client, "steering@example.org")
        first = client.get(f"/challenges/{challenge_id}").text
        _set_efforts(in_app, world, {"gent": 3.0})  # meanwhile another member records 3 person-months

        def form(page: str, effort: str) -> dict[str, str]:
            seen = re.search(r'name="effort_seen" type="hidden" value="([^"]*)"', page).group(1)
            return {"decision": "eligible", "reason": "", "effort": effort, "effort_seen": seen}

        # The page opened before shows no effort: saving it with another one, or empty, is refused, not a wipe.
        for typed in ("", "5"):
            response = client.post(f"/challenges/{challenge_id}/screening", data=form(first, typed))
            assert response.status_code == 400
            assert "Somebody else changed the estimated effort in the meantime" in response.text
            assert _effort(in_app, challenge_id) == 3.0
        # The refused page starts from what is stored now (and keeps what was typed): saving it again is deliberate.
        assert f'value="{typed}"' in response.text
        assert client.post(f"/challenges/{challenge_id}/screening", data=form(response.text, "5")).status_code == 302
        assert _effort(in_app, challenge_id) == 5.0
        # A page opened now, saved with the same effort and another reason: nothing to refuse.
        signed_in(other, "steering@example.org")
        fresh = other.get(f"/challenges/{challenge_id}").text
        assert other.post(f"/challenges/{challenge_id}/screening", data=form(fresh, "5")).status_code == 302

    @pytest.mark.parametrize("typed", list(MESSAGES))
    def test_a_wrong_effort_is_refused_next_to_the_field_and_kept(self, client, submitted, in_app, typed):
        signed_in(client, "steering@example.org")
        response = client.post(
            f"/challenges/{submitted}/screening", data={"decision": "eligible", "reason": "Goed.", "effort": typed}
        )
        assert response.status_code == 400
        page = _page(response)
        assert f'<div id="effort-error" class="invalid-feedback d-block">{MESSAGES[typed]}</div>' in page
        # Marked invalid, described by the message, and what was typed stays in the field.
        assert re.search(rf'<input [^>]*aria-invalid="true"[^>]*name="effort"[^>]*value="{re.escape(typed)}"', page)
        assert "Goed.</textarea>" in page
        with in_app() as session:
            challenge = session.get(Challenge, submitted)
            assert challenge.effort is None and challenge.status.value == "submitted"

    def test_an_empty_effort_is_no_estimate(self, client, submitted, in_app):
        signed_in(client, "steering@example.org")
        response = client.post(f"/challenges/{submitted}/screening", data={"decision": "eligible", "reason": "", "effort": " "})
        assert response.status_code == 302
        assert _effort(in_app, submitted) is None

    @pytest.mark.parametrize(
        ("given", "stored"),
        [
            ("3", 3.0),
            ("2,5", 2.5),
            (" 0.25 ", 0.25),
            ("1e2", 100.0),
            ("-0", 0.0),
            ("1000000", 1e6),
            (2.25, 2.25),
            (0.1 + 0.2, 0.3),
        ],
    )
    def test_the_service_reads_efforts(self, app, given, stored):
        with app.test_request_context():
            assert service.clean_effort(given) == stored

    @pytest.mark.parametrize("given", [-1, 1.234, float("nan"), float("inf"), 2e6, True, "1.230"])
    def test_the_service_refuses_efforts(self, app, given):
        with app.test_request_context(), pytest.raises(ServiceError) as refused:
            service.clean_effort(given)
        assert refused.value.field == "effort"


class TestFrozenOnceVotingOpens:
    def test_the_effort_changes_until_voting_opens_then_freezes(self, client, world, make_round, in_app):
        _set_efforts(in_app, world, {"gent": 2})
        round_id = make_round(RoundPhase.PROPOSALS_OPEN)
        with in_app() as session:
            steering = session.get(User, world["steering"])
            challenge = session.get(Challenge, world["gent_challenge"])
            assert service.can_edit_effort(steering, challenge)
            service.screen(steering, challenge.id, True, "", "3")  # still open: proposals phase
            voting.advance(steering, round_id, RoundPhase.PROPOSALS_OPEN)
            assert not service.can_edit_effort(steering, session.get(Challenge, world["gent_challenge"]))
            with force_locale("en"), pytest.raises(ServiceError) as refused:
                service.screen(steering, world["gent_challenge"], True, "", "5")
            assert refused.value.field == "effort" and "frozen" in str(refused.value.message)
            service.screen(steering, world["gent_challenge"], True, "", "3")  # the same effort: nothing to refuse
        assert _effort(in_app, world["gent_challenge"]) == 3

        signed_in(client, "steering@example.org")
        page = _page(client.get(f"/challenges/{world['gent_challenge']}"))
        assert 'name="effort"' not in page  # the screening form no longer offers it
        assert "The estimated effort is frozen: voting has opened on this challenge (Datapilots 2026)." in page
        # A page opened before voting opened: the change is refused next to the field, the effort stays.
        response = client.post(
            f"/challenges/{world['gent_challenge']}/screening", data={"decision": "eligible", "reason": "", "effort": "5"}
        )
        assert response.status_code == 400
        assert "The estimated effort is frozen" in _page(response)
        assert _effort(in_app, world["gent_challenge"]) == 3
        # Without the field the screening saves and the effort stays.
        response = client.post(f"/challenges/{world['gent_challenge']}/screening", data={"decision": "eligible", "reason": "Ok."})
        assert response.status_code == 302
        assert _effort(in_app, world["gent_challenge"]) == 3

    def test_the_effort_is_shown_in_the_unit_of_the_years_round(self, client, world, make_round, in_app):
        _set_efforts(in_app, world, {"gent": 2.5})
        make_round(RoundPhase.DRAFT, effort_unit=EffortUnit.RELATIVE)
        signed_in(client, "steering@example.org")
        page = _page(client.get(f"/challenges/{world['gent_challenge']}"))
        assert "Estimated effort: 2.5 (relative size)." in page
        assert "Estimated effort (relative size)" in page  # the form's label
        client.post("/language", data={"language": "nl"})
        assert 'value="2,5"' in client.get(f"/challenges/{world['gent_challenge']}").text  # Dutch writes a decimal comma


class TestWhoMay:
    @pytest.mark.parametrize("email", ["gent@example.org", "gent-staff@example.org"])
    def test_city_staff_cannot_screen_nor_set_an_effort(self, client, world, in_app, email):
        signed_in(client, email)
        response = client.post(
            f"/challenges/{world['gent_challenge']}/screening", data={"decision": "eligible", "reason": "", "effort": "1"}
        )
        assert response.status_code == 403
        assert _effort(in_app, world["gent_challenge"]) is None
        with in_app() as session:
            user = session.get(User, session.scalar(select(User.id).where(User.email == email)))
            challenge = session.get(Challenge, world["gent_challenge"])
            assert not service.can_edit_effort(user, challenge)
            with pytest.raises(Forbidden):
                service.screen(user, challenge.id, True, "", "1")

    def test_anonymous_visitors_sign_in_first(self, client, world, in_app):
        response = client.post(f"/challenges/{world['gent_challenge']}/screening", data={"decision": "eligible", "effort": "1"})
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert _effort(in_app, world["gent_challenge"]) is None

    def test_the_effort_is_shown_to_who_sees_the_screening(self, client, world, in_app):
        _set_efforts(in_app, world, {"gent": 2})
        assert "estimated-effort" not in client.get(f"/challenges/{world['gent_challenge']}").text  # anonymous
        signed_in(client, "leuven@example.org")
        page = client.get(f"/challenges/{world['gent_challenge']}").text
        assert "estimated-effort" not in page and "Estimated effort:" not in page  # another city (its history says
        assert "Estimated effort changed" in page  # that the estimate changed, as for every other event, not to what)
        client.logout()
        signed_in(client, "gent-staff@example.org")
        page = _page(client.get(f"/challenges/{world['gent_challenge']}"))
        assert "Estimated effort: 2." in page and 'name="effort"' not in page  # its own city: read, not edit


class TestRoundPage:
    def test_the_efforts_their_total_and_the_missing_ones(self, client, world, make_round, in_app):
        _set_efforts(in_app, world, {"gent": 2, "kortrijk": 5.25})
        round_id = make_round(RoundPhase.PROPOSALS_OPEN, capacity=10.0)
        signed_in(client, "steering@example.org")
        page = _page(client.get(f"/rounds/{round_id}"))
        section = page[page.index('id="capacity"') :]
        assert "Estimated effort of each challenge, in person-months" in section
        assert '<td>Uitdaging van Gent</td><td class="text-end">2</td>' in section
        assert '<td>Uitdaging van Kortrijk</td><td class="text-end">5.25</td>' in section
        assert '<td>Uitdaging van Leuven</td><td class="text-end">not estimated</td>' in section
        assert re.search(r"Total of the recorded efforts</th><td class=\"text-end\">7.25</td>", section)
        missing = section[section.index('data-testid="missing-efforts"') :]
        assert "voting cannot close without one" in missing and "Uitdaging van Leuven" in missing.split("</ul>")[0]
        assert "Uitdaging van Gent" not in missing.split("</ul>")[0]
        assert 'data-testid="nothing-fits"' not in page

    def test_a_capacity_smaller_than_every_effort_is_warned(self, client, world, make_round, in_app):
        _set_efforts(in_app, world, {"gent": 2, "leuven": 3, "kortrijk": 5})
        round_id = make_round(RoundPhase.VOTING_OPEN, capacity=1.999)
        signed_in(client, "steering@example.org")
        page = _page(client.get(f"/rounds/{round_id}"))
        assert (
            "No challenge fits: the capacity (1.99) is smaller than every recorded effort, so nothing would be selected." in page
        )
        assert 'data-testid="missing-efforts"' not in page

    def test_nothing_fits_counts_as_the_engine(self, app, world, make_round, in_app):
        _set_efforts(in_app, world, {"gent": 2, "leuven": None, "kortrijk": 5})
        cases = {1.999: True, 2.0: False, 0.0: True, None: False}
        for cap, expected in cases.items():
            round_id = make_round(RoundPhase.DRAFT, capacity=cap)
            with in_app() as session:
                assert capacity.nothing_fits(session.get(Round, round_id)) is expected, cap
        _set_efforts(in_app, world, {"gent": None, "kortrijk": None})
        round_id = make_round(RoundPhase.DRAFT, capacity=0.0)
        with in_app() as session:
            assert capacity.nothing_fits(session.get(Round, round_id)) is False  # no effort at all: "missing" says it

    def test_without_a_capacity_there_is_no_capacity_section(self, client, world, make_round, in_app):
        round_id = make_round(RoundPhase.PROPOSALS_OPEN)
        signed_in(client, "steering@example.org")
        assert 'id="capacity"' not in client.get(f"/rounds/{round_id}").text

    def test_cities_see_the_efforts_with_the_results(self, client, world, make_round, in_app):
        _set_efforts(in_app, world, {"gent": 2, "leuven": 3, "kortrijk": 5})
        round_id = make_round(RoundPhase.VOTING_OPEN, capacity=8.0)
        signed_in(client, "leuven@example.org")
        assert 'id="capacity"' not in client.get(f"/rounds/{round_id}").text
        with in_app() as session:
            steering = session.get(User, world["steering"])
            fill_ballots(session, world, round_id)
            voting.advance(steering, round_id, RoundPhase.VOTING_OPEN)
        assert 'id="capacity"' not in client.get(f"/rounds/{round_id}").text  # closed: the committee checks the result
        with in_app() as session:
            voting.advance(session.get(User, world["steering"]), round_id, RoundPhase.CLOSED)
        assert 'id="capacity"' in client.get(f"/rounds/{round_id}").text  # published


class TestClosingWithACapacity:
    def test_closing_gives_the_capacity_block_and_the_best_set_that_fits(self, client, world, make_round, in_app):
        # Gent's challenge scores highest, but it does not fit in the capacity: the best one that fits is selected.
        _set_efforts(in_app, world, {"gent": 6, "leuven": 3, "kortrijk": 4.5})
        round_id = make_round(RoundPhase.VOTING_OPEN, capacity=5.0)
        with in_app() as session:
            fill_ballots(session, world, round_id)
        signed_in(client, "steering@example.org")
        page = client.get(f"/rounds/{round_id}/confirm/closed")
        assert page.status_code == 200
        response = client.post(f"/rounds/{round_id}/advance", data={"expected_phase": "voting_open"}, follow_redirects=True)
        assert "The round moved to the next phase." in response.text
        with in_app() as session:
            round_ = session.get(Round, round_id)
            assert round_.phase is RoundPhase.CLOSED
            document = json.loads(round_.snapshot.document)
            result = json.loads(round_.snapshot.result)
        assert document["capacity"] == 5.0
        assert document["effort"] == {
            str(world["gent_challenge"]): 6.0,
            str(world["leuven_challenge"]): 3.0,
            str(world["kortrijk_challenge"]): 4.5,
        }
        block = result["capacity"]
        assert block is not None and block["capacity"] == 5.0
        assert block["by_rank"] == [str(world["gent_challenge"])]
        assert block["capacity_decided"] is True
        assert block["total_effort"] <= 5.0 and str(world["gent_challenge"]) not in block["selected"]
        assert result["selected"] == block["selected"] and len(block["selected"]) == 1

    def test_closing_is_refused_while_an_effort_is_missing(self, client, world, make_round, in_app):
        _set_efforts(in_app, world, {"gent": 2, "kortrijk": 4})
        round_id = make_round(RoundPhase.VOTING_OPEN, capacity=5.0)
        with in_app() as session:
            fill_ballots(session, world, round_id)
        signed_in(client, "steering@example.org")
        response = client.post(f"/rounds/{round_id}/advance", data={"expected_phase": "voting_open"}, follow_redirects=True)
        assert "missing for: Uitdaging van Leuven" in response.text
        with in_app() as session:
            assert session.get(Round, round_id).phase is RoundPhase.VOTING_OPEN
