"""The home page says what needs the signed-in user now, per role, each item linking to where it is handled."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pilots.models import CityRole, MilestoneStatus, ParticipantRole, PilotStatus, RoundPhase, User
from pilots.services import home, workspaces
from pilots.services.workspaces import MilestoneData, PilotData
from tests import factories
from tests.conftest import count_queries
from tests.voting_world import fill_ballots

TODAY = workspaces.today()


def agenda(client) -> str:
    page = client.get("/").text
    return page.split('id="now-heading"', 1)[1].split("</section>", 1)[0]


def test_a_voter_sees_the_ballot_of_their_city_until_it_is_submitted(client, in_app, world, make_round):
    round_id = make_round(RoundPhase.VOTING_OPEN)
    client.login("gent@example.org")
    now = agenda(client)
    assert f'href="/rounds/{round_id}/ballots/gent"' in now and "The ballot of Gent for 2026 is waiting" in now
    assert "/ballots/leuven" not in now
    with in_app() as session:
        fill_ballots(session, world, round_id, cities=("gent",))
    assert "/ballots/gent" not in agenda(client)
    client.logout()
    client.login("gent-staff@example.org")  # staff who do not vote
    assert "/ballots/" not in agenda(client)


def test_the_committee_sees_the_screening_queue_and_the_rounds_to_move_on(client, in_app, world, make_round):
    from pilots.services import challenges
    from pilots.services.challenges import ChallengeData, DatasetData

    round_id = make_round(RoundPhase.CLOSED)
    with in_app() as session:
        author = session.get(User, world["leuven"])
        challenge = challenges.create_challenge(
            author, world["leuven_city"], ChallengeData("Nieuw", "Kort.", "", "TRAN", "", 2027)
        )
        challenges.add_dataset(author, challenge.id, DatasetData(title="Data", holder_city_id=world["leuven_city"]))
        challenges.submit(author, challenge.id)
    client.login("steering@example.org")
    now = agenda(client)
    assert 'href="/challenges?status=submitted">1 submitted challenge waits for screening' in now
    assert f'href="/rounds/{round_id}">The 2026 round: ' in now
    client.logout()
    client.login("leuven@example.org")
    assert "screening" not in agenda(client) and f'href="/rounds/{round_id}"' not in agenda(client)


@pytest.fixture
def led_pilot(in_app, make_user):
    ids = {
        "steering": make_user("steering@example.org", is_steering=True),
        "lead": make_user("lead@example.org", name="Lotte Lead", locale="en"),
        "gent": make_user("gent@example.org", city="gent", role=CityRole.STAFF, locale="en"),
        "leuven": make_user("leuven@example.org", city="leuven", locale="en"),
    }
    with in_app() as session:
        gent, leuven = factories.city("gent"), factories.city("leuven")
        steering = session.get(User, ids["steering"])
        pilot = workspaces.create_pilot(
            steering,
            PilotData("Parkeren", "Samen.", gent.id, PilotStatus.ACTIVE, TODAY - timedelta(days=90), TODAY + timedelta(days=90)),
        )
        workspaces.add_lead(steering, pilot.id, "lead@example.org")
        workspaces.request_to_join(session.get(User, ids["leuven"]), pilot.id, leuven.id, ParticipantRole.PARTICIPANT)
        ids["pilot"], ids["gent_city"] = pilot.id, gent.id
    return ids


def add_milestone(in_app, ids, title: str, due: date, done: bool = False) -> int:
    with in_app() as session:
        lead = session.get(User, ids["lead"])
        milestone = workspaces.add_milestone(lead, ids["pilot"], MilestoneData(title=title, due_date=due))
        if done:
            workspaces.set_milestone_status(lead, ids["pilot"], milestone.id, MilestoneStatus.DONE)
        return milestone.id


def test_a_lead_sees_join_requests_and_overdue_milestones(client, in_app, led_pilot):
    late = add_milestone(in_app, led_pilot, "Data klaar", TODAY - timedelta(days=3))
    add_milestone(in_app, led_pilot, "Al gedaan", TODAY - timedelta(days=3), done=True)
    add_milestone(in_app, led_pilot, "Later", TODAY + timedelta(days=3))
    client.login("lead@example.org")
    now = agenda(client)
    pilot = led_pilot["pilot"]
    assert f'href="/pilots/{pilot}#cities">Leuven asks to join the pilot Parkeren.' in now
    assert f'href="/pilots/{pilot}#milestone-{late}">Milestone Data klaar was due on' in now
    assert "Al gedaan" not in now and "Later" not in now


def test_the_agenda_costs_the_same_statements_whatever_its_length(app, client, in_app, led_pilot):
    add_milestone(in_app, led_pilot, "Eén", TODAY - timedelta(days=3))
    client.login("lead@example.org")
    with count_queries(app) as few:
        client.get("/")
    for n in range(5):
        add_milestone(in_app, led_pilot, f"Nog {n}", TODAY - timedelta(days=2))
    with count_queries(app) as many:
        assert agenda(client).count("was due on") == 6
    assert len(many) == len(few)


def test_a_citys_staff_see_its_failing_datasets(client, in_app, led_pilot):
    with in_app() as session:
        lead = session.get(User, led_pilot["lead"])
        dataset = workspaces.add_dataset(
            lead,
            led_pilot["pilot"],
            led_pilot["gent_city"],
            factories.parking_dataset("Bezetting", "Occupancy"),
        )
        dataset_id = dataset.id
        workspaces.check_dataset(
            None, led_pilot["pilot"], dataset_id, lambda url, realtime, frequency: {"passed": False, "checks": []}
        )
    client.login("gent@example.org")
    assert f'href="/pilots/{led_pilot["pilot"]}/datasets/{dataset_id}/history">Occupancy fails some checks' in agenda(client)
    with in_app():
        workspaces.check_dataset(
            None, led_pilot["pilot"], dataset_id, lambda url, realtime, frequency: {"passed": True, "checks": []}
        )
    assert "fails some checks" not in agenda(client)
    client.logout()
    client.login("leuven@example.org")
    assert "fails some checks" not in agenda(client)


def test_nothing_waits_for_someone_without_a_role_and_anonymous_visitors_see_no_agenda(client, make_user, in_app):
    make_user("nobody@example.org", locale="en")
    assert 'id="now-heading"' not in client.get("/").text
    client.login("nobody@example.org")
    assert "Nothing waits for you." in agenda(client)
    with in_app() as session:
        assert home.agenda(session.get(User, 1)) == []
