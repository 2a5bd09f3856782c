"""Pilot workspaces: the pilot and its leads, participating cities and their stages, milestones and progress,
published datasets and their conformance checks, updates, the iCalendar feed, query bounds, the audit log and
the demo data."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar
from markupsafe import escape
from sqlalchemy import func, select

from pilots.jobs import tasks as views
from pilots.models import (
    AuditEvent,
    CityRole,
    DatasetCheck,
    Milestone,
    MilestoneCity,
    MilestoneStatus,
    ParticipantRole,
    Participation,
    Pilot,
    PilotStatus,
    PilotUpdate,
    PublishedDataset,
    Stage,
    StageChange,
    User,
)
from pilots.services import workspaces as service
from pilots.services.workspaces import DatasetData, MilestoneData, PilotData
from pilots.vocabularies import LICENCE_CC_BY, LICENCE_MODELLICENTIE, LICENCE_OTHER
from tests import factories
from tests.conftest import count_queries

TODAY = service.today()
LONG_AGO = TODAY - timedelta(days=60)
PASSING = {"passed": True, "checks": [{"id": "reachable", "result": "pass", "evidence": "HTTP 200 OK, 812 bytes"}]}
FAILING = {
    "passed": False,
    "checks": [
        {"id": "reachable", "result": "pass", "evidence": "HTTP 200 OK, 812 bytes"},
        {"id": "https", "result": "fail", "evidence": "served over plain HTTP: http://data.leuven.be/parking"},
        {"id": "cors", "result": "fail", "evidence": "no Access-Control-Allow-Origin header"},
    ],
}
DATASET_FORM = {
    "title_nl": "Realtime bezetting parkeergarages Leuven",
    "title_en": "Real-time car park occupancy Leuven",
    "description_nl": "Vrije plaatsen per garage, elke minuut.",
    "description_en": "Free spaces per car park, every minute.",
    "access_url": "https://data.leuven.be/parking/realtime",
    "download_url": "https://data.leuven.be/parking/dump.ttl",
    "file_type": "RDF_TURTLE",
    "licence": LICENCE_MODELLICENTIE,
    "theme": "TRAN",
    "frequency": "CONT",
    "realtime": "y",
    "conforms_to": "DATEX II",
    "keywords": "parkeren,  realtime , ,DATEX II",
    "contact_email": "OpenData@Leuven.be",
    "issued": (TODAY - timedelta(days=3)).isoformat(),
    "language": "nl",
}


def shown(message: str) -> str:
    """A message as the page shows it (HTML-escaped)."""
    return str(escape(message))


def signed_in(client, email):
    client.logout()
    assert client.login(email).status_code == 302
    return client


@pytest.fixture
def people(make_user, in_app):
    """The steering committee, a pilot lead without a city, staff of six cities and a user without a city (ids)."""
    ids = {
        "steering": make_user("steering@example.org", name="Stijn Stuur", is_steering=True, locale="en"),
        "lead": make_user("lead@example.org", name="Lotte Lead", locale="en"),
        "gent": make_user("gent@example.org", name="Gerda Gent", city="gent", role=CityRole.STAFF, locale="en"),
        "nobody": make_user("nobody@example.org", name="No City", locale="en"),
    }
    for slug in ("leuven", "kortrijk", "aalst", "hasselt", "mechelen"):
        ids[slug] = make_user(f"{slug}@example.org", name=f"Staff {slug.title()}", city=slug, locale="en")
    with in_app():
        for slug in ("gent", "leuven", "kortrijk", "aalst", "hasselt", "mechelen"):
            ids[f"{slug}_city"] = factories.city(slug).id
    return ids


@pytest.fixture
def make_pilot(in_app, people):
    """A pilot led by Gent, run by lead@example.org, with invited cities, observers and cities asking to join.
    Every stage history starts LONG_AGO, so that tests can use dates in the past. Returns the pilot's id."""

    def make(
        title: str = "Realtime parkeerdata",
        cities: tuple[str, ...] = ("leuven",),
        observers: tuple[str, ...] = (),
        asking: tuple[str, ...] = (),
        leads: tuple[str, ...] = ("lead",),
    ) -> int:
        with in_app() as session:
            steering = session.get(User, people["steering"])
            pilot = service.create_pilot(
                steering,
                PilotData(
                    title,
                    "Elke stad publiceert **realtime** parkeerdata.",
                    people["gent_city"],
                    PilotStatus.ACTIVE,
                    LONG_AGO,
                    TODAY + timedelta(days=300),
                ),
            )
            for who in leads:
                service.add_lead(steering, pilot.id, f"{who}@example.org")
            for slug in cities:
                service.invite_city(steering, pilot.id, people[f"{slug}_city"], ParticipantRole.PARTICIPANT)
            for slug in observers:
                service.invite_city(steering, pilot.id, people[f"{slug}_city"], ParticipantRole.OBSERVER)
            for slug in asking:
                service.request_to_join(
                    session.get(User, people[slug]), pilot.id, people[f"{slug}_city"], ParticipantRole.PARTICIPANT
                )
            for change in session.scalars(select(StageChange)):
                change.changed_on = LONG_AGO
            session.commit()
            return pilot.id

    return make


def _participation_id(in_app, pilot_id: int, city_id: int) -> int:
    with in_app() as session:
        return session.scalar(
            select(Participation.id).where(Participation.pilot_id == pilot_id, Participation.city_id == city_id)
        )


def _add_milestone(in_app, people, pilot_id: int, title: str, due: date, **fields) -> int:
    with in_app() as session:
        lead = session.get(User, people["lead"])
        return service.add_milestone(lead, pilot_id, MilestoneData(title, due, **fields)).id


def _add_dataset(in_app, people, pilot_id: int, city: str, title: str = "Bezetting parkeergarages") -> int:
    with in_app() as session:
        lead = session.get(User, people["lead"])
        return service.add_dataset(
            lead,
            pilot_id,
            people[f"{city}_city"],
            DatasetData(
                title_nl=f"{title} {city}",
                access_url=f"https://data.{city}.be/parking",
                contact_email=f"opendata@{city}.be",
                theme="TRAN",
                file_type="RDF_TURTLE",
                licence=LICENCE_MODELLICENTIE,
                conforms_to="DATEX II",
            ),
        ).id


def _actions(in_app, pilot_id: int) -> list[str]:
    with in_app() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_type == "pilot", AuditEvent.object_id == str(pilot_id))
                .order_by(AuditEvent.id)
            )
        )


def _count(in_app, model) -> int:
    with in_app() as session:
        return session.scalar(select(func.count(model.id)))


# --- the pilot and its leads ------------------------------------------------------------------------------------


class TestPilot:
    def test_steering_creates_a_pilot_through_the_form(self, client, people, in_app):
        signed_in(client, "steering@example.org")
        assert client.get("/pilots").status_code == 200
        assert 'href="/pilots/new"' in client.get("/pilots").text
        assert client.get("/pilots/new").status_code == 200
        response = client.post(
            "/pilots/new",
            data={
                "title": "  Fietstellingen  ",
                "goal": "Tellingen **open** publiceren.",
                "lead_city_id": str(people["leuven_city"]),
                "status": "active",
                "start_date": "2026-01-15",
                "end_date": "2026-12-31",
            },
        )
        assert response.status_code == 302
        pilot_id = int(response.headers["Location"].rsplit("/", 1)[1])
        with in_app() as session:
            pilot = service.get_pilot(pilot_id)
            assert (pilot.title, pilot.status, pilot.start_date, pilot.end_date) == (
                "Fietstellingen",
                PilotStatus.ACTIVE,
                date(2026, 1, 15),
                date(2026, 12, 31),
            )
            assert pilot.lead_city_id == people["leuven_city"]
            [lead_city] = pilot.participants
            assert (lead_city.city_id, lead_city.role, lead_city.accepted, lead_city.stage) == (
                people["leuven_city"],
                ParticipantRole.LEAD,
                True,
                Stage.COMMITTED,
            )
            assert session.scalar(select(func.count(StageChange.id))) == 1
        assert _actions(in_app, pilot_id) == ["pilot.created"]
        page = client.get(f"/pilots/{pilot_id}").text
        assert "Fietstellingen" in page and "<strong>open</strong>" in page
        assert "Led by Leuven" in page

    def test_end_before_start_is_refused_and_the_input_kept(self, client, people, in_app):
        signed_in(client, "steering@example.org")
        response = client.post(
            "/pilots/new",
            data={
                "title": "Fietstellingen",
                "lead_city_id": "0",
                "status": "planned",
                "start_date": "2026-06-01",
                "end_date": "2026-01-01",
            },
        )
        assert response.status_code == 400
        assert 'id="end_date-error"' in response.text
        assert "The end comes after the start." in response.text
        assert 'value="Fietstellingen"' in response.text
        assert _count(in_app, Pilot) == 0

    @pytest.mark.parametrize("email", ["lead@example.org", "gent@example.org", "nobody@example.org"])
    def test_only_the_steering_committee_creates_pilots(self, client, people, email, in_app):
        signed_in(client, email)
        assert client.get("/pilots/new").status_code == 403
        assert client.post("/pilots/new", data={"title": "X", "status": "planned", "lead_city_id": "0"}).status_code == 403
        assert 'href="/pilots/new"' not in client.get("/pilots").text
        assert _count(in_app, Pilot) == 0

    @pytest.mark.parametrize("email", ["steering@example.org", "lead@example.org"])
    def test_steering_and_the_lead_edit_the_pilot(self, client, people, make_pilot, email, in_app):
        pilot_id = make_pilot()
        signed_in(client, email)
        form = client.get(f"/pilots/{pilot_id}/edit")
        assert form.status_code == 200 and 'value="Realtime parkeerdata"' in form.text
        data = {
            "title": "Realtime open parkeerdata",
            "goal": "Nieuw doel.",
            "lead_city_id": str(people["gent_city"]),
            "status": "completed",
            "start_date": LONG_AGO.isoformat(),
            "end_date": "",
            "version": "1",
        }
        response = client.post(f"/pilots/{pilot_id}/edit", data=data)
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/pilots/{pilot_id}")
        with in_app():
            pilot = service.get_pilot(pilot_id)
            assert (pilot.title, pilot.goal, pilot.status, pilot.end_date, pilot.version) == (
                "Realtime open parkeerdata",
                "Nieuw doel.",
                PilotStatus.COMPLETED,
                None,
                2,
            )
        # A form opened before that save is refused, not merged.
        stale = client.post(f"/pilots/{pilot_id}/edit", data={**data, "title": "Oud", "version": "1"})
        assert stale.status_code == 400
        assert "Somebody else saved this in the meantime" in stale.text
        with in_app():
            assert service.get_pilot(pilot_id).title == "Realtime open parkeerdata"
        assert _actions(in_app, pilot_id)[-1] == "pilot.updated"

    def test_a_lead_is_added_by_email_through_the_page(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot(leads=())
        signed_in(client, "steering@example.org")
        page = client.get(f"/pilots/{pilot_id}").text
        assert "No lead appointed yet." in page
        assert f'action="/pilots/{pilot_id}/leads"' in page
        response = client.post(f"/pilots/{pilot_id}/leads", data={"email": " Lead@Example.org "})
        assert response.status_code == 302 and response.headers["Location"].endswith("#leads")
        with in_app():
            assert [u.email for u in service.get_pilot(pilot_id).leads] == ["lead@example.org"]
        # The new lead now runs the pilot: edits it and adds another lead.
        signed_in(client, "lead@example.org")
        assert client.get(f"/pilots/{pilot_id}/edit").status_code == 200
        assert client.post(f"/pilots/{pilot_id}/leads", data={"email": "gent@example.org"}).status_code == 302
        # Unknown addresses and people who already lead it are refused next to the field.
        for email, message in (
            ("ghost@example.org", "No active account has this email address."),
            ("gent@example.org", "This person already leads the pilot."),
        ):
            refused = client.post(f"/pilots/{pilot_id}/leads", data={"email": email})
            assert refused.status_code == 400
            assert 'id="email-error"' in refused.text and message in refused.text
        with in_app():
            assert sorted(u.email for u in service.get_pilot(pilot_id).leads) == ["gent@example.org", "lead@example.org"]
        assert _actions(in_app, pilot_id).count("pilot.lead_added") == 2

    def test_a_lead_is_removed(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        signed_in(client, "steering@example.org")
        response = client.post(f"/pilots/{pilot_id}/leads/{people['lead']}/remove", follow_redirects=True)
        assert "Lead removed." in response.text
        with in_app():
            assert service.get_pilot(pilot_id).leads == []
        signed_in(client, "lead@example.org")
        assert client.get(f"/pilots/{pilot_id}/edit").status_code == 403

    @pytest.mark.parametrize("email", ["gent@example.org", "leuven@example.org", "nobody@example.org"])
    def test_other_users_may_not_run_the_pilot(self, client, people, make_pilot, email, in_app):
        """Staff of the lead city or of a participating city are no pilot leads."""
        pilot_id = make_pilot()
        signed_in(client, email)
        page = client.get(f"/pilots/{pilot_id}")
        assert page.status_code == 200
        assert f'href="/pilots/{pilot_id}/edit"' not in page.text
        assert f'action="/pilots/{pilot_id}/leads"' not in page.text
        assert client.get(f"/pilots/{pilot_id}/edit").status_code == 403
        assert (
            client.post(
                f"/pilots/{pilot_id}/edit", data={"title": "Gekaapt", "status": "active", "lead_city_id": "0", "version": "1"}
            ).status_code
            == 403
        )
        assert client.post(f"/pilots/{pilot_id}/leads", data={"email": email}).status_code == 403
        assert client.post(f"/pilots/{pilot_id}/leads/{people['lead']}/remove").status_code == 403
        assert client.get(f"/pilots/{pilot_id}/milestones/new").status_code == 403
        assert (
            client.post(
                f"/pilots/{pilot_id}/participants", data={"city_id": str(people["hasselt_city"]), "role": "participant"}
            ).status_code
            == 403
        )
        assert client.post(f"/pilots/{pilot_id}/updates", data={"body": "Hallo"}).status_code == 403
        with in_app():
            pilot = service.get_pilot(pilot_id)
            assert pilot.title == "Realtime parkeerdata"
            assert [u.email for u in pilot.leads] == ["lead@example.org"]
            assert len(pilot.participants) == 2 and pilot.updates == [] and pilot.milestones == []

    def test_anonymous_visitors_see_the_pilots_but_not_the_forms(self, client, people, make_pilot):
        pilot_id = make_pilot()
        listing = client.get("/pilots")
        assert listing.status_code == 200
        assert "Realtime parkeerdata" in listing.text and f'href="/pilots/{pilot_id}"' in listing.text
        page = client.get(f"/pilots/{pilot_id}")
        assert page.status_code == 200
        assert "Realtime parkeerdata" in page.text and "Leuven" in page.text
        assert f'href="/pilots/{pilot_id}/edit"' not in page.text
        assert "csrf_token" not in page.text.split("<main", 1)[1].split("</main>", 1)[0]  # no forms in the page body
        for url in (
            f"/pilots/{pilot_id}/edit",
            f"/pilots/{pilot_id}/milestones/new",
            f"/pilots/{pilot_id}/datasets/new",
            "/pilots/new",
        ):
            response = client.get(url)
            assert response.status_code == 302 and "/login" in response.headers["Location"], url
        response = client.post(f"/pilots/{pilot_id}/leads", data={"email": "nobody@example.org"})
        assert response.status_code == 302 and "/login" in response.headers["Location"]

    def test_the_list_filters_by_status_and_city(self, client, people, make_pilot, in_app):
        parking = make_pilot("Realtime parkeerdata", cities=("leuven",))
        bikes = make_pilot("Fietstellingen", cities=("kortrijk",))
        with in_app() as session:
            session.get(Pilot, bikes).status = PilotStatus.PLANNED
            session.commit()
        signed_in(client, "nobody@example.org")
        listing = client.get("/pilots?status=planned").text
        assert "Fietstellingen" in listing and "Realtime parkeerdata" not in listing
        listing = client.get("/pilots?city=leuven").text
        assert "Realtime parkeerdata" in listing and "Fietstellingen" not in listing
        listing = client.get("/pilots?status=nonsense&year=abc&city=" + "x" * 500)
        assert listing.status_code == 200 and "No pilots match these filters." in listing.text
        assert f'href="/pilots/{parking}"' in client.get("/pilots?status=&year=").text

    def test_an_unknown_pilot_is_404(self, client, people):
        assert client.get("/pilots/999").status_code == 404
        assert client.get("/pilots/999/milestones.ics").status_code == 404
        signed_in(client, "steering@example.org")
        assert client.get("/pilots/999/edit").status_code == 404


# --- participating cities --------------------------------------------------------------------------------------


class TestCities:
    def test_a_city_asks_to_join_and_the_lead_accepts(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        signed_in(client, "kortrijk@example.org")
        page = client.get(f"/pilots/{pilot_id}").text
        assert f'action="/pilots/{pilot_id}/join"' in page and "Ask to join" in page
        response = client.post(f"/pilots/{pilot_id}/join", data={"city_id": str(people["kortrijk_city"]), "role": "participant"})
        assert response.status_code == 302 and response.headers["Location"].endswith("#cities")
        page = client.get(f"/pilots/{pilot_id}").text
        assert "Your city asked to join; the pilot" in page
        assert "asked to join" in page
        assert f'action="/pilots/{pilot_id}/join"' not in page  # no city left to ask for
        participation_id = _participation_id(in_app, pilot_id, people["kortrijk_city"])
        with in_app() as session:
            participation = session.get(Participation, participation_id)
            assert (participation.accepted, participation.role, participation.stage) == (
                False,
                ParticipantRole.PARTICIPANT,
                Stage.INTERESTED,
            )

        # Asking a second time: a clear message, nothing added.
        again = client.post(f"/pilots/{pilot_id}/join", data={"city_id": str(people["kortrijk_city"]), "role": "observer"})
        assert again.status_code == 400
        assert shown("This city already takes part in the pilot (or asked to).") in again.text
        with in_app() as session:
            assert session.scalar(select(func.count(Participation.id)).where(Participation.pilot_id == pilot_id)) == 3

        # The city cannot accept itself; the lead accepts.
        assert client.post(f"/pilots/{pilot_id}/participants/{participation_id}/accept").status_code == 403
        signed_in(client, "lead@example.org")
        page = client.get(f"/pilots/{pilot_id}").text
        assert f'action="/pilots/{pilot_id}/participants/{participation_id}/accept"' in page
        response = client.post(f"/pilots/{pilot_id}/participants/{participation_id}/accept", follow_redirects=True)
        assert "City accepted." in response.text
        assert "asked to join" not in response.text.replace("Your city asked to join", "")
        with in_app() as session:
            assert session.get(Participation, participation_id).accepted
        assert _actions(in_app, pilot_id)[-2:] == ["pilot.join_requested", "pilot.city_accepted"]

    def test_the_lead_invites_a_city_directly(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        signed_in(client, "lead@example.org")
        page = client.get(f"/pilots/{pilot_id}").text
        assert f'action="/pilots/{pilot_id}/participants"' in page
        response = client.post(
            f"/pilots/{pilot_id}/participants", data={"city_id": str(people["aalst_city"]), "role": "observer"}
        )
        assert response.status_code == 302
        with in_app() as session:
            participation = session.get(Participation, _participation_id(in_app, pilot_id, people["aalst_city"]))
            assert participation.accepted and participation.role is ParticipantRole.OBSERVER
        again = client.post(
            f"/pilots/{pilot_id}/participants", data={"city_id": str(people["aalst_city"]), "role": "participant"}
        )
        assert again.status_code == 400
        assert shown("This city already takes part in the pilot (or asked to).") in again.text
        assert _actions(in_app, pilot_id).count("pilot.city_invited") == 2  # Leuven (set-up) and Aalst

    def test_inviting_a_city_that_does_not_exist_is_refused(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        signed_in(client, "lead@example.org")
        response = client.post(f"/pilots/{pilot_id}/participants", data={"city_id": "9999", "role": "participant"})
        assert response.status_code == 400 and 'id="city_id-error"' in response.text
        with in_app() as session:
            assert session.scalar(select(func.count(Participation.id))) == 2

    def test_users_without_a_city_cannot_join(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        for email in ("nobody@example.org", "lead@example.org", "steering@example.org"):
            signed_in(client, email)
            assert f'action="/pilots/{pilot_id}/join"' not in client.get(f"/pilots/{pilot_id}").text
            response = client.post(
                f"/pilots/{pilot_id}/join", data={"city_id": str(people["hasselt_city"]), "role": "participant"}
            )
            assert response.status_code == 403, email
        with in_app() as session:
            assert session.scalar(select(func.count(Participation.id))) == 2

    def test_staff_cannot_ask_for_another_city(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        signed_in(client, "kortrijk@example.org")
        response = client.post(f"/pilots/{pilot_id}/join", data={"city_id": str(people["hasselt_city"]), "role": "participant"})
        assert response.status_code in (400, 403)
        with in_app() as session:
            assert session.scalar(select(func.count(Participation.id))) == 2


class TestStages:
    def _stage(self, client, pilot_id, participation_id, stage, on=None, follow=True):
        data = {"stage": stage, "changed_on": on.isoformat() if on else ""}
        return client.post(f"/pilots/{pilot_id}/participants/{participation_id}/stage", data=data, follow_redirects=follow)

    def _history(self, in_app, participation_id) -> list[tuple[Stage, date]]:
        with in_app() as session:
            participation = session.get(Participation, participation_id)
            return [(change.stage, change.changed_on) for change in participation.stage_changes]

    def test_a_city_changes_its_own_stage_with_a_date(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        leuven = _participation_id(in_app, pilot_id, people["leuven_city"])
        signed_in(client, "leuven@example.org")
        assert f'action="/pilots/{pilot_id}/participants/{leuven}/stage"' in client.get(f"/pilots/{pilot_id}").text
        response = self._stage(client, pilot_id, leuven, "committed", TODAY - timedelta(days=20))
        assert "Stage saved." in response.text
        response = self._stage(client, pilot_id, leuven, "publishing")  # no date: today
        assert "Stage saved." in response.text
        assert f"since {TODAY}" in response.text
        assert self._history(in_app, leuven) == [
            (Stage.INTERESTED, LONG_AGO),
            (Stage.COMMITTED, TODAY - timedelta(days=20)),
            (Stage.PUBLISHING, TODAY),
        ]
        with in_app() as session:
            assert session.get(Participation, leuven).stage is Stage.PUBLISHING
            details = session.scalars(
                select(AuditEvent.details).where(AuditEvent.action == "pilot.stage_changed").order_by(AuditEvent.id)
            ).all()
        assert details[0]["stage"] == {"from": "interested", "to": "committed"}
        assert details[0]["on"] == (TODAY - timedelta(days=20)).isoformat()

    def test_a_city_cannot_change_another_citys_stage(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        gent = _participation_id(in_app, pilot_id, people["gent_city"])
        signed_in(client, "leuven@example.org")
        assert f'action="/pilots/{pilot_id}/participants/{gent}/stage"' not in client.get(f"/pilots/{pilot_id}").text
        assert self._stage(client, pilot_id, gent, "withdrawn", follow=False).status_code == 403
        signed_in(client, "hasselt@example.org")  # a city outside the pilot
        assert self._stage(client, pilot_id, gent, "withdrawn", follow=False).status_code == 403
        assert self._history(in_app, gent) == [(Stage.COMMITTED, LONG_AGO)]

    def test_the_lead_changes_any_citys_stage(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        leuven = _participation_id(in_app, pilot_id, people["leuven_city"])
        signed_in(client, "lead@example.org")
        assert "Stage saved." in self._stage(client, pilot_id, leuven, "published", TODAY - timedelta(days=1)).text
        assert self._history(in_app, leuven)[-1] == (Stage.PUBLISHED, TODAY - timedelta(days=1))

    @pytest.mark.parametrize(
        "on,message",
        [
            (TODAY + timedelta(days=1), "The date cannot be in the future."),
            (LONG_AGO - timedelta(days=1), f"The date cannot be before the previous change ({LONG_AGO.isoformat()})."),
        ],
    )
    def test_bad_dates_are_refused_with_a_message(self, client, people, make_pilot, in_app, on, message):
        pilot_id = make_pilot()
        leuven = _participation_id(in_app, pilot_id, people["leuven_city"])
        signed_in(client, "leuven@example.org")
        response = self._stage(client, pilot_id, leuven, "committed", on)
        assert response.status_code == 200
        assert message in response.text
        assert "Stage saved." not in response.text
        assert self._history(in_app, leuven) == [(Stage.INTERESTED, LONG_AGO)]
        with in_app() as session:
            assert session.get(Participation, leuven).stage is Stage.INTERESTED

    def test_today_is_the_date_in_brussels(self, client, people, make_pilot, in_app, monkeypatch):
        """Half an hour after midnight in Brussels it is still yesterday in UTC: the date the city picks as
        today is not in the future, and "done" without a date is done on the Brussels date."""
        pilot_id = make_pilot()
        leuven = _participation_id(in_app, pilot_id, people["leuven_city"])
        milestone_id = _add_milestone(in_app, people, pilot_id, "Gedeeld datamodel", TODAY + timedelta(days=10))
        half_past_midnight_in_brussels = datetime.combine(TODAY - timedelta(days=1), time(23, 30), UTC)
        monkeypatch.setattr(service, "utcnow", lambda: half_past_midnight_in_brussels)
        signed_in(client, "leuven@example.org")
        response = self._stage(client, pilot_id, leuven, "committed", TODAY)
        assert "The date cannot be in the future." not in response.text
        assert "Stage saved." in response.text
        assert self._history(in_app, leuven)[-1] == (Stage.COMMITTED, TODAY)
        signed_in(client, "lead@example.org")
        client.post(f"/pilots/{pilot_id}/milestones/{milestone_id}/status", data={"status": "done"})
        with in_app() as session:
            assert session.get(Milestone, milestone_id).completed_on == TODAY

    def test_a_city_not_yet_accepted_has_no_stage_to_change(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot(asking=("kortrijk",))
        kortrijk = _participation_id(in_app, pilot_id, people["kortrijk_city"])
        signed_in(client, "kortrijk@example.org")
        response = self._stage(client, pilot_id, kortrijk, "committed")
        assert shown("The pilot's lead has not accepted this city yet.") in response.text
        assert self._history(in_app, kortrijk) == [(Stage.INTERESTED, LONG_AGO)]


# --- milestones and progress ----------------------------------------------------------------------------------------


class TestMilestones:
    def _status(self, client, pilot_id, milestone_id, status, city_id=None, reason="", completed_on=None, follow=True):
        data = {"status": status, "reason": reason, "completed_on": completed_on.isoformat() if completed_on else ""}
        if city_id is not None:
            data["city_id"] = str(city_id)
        return client.post(f"/pilots/{pilot_id}/milestones/{milestone_id}/status", data=data, follow_redirects=follow)

    def _rows(self, in_app, milestone_id) -> dict[int, MilestoneCity]:
        with in_app() as session:
            milestone = session.get(Milestone, milestone_id)
            rows = {row.city_id: row for row in milestone.city_statuses}
            session.expunge_all()
            return rows

    def test_the_lead_adds_shared_and_per_city_milestones(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot(cities=("leuven", "kortrijk"), observers=("aalst",), asking=("hasselt",))
        signed_in(client, "lead@example.org")
        assert client.get(f"/pilots/{pilot_id}/milestones/new").status_code == 200
        shared = client.post(
            f"/pilots/{pilot_id}/milestones/new",
            data={
                "title": "Gedeeld datamodel",
                "description": "DATEX II als Linked Data",
                "start_date": "",
                "due_date": (TODAY + timedelta(days=30)).isoformat(),
                "weight": "1",
            },
        )
        assert shared.status_code == 302 and shared.headers["Location"].endswith("#milestones")
        per_city = client.post(
            f"/pilots/{pilot_id}/milestones/new",
            data={
                "title": "Elke stad publiceert",
                "start_date": TODAY.isoformat(),
                "due_date": (TODAY + timedelta(days=90)).isoformat(),
                "per_city": "y",
                "weight": "3",
            },
        )
        assert per_city.status_code == 302
        with in_app():
            shared_m, per_city_m = service.get_pilot(pilot_id).milestones
            assert (shared_m.title, shared_m.per_city, shared_m.weight, shared_m.city_statuses) == (
                "Gedeeld datamodel",
                False,
                1.0,
                [],
            )
            assert (per_city_m.title, per_city_m.per_city, per_city_m.weight) == ("Elke stad publiceert", True, 3.0)
            # Rows for the accepted cities that take part: not the observer, not the city still asking.
            assert {row.city_id for row in per_city_m.city_statuses} == {
                people["gent_city"],
                people["leuven_city"],
                people["kortrijk_city"],
            }
            per_city_id = per_city_m.id
        page = client.get(f"/pilots/{pilot_id}").text
        assert "Gedeeld datamodel" in page and "per city" in page
        assert f'id="status-{per_city_id}-{people["kortrijk_city"]}"' in page
        assert f'id="status-{per_city_id}-{people["aalst_city"]}"' not in page

        # Cities accepted later get their row: the one that asked, and one the lead invites now.
        hasselt = _participation_id(in_app, pilot_id, people["hasselt_city"])
        assert client.post(f"/pilots/{pilot_id}/participants/{hasselt}/accept").status_code == 302
        assert (
            client.post(
                f"/pilots/{pilot_id}/participants", data={"city_id": str(people["mechelen_city"]), "role": "participant"}
            ).status_code
            == 302
        )
        assert set(self._rows(in_app, per_city_id)) == {
            people["gent_city"],
            people["leuven_city"],
            people["kortrijk_city"],
            people["hasselt_city"],
            people["mechelen_city"],
        }
        assert _actions(in_app, pilot_id).count("pilot.milestone_added") == 2

    @pytest.mark.parametrize(
        "field,value,message",
        [
            ("due_date", "", "This field is required."),
            ("start_date", (TODAY + timedelta(days=31)).isoformat(), "The due date comes after the start."),
            ("weight", "0", "A weight is a number above 0 and at most 100."),
            ("title", " ", "Give the milestone a title."),
        ],
    )
    def test_bad_milestones_are_refused_next_to_the_field(self, client, people, make_pilot, in_app, field, value, message):
        pilot_id = make_pilot()
        signed_in(client, "lead@example.org")
        data = {
            "title": "Gedeeld datamodel",
            "description": "Uitleg die blijft",
            "start_date": TODAY.isoformat(),
            "due_date": (TODAY + timedelta(days=30)).isoformat(),
            "weight": "2",
            field: value,
        }
        response = client.post(f"/pilots/{pilot_id}/milestones/new", data=data)
        assert response.status_code == 400
        error_field = "due_date" if field == "start_date" else field
        assert f'id="{error_field}-error"' in response.text
        assert message in response.text
        assert "Uitleg die blijft" in response.text
        assert _count(in_app, Milestone) == 0

    def test_editing_a_milestone_with_a_stale_version_is_refused(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        milestone_id = _add_milestone(in_app, people, pilot_id, "Startworkshop", TODAY + timedelta(days=10))
        signed_in(client, "lead@example.org")
        form = client.get(f"/pilots/{pilot_id}/milestones/{milestone_id}")
        assert form.status_code == 200 and 'value="Startworkshop"' in form.text
        data = {
            "title": "Startworkshop met de steden",
            "due_date": (TODAY + timedelta(days=12)).isoformat(),
            "weight": "1",
            "version": "1",
        }
        assert client.post(f"/pilots/{pilot_id}/milestones/{milestone_id}", data=data).status_code == 302
        stale = client.post(f"/pilots/{pilot_id}/milestones/{milestone_id}", data={**data, "title": "Oud"})
        assert stale.status_code == 400 and "Somebody else saved this in the meantime" in stale.text
        with in_app() as session:
            milestone = session.get(Milestone, milestone_id)
            assert (milestone.title, milestone.due_date) == ("Startworkshop met de steden", TODAY + timedelta(days=12))

    def test_shared_milestone_status_is_for_the_leads(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        milestone_id = _add_milestone(in_app, people, pilot_id, "Gedeeld datamodel", TODAY + timedelta(days=10))
        signed_in(client, "gent@example.org")  # staff of the lead city, but no pilot lead
        assert self._status(client, pilot_id, milestone_id, "done", follow=False).status_code == 403
        signed_in(client, "lead@example.org")
        response = self._status(client, pilot_id, milestone_id, "in_progress")
        assert "Milestone updated." in response.text
        response = self._status(client, pilot_id, milestone_id, "done", completed_on=TODAY - timedelta(days=2))
        assert "Milestone updated." in response.text
        assert f"done on {TODAY - timedelta(days=2)}" in response.text
        with in_app() as session:
            milestone = session.get(Milestone, milestone_id)
            assert (milestone.status, milestone.completed_on) == (MilestoneStatus.DONE, TODAY - timedelta(days=2))
        # Back to in progress: the completion date goes.
        self._status(client, pilot_id, milestone_id, "in_progress")
        with in_app() as session:
            assert session.get(Milestone, milestone_id).completed_on is None

    def test_done_without_a_date_is_done_today(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        milestone_id = _add_milestone(in_app, people, pilot_id, "Gedeeld datamodel", TODAY + timedelta(days=10))
        signed_in(client, "lead@example.org")
        self._status(client, pilot_id, milestone_id, "done")
        with in_app() as session:
            assert session.get(Milestone, milestone_id).completed_on == TODAY

    def test_blocked_needs_a_reason(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        milestone_id = _add_milestone(in_app, people, pilot_id, "Gedeeld datamodel", TODAY + timedelta(days=10))
        signed_in(client, "lead@example.org")
        response = self._status(client, pilot_id, milestone_id, "blocked", reason="  ")
        assert response.status_code == 200 and "Say what blocks it." in response.text
        with in_app() as session:
            assert session.get(Milestone, milestone_id).status is MilestoneStatus.PLANNED
        response = self._status(client, pilot_id, milestone_id, "blocked", reason="Wacht op de leverancier")
        assert "Milestone updated." in response.text and "Blocked: Wacht op de leverancier" in response.text
        with in_app() as session:
            milestone = session.get(Milestone, milestone_id)
            assert (milestone.status, milestone.blocked_reason) == (MilestoneStatus.BLOCKED, "Wacht op de leverancier")
        self._status(client, pilot_id, milestone_id, "in_progress")
        with in_app() as session:
            assert session.get(Milestone, milestone_id).blocked_reason is None

    def test_a_done_date_in_the_future_is_refused(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        milestone_id = _add_milestone(in_app, people, pilot_id, "Gedeeld datamodel", TODAY + timedelta(days=10))
        signed_in(client, "lead@example.org")
        response = self._status(client, pilot_id, milestone_id, "done", completed_on=TODAY + timedelta(days=1))
        assert "The date cannot be in the future." in response.text
        with in_app() as session:
            assert session.get(Milestone, milestone_id).status is MilestoneStatus.PLANNED

    def test_per_city_status_is_for_the_city_and_the_leads(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot(cities=("leuven", "kortrijk"), observers=("aalst",))
        milestone_id = _add_milestone(in_app, people, pilot_id, "Elke stad publiceert", TODAY + timedelta(days=40), per_city=True)
        gent, leuven, kortrijk = (people[f"{slug}_city"] for slug in ("gent", "leuven", "kortrijk"))

        signed_in(client, "leuven@example.org")
        page = client.get(f"/pilots/{pilot_id}").text
        assert f'id="status-{milestone_id}-{leuven}"' in page
        assert f'id="status-{milestone_id}-{gent}"' not in page
        response = self._status(client, pilot_id, milestone_id, "done", city_id=leuven, completed_on=TODAY - timedelta(days=1))
        assert "Milestone updated." in response.text
        assert self._status(client, pilot_id, milestone_id, "done", city_id=gent, follow=False).status_code == 403
        # The observer and cities outside the pilot have no row: a message, not a 500.
        for city in (people["aalst_city"], people["hasselt_city"]):
            response = self._status(client, pilot_id, milestone_id, "done", city_id=city)
            assert response.status_code == 200
            assert "This city does not take part in this milestone." in response.text

        signed_in(client, "lead@example.org")
        assert "Milestone updated." in self._status(client, pilot_id, milestone_id, "in_progress", city_id=gent).text
        rows = self._rows(in_app, milestone_id)
        assert rows[leuven].status is MilestoneStatus.DONE and rows[leuven].completed_on == TODAY - timedelta(days=1)
        assert rows[gent].status is MilestoneStatus.IN_PROGRESS
        assert rows[kortrijk].status is MilestoneStatus.PLANNED
        assert set(rows) == {gent, leuven, kortrijk}
        with in_app() as session:
            milestone = session.get(Milestone, milestone_id)
            assert (milestone.status, milestone.completed_on) == (MilestoneStatus.IN_PROGRESS, None)

        # Blocked per city needs a reason too; once every city is done, the milestone is done.
        assert "Say what blocks it." in self._status(client, pilot_id, milestone_id, "blocked", city_id=kortrijk).text
        for city in (gent, kortrijk):
            self._status(client, pilot_id, milestone_id, "done", city_id=city, completed_on=TODAY)
        with in_app() as session:
            milestone = session.get(Milestone, milestone_id)
            assert (milestone.status, milestone.completed_on) == (MilestoneStatus.DONE, TODAY)

    def test_a_done_per_city_milestone_reopens_when_a_city_joins_later(self, client, people, make_pilot, in_app):
        """The milestone's own status follows its cities: a new city's open row means it is no longer done."""
        pilot_id = make_pilot(asking=("kortrijk",))
        milestone_id = _add_milestone(in_app, people, pilot_id, "Elke stad publiceert", TODAY + timedelta(days=40), per_city=True)
        signed_in(client, "lead@example.org")
        for slug in ("gent", "leuven"):
            self._status(client, pilot_id, milestone_id, "done", city_id=people[f"{slug}_city"], completed_on=TODAY)
        with in_app() as session:
            assert session.get(Milestone, milestone_id).status is MilestoneStatus.DONE
        kortrijk = _participation_id(in_app, pilot_id, people["kortrijk_city"])
        assert client.post(f"/pilots/{pilot_id}/participants/{kortrijk}/accept").status_code == 302
        rows = self._rows(in_app, milestone_id)
        assert rows[people["kortrijk_city"]].status is MilestoneStatus.PLANNED
        with in_app() as session:
            milestone = session.get(Milestone, milestone_id)
            assert service.milestone_progress(milestone) == pytest.approx(2 / 3)
            assert (milestone.status, milestone.completed_on) == (MilestoneStatus.IN_PROGRESS, None)

    def test_a_milestone_stays_shared_or_per_city(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        milestone_id = _add_milestone(in_app, people, pilot_id, "Elke stad publiceert", TODAY + timedelta(days=40), per_city=True)
        signed_in(client, "lead@example.org")
        form = client.get(f"/pilots/{pilot_id}/milestones/{milestone_id}")
        assert form.status_code == 200
        assert re.search(r'<input[^>]*\bchecked\b[^>]*id="per_city"', form.text)
        response = client.post(
            f"/pilots/{pilot_id}/milestones/{milestone_id}",
            data={
                "title": "Elke stad publiceert",
                "due_date": (TODAY + timedelta(days=40)).isoformat(),
                "weight": "1",
                "version": "1",
            },
        )
        assert response.status_code == 400 and 'id="per_city-error"' in response.text
        assert "A milestone stays shared or per city; add a new one instead." in response.text
        with in_app() as session:
            assert session.get(Milestone, milestone_id).per_city is True

    def test_progress_rolls_up_by_weight_and_cities(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot(cities=("leuven", "kortrijk", "aalst"))
        shared = _add_milestone(in_app, people, pilot_id, "Gedeeld datamodel", TODAY + timedelta(days=20), weight=1)
        per_city = _add_milestone(
            in_app, people, pilot_id, "Elke stad publiceert", TODAY + timedelta(days=60), per_city=True, weight=3
        )
        assert len(self._rows(in_app, per_city)) == 4
        signed_in(client, "lead@example.org")
        for slug in ("gent", "leuven"):
            self._status(client, pilot_id, per_city, "done", city_id=people[f"{slug}_city"])
        # 3 × 2/4 out of a total weight of 4 = 37.5 %
        page = client.get(f"/pilots/{pilot_id}").text
        assert 'aria-valuenow="38"' in page and ">38%<" in page
        assert ">50%<" in page  # the per-city milestone's own share
        assert ">38%<" in client.get("/pilots").text
        self._status(client, pilot_id, shared, "done")
        self._status(client, pilot_id, per_city, "done", city_id=people["kortrijk_city"])
        # (1 × 1 + 3 × 3/4) / 4 = 81.25 %
        assert 'aria-valuenow="81"' in client.get(f"/pilots/{pilot_id}").text
        assert ">81%<" in client.get("/pilots").text
        with in_app():
            assert service.pilot_progress(service.get_pilot(pilot_id)) == 81

    def test_overdue_milestones_are_flagged(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        late = _add_milestone(in_app, people, pilot_id, "Te laat", TODAY - timedelta(days=5))
        late_but_done = _add_milestone(in_app, people, pilot_id, "Op tijd klaar", TODAY - timedelta(days=5))
        future = _add_milestone(in_app, people, pilot_id, "Later", TODAY + timedelta(days=5))
        signed_in(client, "lead@example.org")
        self._status(client, pilot_id, late_but_done, "done", completed_on=TODAY - timedelta(days=6))
        page = client.get(f"/pilots/{pilot_id}").text

        def row(milestone_id):
            return page.split(f'<tr id="milestone-{milestone_id}">', 1)[1].split("</tr>", 1)[0]

        assert "overdue" in row(late)
        assert "overdue" not in row(late_but_done)
        assert "overdue" not in row(future)


# --- published datasets and their checks ----------------------------------------------------------------------------


class TestDatasets:
    def test_a_participating_city_registers_a_dataset_with_every_dcat_field(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        signed_in(client, "leuven@example.org")
        page = client.get(f"/pilots/{pilot_id}").text
        assert f'href="/pilots/{pilot_id}/datasets/new"' in page
        form = client.get(f"/pilots/{pilot_id}/datasets/new")
        assert form.status_code == 200
        assert 'value="leuven@example.org"' in form.text  # the contact address starts as the user's own
        assert f'value="{people["leuven_city"]}"' in form.text
        assert f'value="{people["gent_city"]}"' not in form.text  # only its own city
        response = client.post(f"/pilots/{pilot_id}/datasets/new", data={**DATASET_FORM, "city_id": str(people["leuven_city"])})
        assert response.status_code == 302 and response.headers["Location"].endswith("#datasets")
        with in_app() as session:
            dataset = session.scalar(select(PublishedDataset))
            assert dataset.pilot_id == pilot_id and dataset.city_id == people["leuven_city"]
            assert (dataset.title_nl, dataset.title_en) == (DATASET_FORM["title_nl"], DATASET_FORM["title_en"])
            assert (dataset.description_nl, dataset.description_en) == (
                DATASET_FORM["description_nl"],
                DATASET_FORM["description_en"],
            )
            assert dataset.access_url == DATASET_FORM["access_url"]
            assert dataset.download_url == DATASET_FORM["download_url"]
            assert (dataset.file_type, dataset.licence, dataset.theme, dataset.frequency) == (
                "RDF_TURTLE",
                LICENCE_MODELLICENTIE,
                "TRAN",
                "CONT",
            )
            assert dataset.realtime is True and dataset.conforms_to == "DATEX II"
            assert dataset.keywords == "parkeren, realtime, DATEX II"
            assert dataset.contact_email == "opendata@leuven.be"
            assert dataset.issued == TODAY - timedelta(days=3)
            assert dataset.language == "nl" and dataset.modified is not None and dataset.checks == []
        page = client.get(f"/pilots/{pilot_id}").text
        assert "Real-time car park occupancy Leuven" in page  # the English title for an English reader
        assert "not checked yet" in page and "DATEX II" in page
        assert _actions(in_app, pilot_id)[-1] == "pilot.dataset_added"

    @pytest.mark.parametrize(
        "field,value,message",
        [
            ("access_url", "ftp://data.leuven.be/parking", "Enter a web address starting with http:// or https://."),
            ("access_url", "data.leuven.be/parking", "Enter a web address starting with http:// or https://."),
            ("download_url", "javascript:alert(1)", "Enter a web address starting with http:// or https://."),
            ("licence", LICENCE_OTHER, "Not a valid choice."),
            ("contact_email", "opendata at leuven", "Enter a valid email address."),
            ("issued", (TODAY + timedelta(days=1)).isoformat(), "The date cannot be in the future."),
            ("title_nl", "   ", "Give the dataset a Dutch title."),
        ],
    )
    def test_bad_input_is_refused_next_to_the_field(self, client, people, make_pilot, in_app, field, value, message):
        pilot_id = make_pilot()
        signed_in(client, "leuven@example.org")
        data = {**DATASET_FORM, "city_id": str(people["leuven_city"]), field: value}
        response = client.post(f"/pilots/{pilot_id}/datasets/new", data=data)
        assert response.status_code == 400
        assert f'id="{field}-error"' in response.text
        error = response.text.split(f'id="{field}-error"', 1)[1].split("</div>", 1)[0]
        assert shown(message) in error
        # What was typed stays in the form.
        for kept in ("title_en", "description_en", "conforms_to"):
            assert shown(DATASET_FORM[kept]) in response.text
        if field != "access_url":
            assert f'value="{DATASET_FORM["access_url"]}"' in response.text
        else:
            assert f'value="{shown(value)}"' in response.text
        assert _count(in_app, PublishedDataset) == 0

    def test_a_non_open_licence_is_refused_by_the_service(self, app, people, make_pilot, in_app):
        pilot_id = make_pilot()
        with in_app() as session:
            leuven = session.get(User, people["leuven"])
            data = DatasetData(
                title_nl="X",
                access_url="https://data.leuven.be/x",
                contact_email="a@leuven.be",
                theme="TRAN",
                file_type="CSV",
                licence=LICENCE_OTHER,
            )
            with pytest.raises(service.ServiceError) as refused:
                service.add_dataset(leuven, pilot_id, people["leuven_city"], data)
            assert refused.value.field == "licence"
        with app.test_request_context(headers={"Accept-Language": "en"}):
            assert str(refused.value.message) == "A published dataset needs an open licence."

    @pytest.mark.parametrize(
        "email,status",
        [
            ("leuven@example.org", 200),  # an accepted participating city
            ("gent@example.org", 200),  # the lead city
            ("lead@example.org", 200),
            ("steering@example.org", 200),
            ("kortrijk@example.org", 403),  # asked to join, not accepted yet
            ("hasselt@example.org", 403),  # not in the pilot
            ("nobody@example.org", 403),
        ],
    )
    def test_who_may_register_a_dataset(self, client, people, make_pilot, in_app, email, status):
        pilot_id = make_pilot(asking=("kortrijk",))
        signed_in(client, email)
        assert client.get(f"/pilots/{pilot_id}/datasets/new").status_code == status
        own_city = {f"{slug}@example.org": slug for slug in ("gent", "leuven", "kortrijk", "hasselt")}
        city = own_city.get(email, "leuven")
        response = client.post(f"/pilots/{pilot_id}/datasets/new", data={**DATASET_FORM, "city_id": str(people[f"{city}_city"])})
        assert response.status_code == (302 if status == 200 else 403)
        assert _count(in_app, PublishedDataset) == (1 if status == 200 else 0)

    def test_leads_register_for_any_accepted_city_and_staff_only_for_their_own(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot(cities=("leuven", "kortrijk"), asking=("aalst",))
        signed_in(client, "lead@example.org")
        form = client.get(f"/pilots/{pilot_id}/datasets/new").text
        for slug in ("gent", "leuven", "kortrijk"):
            assert f'value="{people[f"{slug}_city"]}"' in form
        assert f'value="{people["aalst_city"]}"' not in form
        signed_in(client, "leuven@example.org")
        response = client.post(f"/pilots/{pilot_id}/datasets/new", data={**DATASET_FORM, "city_id": str(people["kortrijk_city"])})
        assert response.status_code == 400 and 'id="city_id-error"' in response.text
        assert _count(in_app, PublishedDataset) == 0

    def test_editing_with_a_stale_version_is_refused(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        dataset_id = _add_dataset(in_app, people, pilot_id, "leuven")
        signed_in(client, "leuven@example.org")
        form = client.get(f"/pilots/{pilot_id}/datasets/{dataset_id}")
        assert form.status_code == 200 and 'value="Bezetting parkeergarages leuven"' in form.text
        data = {**DATASET_FORM, "city_id": str(people["leuven_city"]), "title_nl": "Nieuwe titel", "version": "1"}
        assert client.post(f"/pilots/{pilot_id}/datasets/{dataset_id}", data=data).status_code == 302
        stale = client.post(f"/pilots/{pilot_id}/datasets/{dataset_id}", data={**data, "title_nl": "Oude titel"})
        assert stale.status_code == 400
        assert "Somebody else saved this in the meantime" in stale.text
        assert 'value="Oude titel"' in stale.text  # the work is not lost
        with in_app() as session:
            dataset = session.get(PublishedDataset, dataset_id)
            assert (dataset.title_nl, dataset.version) == ("Nieuwe titel", 2)
        assert _actions(in_app, pilot_id)[-1] == "pilot.dataset_updated"

    def test_another_city_cannot_edit_a_dataset(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot(cities=("leuven", "kortrijk"))
        dataset_id = _add_dataset(in_app, people, pilot_id, "leuven")
        signed_in(client, "kortrijk@example.org")
        assert client.get(f"/pilots/{pilot_id}/datasets/{dataset_id}").status_code == 403
        data = {**DATASET_FORM, "city_id": str(people["leuven_city"]), "version": "1"}
        assert client.post(f"/pilots/{pilot_id}/datasets/{dataset_id}", data=data).status_code == 403
        with in_app() as session:
            assert session.get(PublishedDataset, dataset_id).title_nl == "Bezetting parkeergarages leuven"


class TestChecks:
    @pytest.fixture
    def checker(self, monkeypatch):
        """Replace the conformance checker; ``checker.report`` is what it answers, ``checker.calls`` what it was asked."""

        class Fake:
            def __init__(self) -> None:
                self.report: dict = PASSING
                self.calls: list[tuple[str, bool]] = []

            def __call__(self, url, realtime, frequency):
                self.calls.append((url, realtime))
                return {"url": url, **self.report}

        fake = Fake()
        monkeypatch.setattr(views, "run_checker", fake)
        return fake

    @pytest.mark.parametrize(
        "email,allowed",
        [
            ("leuven@example.org", True),  # the publishing city
            ("lead@example.org", True),
            ("steering@example.org", True),
            ("kortrijk@example.org", False),  # another city of the pilot
            ("hasselt@example.org", False),  # a city outside it
            ("nobody@example.org", False),
        ],
    )
    def test_who_may_check_a_dataset(self, client, people, make_pilot, in_app, checker, email, allowed):
        pilot_id = make_pilot(cities=("leuven", "kortrijk"))
        dataset_id = _add_dataset(in_app, people, pilot_id, "leuven")
        signed_in(client, email)
        page = client.get(f"/pilots/{pilot_id}").text
        assert (f'action="/pilots/{pilot_id}/datasets/{dataset_id}/check"' in page) is allowed
        response = client.post(f"/pilots/{pilot_id}/datasets/{dataset_id}/check")
        assert response.status_code == (302 if allowed else 403)
        assert _count(in_app, DatasetCheck) == (1 if allowed else 0)
        assert checker.calls == ([("https://data.leuven.be/parking", False)] if allowed else [])

    def test_anonymous_visitors_cannot_check(self, client, people, make_pilot, in_app, checker):
        pilot_id = make_pilot()
        dataset_id = _add_dataset(in_app, people, pilot_id, "leuven")
        response = client.post(f"/pilots/{pilot_id}/datasets/{dataset_id}/check")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert checker.calls == [] and _count(in_app, DatasetCheck) == 0

    def test_a_failed_check_is_kept_with_its_evidence_and_history_grows(self, client, people, make_pilot, in_app, checker):
        pilot_id = make_pilot()
        dataset_id = _add_dataset(in_app, people, pilot_id, "leuven")
        signed_in(client, "leuven@example.org")
        checker.report = FAILING
        response = client.post(f"/pilots/{pilot_id}/datasets/{dataset_id}/check", follow_redirects=True)
        assert response.status_code == 200
        assert "The check has started." in response.text  # run by the (immediate, in tests) background queue
        assert "fails some checks" in response.text
        assert "served over plain HTTP: http://data.leuven.be/parking" in response.text
        assert "no Access-Control-Allow-Origin header" in response.text
        assert "1 check in the history" in response.text
        with in_app() as session:
            check = session.scalar(select(DatasetCheck))
            assert check.passed is False and check.dataset_id == dataset_id
            assert check.checked_by_id == people["leuven"]
            assert [item["result"] for item in check.report["checks"]] == ["pass", "fail", "fail"]
            assert check.report["checks"][1]["evidence"] == "served over plain HTTP: http://data.leuven.be/parking"

        checker.report = PASSING
        response = client.post(f"/pilots/{pilot_id}/datasets/{dataset_id}/check", follow_redirects=True)
        assert "passes the checks" in response.text and "2 checks in the history" in response.text
        with in_app() as session:
            assert [c.passed for c in session.get(PublishedDataset, dataset_id).checks] == [True, False]  # newest first
        assert _actions(in_app, pilot_id)[-4:] == [
            "pilot.dataset_check_requested",
            "pilot.dataset_checked",
            "pilot.dataset_check_requested",
            "pilot.dataset_checked",
        ]

    def test_a_report_without_a_verdict_counts_as_failed(self, client, people, make_pilot, in_app, checker):
        pilot_id = make_pilot()
        dataset_id = _add_dataset(in_app, people, pilot_id, "leuven")
        checker.report = {"checks": [{"id": "reachable", "result": "fail", "evidence": "timed out after 5 s"}]}
        signed_in(client, "lead@example.org")
        response = client.post(f"/pilots/{pilot_id}/datasets/{dataset_id}/check", follow_redirects=True)
        assert "timed out after 5 s" in response.text
        with in_app() as session:
            assert session.scalar(select(DatasetCheck.passed)) is False


# --- updates, the calendar, query bounds, the audit log -------------------------------------------------------------


class TestUpdates:
    def test_the_lead_posts_a_markdown_update_that_is_sanitised(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        signed_in(client, "lead@example.org")
        body = "**Gent publiceert** vanaf maandag.\n\n<script>window.__xss = 1</script>\n\n[link](javascript:alert(1))"
        response = client.post(f"/pilots/{pilot_id}/updates", data={"body": body})
        assert response.status_code == 302 and response.headers["Location"].endswith("#activity")
        page = client.get(f"/pilots/{pilot_id}").text
        assert "<strong>Gent publiceert</strong>" in page
        assert "<script>window.__xss" not in page
        assert 'href="javascript:' not in page
        assert "Update by Lotte Lead" in page
        with in_app() as session:
            update = session.scalar(select(PilotUpdate))
            assert update.author_id == people["lead"] and update.body == body
        assert _actions(in_app, pilot_id)[-1] == "pilot.update_posted"

    def test_an_empty_update_is_refused(self, client, people, make_pilot, in_app):
        pilot_id = make_pilot()
        signed_in(client, "lead@example.org")
        response = client.post(f"/pilots/{pilot_id}/updates", data={"body": "   "})
        assert response.status_code == 400 and 'id="body-error"' in response.text
        assert _count(in_app, PilotUpdate) == 0

    @pytest.mark.parametrize("email", ["gent@example.org", "leuven@example.org", "nobody@example.org"])
    def test_only_leads_post_updates(self, client, people, make_pilot, in_app, email):
        pilot_id = make_pilot()
        signed_in(client, email)
        assert client.post(f"/pilots/{pilot_id}/updates", data={"body": "Hallo"}).status_code == 403
        assert _count(in_app, PilotUpdate) == 0


def test_the_calendar_feed_parses_with_one_event_per_milestone(client, people, make_pilot, in_app):
    pilot_id = make_pilot()
    dues = {
        "Startworkshop": date(2026, 2, 15),
        "Gedeeld datamodel": date(2026, 9, 30),
        "Elke stad publiceert": date(2027, 3, 31),
    }
    for title, due in dues.items():
        _add_milestone(in_app, people, pilot_id, title, due, description=f"Over {title}", per_city=title.startswith("Elke"))
    response = client.get(f"/pilots/{pilot_id}/milestones.ics")  # public, like the pilot page
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    feed = Calendar.from_ical(response.data)
    assert str(feed["version"]) == "2.0"
    events = feed.walk("VEVENT")
    assert len(events) == 3
    by_summary = {str(event["summary"]): event for event in events}
    assert set(by_summary) == {f"Realtime parkeerdata: {title}" for title in dues}
    for title, due in dues.items():
        event = by_summary[f"Realtime parkeerdata: {title}"]
        assert event.decoded("dtstart") == due
        assert event.decoded("dtend") == due + timedelta(days=1)
        assert str(event["description"]) == f"Over {title}"
        assert str(event["url"]).endswith(f"/pilots/{pilot_id}")
    assert len({str(event["uid"]) for event in events}) == 3


def test_the_calendar_of_a_pilot_without_milestones_is_empty(client, people, make_pilot):
    pilot_id = make_pilot()
    feed = Calendar.from_ical(client.get(f"/pilots/{pilot_id}/milestones.ics").data)
    assert feed.walk("VEVENT") == []


class TestQueryBounds:
    def _world(self, in_app, people, make_pilot, size: int) -> int:
        """A pilot with ``size`` milestones (half per city, with statuses), ``size`` datasets with two checks each,
        ``size + 2`` cities in all (one observer, one asking), updates; signed-in lead reads it."""
        slugs = [f"stad-{size}-{n}" for n in range(size - 2)]
        with in_app():
            for slug in slugs:
                factories.city(slug)
        pilot_id = make_pilot(cities=(), asking=())
        with in_app() as session:
            steering = session.get(User, people["steering"])
            lead = session.get(User, people["lead"])
            city_ids = [people["gent_city"]]
            for slug in slugs:
                city_id = factories.city(slug).id
                service.invite_city(steering, pilot_id, city_id, ParticipantRole.PARTICIPANT)
                city_ids.append(city_id)
            service.invite_city(steering, pilot_id, people["aalst_city"], ParticipantRole.OBSERVER)
            service.request_to_join(
                session.get(User, people["hasselt"]), pilot_id, people["hasselt_city"], ParticipantRole.PARTICIPANT
            )
            for n in range(size):
                milestone = service.add_milestone(
                    lead,
                    pilot_id,
                    MilestoneData(f"Mijlpaal {n}", TODAY + timedelta(days=n - 3), per_city=n % 2 == 1, weight=n + 1),
                )
                service.set_milestone_status(
                    lead, pilot_id, milestone.id, MilestoneStatus.DONE, city_id=people["gent_city"] if n % 2 else None
                )
            for n in range(size):
                dataset = service.add_dataset(
                    lead,
                    pilot_id,
                    city_ids[n % len(city_ids)],
                    DatasetData(
                        title_nl=f"Dataset {n}",
                        access_url=f"https://data.example/{n}",
                        contact_email="a@example.org",
                        theme="TRAN",
                        file_type="CSV",
                        licence=LICENCE_CC_BY,
                    ),
                )
                for report in (FAILING, PASSING):
                    service.check_dataset(lead, pilot_id, dataset.id, lambda url, realtime, frequency, report=report: report)
            service.post_update(lead, pilot_id, "Een **update**.")
            service.post_update(steering, pilot_id, "Nog een update.")
        return pilot_id

    @pytest.mark.parametrize("email", [None, "lead@example.org", "leuven@example.org"])
    def test_the_pilot_page_runs_a_bounded_number_of_queries(self, app, client, people, make_pilot, in_app, email):
        if email:
            signed_in(client, email)
        small = self._world(in_app, people, make_pilot, 2)
        large = self._world(in_app, people, make_pilot, 8)
        client.get(f"/pilots/{small}")  # warm up
        with count_queries(app) as few:
            assert client.get(f"/pilots/{small}").status_code == 200
        with count_queries(app) as many:
            page = client.get(f"/pilots/{large}")
        assert page.status_code == 200 and "Mijlpaal 7" in page.text and "Dataset 7" in page.text
        assert len(many) == len(few), [q.split("FROM")[-1][:60] for q in many]

    def test_the_list_runs_a_bounded_number_of_queries(self, app, client, people, make_pilot, in_app):
        def pilots(count):
            ids = [make_pilot(title=f"Pilot {count}-{n}", cities=("leuven", "kortrijk")) for n in range(count)]
            for pilot_id in ids:
                _add_milestone(in_app, people, pilot_id, "Gedeeld", TODAY, weight=2)
                _add_milestone(in_app, people, pilot_id, "Per stad", TODAY, per_city=True)
            return ids

        signed_in(client, "nobody@example.org")  # English
        pilots(2)
        client.get("/pilots")
        with count_queries(app) as few:
            assert client.get("/pilots").status_code == 200
        pilots(8)
        with count_queries(app) as many:
            listing = client.get("/pilots")
        assert listing.status_code == 200 and "10 pilots" in listing.text
        assert len(many) == len(few), [q.split("FROM")[-1][:60] for q in many]


def test_the_audit_log_records_every_change(client, people, make_pilot, in_app, monkeypatch):
    monkeypatch.setattr(views, "run_checker", lambda url, realtime, frequency=None: {"url": url, **FAILING})
    pilot_id = make_pilot()
    leuven = _participation_id(in_app, pilot_id, people["leuven_city"])
    signed_in(client, "kortrijk@example.org")
    client.post(f"/pilots/{pilot_id}/join", data={"city_id": str(people["kortrijk_city"]), "role": "participant"})
    signed_in(client, "lead@example.org")
    kortrijk = _participation_id(in_app, pilot_id, people["kortrijk_city"])
    client.post(f"/pilots/{pilot_id}/participants/{kortrijk}/accept")
    client.post(f"/pilots/{pilot_id}/participants/{leuven}/stage", data={"stage": "committed", "changed_on": ""})
    client.post(
        f"/pilots/{pilot_id}/milestones/new",
        data={"title": "Elke stad", "due_date": "2026-12-31", "per_city": "y", "weight": "1"},
    )
    with in_app() as session:
        milestone_id = session.scalar(select(Milestone.id))
    client.post(
        f"/pilots/{pilot_id}/milestones/{milestone_id}/status",
        data={"status": "blocked", "city_id": str(people["leuven_city"]), "reason": "Wacht op budget"},
    )
    client.post(f"/pilots/{pilot_id}/datasets/new", data={**DATASET_FORM, "city_id": str(people["leuven_city"])})
    with in_app() as session:
        dataset_id = session.scalar(select(PublishedDataset.id))
    client.post(f"/pilots/{pilot_id}/datasets/{dataset_id}/check")
    client.post(f"/pilots/{pilot_id}/updates", data={"body": "Goed bezig."})
    client.post(
        f"/pilots/{pilot_id}/edit",
        data={
            "title": "Realtime parkeerdata",
            "status": "completed",
            "lead_city_id": str(people["gent_city"]),
            "version": "1",
            "start_date": LONG_AGO.isoformat(),
        },
    )
    assert _actions(in_app, pilot_id) == [
        "pilot.created",
        "pilot.lead_added",
        "pilot.city_invited",
        "pilot.join_requested",
        "pilot.city_accepted",
        "pilot.stage_changed",
        "pilot.milestone_added",
        "pilot.milestone_status",
        "pilot.dataset_added",
        "pilot.dataset_check_requested",
        "pilot.dataset_checked",
        "pilot.update_posted",
        "pilot.updated",
    ]
    with in_app() as session:
        events = {e.action: e for e in session.scalars(select(AuditEvent).where(AuditEvent.object_type == "pilot"))}
        assert events["pilot.milestone_status"].actor_id == people["lead"]
        assert events["pilot.milestone_status"].details["status"] == {"from": "planned", "to": "blocked"}
        assert events["pilot.milestone_status"].details["reason"] == "Wacht op budget"
        assert events["pilot.dataset_checked"].details["passed"] is False
        assert events["pilot.join_requested"].actor_id == people["kortrijk"]
        assert "status" in events["pilot.updated"].details["fields"]
    # The pilot page shows the activity, in words.
    page = client.get(f"/pilots/{pilot_id}").text
    assert "Dataset checked" in page and "Stage of a city changed" in page
    assert "dataset_checked" not in page and "stage_changed" not in page


# --- the demo ------------------------------------------------------------------------------------------------------


def test_seed_demo_creates_the_parking_pilot_once(runner, in_app):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output

    def counts(session):
        return tuple(
            session.scalar(select(func.count(model.id)))
            for model in (Pilot, Participation, StageChange, Milestone, MilestoneCity, PublishedDataset, PilotUpdate, AuditEvent)
        )

    with in_app() as session:
        parking = session.scalar(select(Pilot).where(Pilot.title == "Realtime open parkeerdata"))
        assert parking is not None and parking.status is PilotStatus.ACTIVE
        assert [lead.email for lead in parking.leads] == ["lead@demo.local"]
        stages = {p.city.slug: p for p in parking.participants}
        for slug, on in {
            "gent": date(2017, 11, 6),
            "kortrijk": date(2017, 11, 20),
            "leuven": date(2017, 12, 4),
            "sint-niklaas": date(2017, 12, 18),
        }.items():
            assert stages[slug].accepted and stages[slug].stage is Stage.PUBLISHED, slug
            assert stages[slug].stage_changes[-1].stage is Stage.PUBLISHED
            assert stages[slug].stage_changes[-1].changed_on == on
        assert stages["gent"].role is ParticipantRole.LEAD
        datasets = {d.city.slug: d for d in parking.datasets}
        assert {"gent", "kortrijk", "leuven", "sint-niklaas"} <= set(datasets)
        for dataset in datasets.values():
            assert dataset.conforms_to == "DATEX II"
            assert dataset.licence == LICENCE_MODELLICENTIE
            assert dataset.realtime and dataset.access_url.startswith("https://")
        assert 0 < service.pilot_progress(parking) < 100
        per_city = next(m for m in parking.milestones if m.per_city)
        done = {row.city.slug for row in per_city.city_statuses if row.status is MilestoneStatus.DONE}
        assert {"gent", "kortrijk", "leuven", "sint-niklaas"} <= done
        before = counts(session)

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    with in_app() as session:
        assert counts(session) == before


@pytest.mark.parametrize(
    "url",
    [
        'https://example.org/"><svg/onload=alert(1)>',
        "https://example.org/parking data.json",
        "https://example.org/parkeergarages-ü.json",
        "https://example.org:99999/parking",
        "https://example.org/{id}",
    ],
)
def test_an_address_that_is_not_an_rfc_3986_uri_is_refused(client, people, make_pilot, in_app, url):
    """Regression (issue 11): only the scheme, the host and spaces were checked; such an address then broke the
    API's ``format: uri`` and vanished from the catalogue."""
    pilot_id = make_pilot()
    signed_in(client, "leuven@example.org")
    response = client.post(
        f"/pilots/{pilot_id}/datasets/new", data={**DATASET_FORM, "city_id": str(people["leuven_city"]), "access_url": url}
    )
    assert response.status_code == 400
    error = response.text.split('id="access_url-error"', 1)[1].split("</div>", 1)[0]
    assert "percent-encoded" in error or "http://" in error
    assert _count(in_app, PublishedDataset) == 0
