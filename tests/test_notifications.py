"""Notifications (issue 13): who hears of what, and who does not; the centre; preferences; follows; e-mail.

The e-mails land in the locmem outbox: the testing queue runs the e-mail job as soon as the decision commits.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from pilots.models import CityRole, Delivery, MilestoneStatus, Notification, ParticipantRole, PilotStatus, RoundPhase, User
from pilots.models import voting as voting_models
from pilots.services import challenges, notifications, voting, workspaces
from pilots.services.challenges import ChallengeData, DatasetData
from pilots.services.notifications import Kind
from pilots.services.workspaces import PilotData
from tests import factories
from tests.conftest import PASSWORD, count_queries
from tests.voting_world import fill_ballots

pytestmark = pytest.mark.usefixtures("app")


def inbox(in_app, user_id: int) -> list[tuple[str, str]]:
    with in_app() as session:
        rows = session.execute(
            select(Notification.kind, Notification.link).where(Notification.user_id == user_id).order_by(Notification.id)
        )
        return [(kind, link) for kind, link in rows]


def kinds(in_app, user_id: int) -> list[str]:
    return [kind for kind, _ in inbox(in_app, user_id)]


def m_subject(message) -> str:
    return str(message.subject)


def recipients(message) -> list[str]:
    return [address.rsplit("<", 1)[-1].rstrip(">") for address in message.to]


@pytest.fixture
def people(make_user, in_app):
    ids = {
        "steering": make_user("steering@example.org", name="Stijn Stuur", is_steering=True, locale="en"),
        "gent": make_user("gent@example.org", name="Gerda Gent", city="gent", locale="en"),
        "gent_staff": make_user("gent2@example.org", name="Geert Gent", city="gent", role=CityRole.STAFF),
        "leuven": make_user("leuven@example.org", name="Lien Leuven", city="leuven"),
        "kortrijk": make_user("kortrijk@example.org", name="Koen Kortrijk", city="kortrijk"),
        "nobody": make_user("nobody@example.org", name="No City"),
        "gone": make_user("gone@example.org", name="Gone Gent", city="gent", active=False),
    }
    with in_app():
        for slug in ("gent", "leuven", "kortrijk"):
            ids[f"{slug}_city"] = factories.city(slug).id
    return ids


def new_challenge(in_app, people, *, submit: bool = True) -> int:
    with in_app() as session:
        author = session.get(User, people["gent"])
        challenge = challenges.create_challenge(
            author, people["gent_city"], ChallengeData("Parkeerdata", "Samenvatting.", "", "TRAN", "", 2026)
        )
        challenges.add_dataset(author, challenge.id, DatasetData(title="Data", holder_city_id=people["gent_city"]))
        if submit:
            challenges.submit(author, challenge.id)
        return challenge.id


def as_user(in_app, user_id):
    from contextlib import contextmanager

    @contextmanager
    def block():
        with in_app() as session:
            yield session, session.get(User, user_id)

    return block()


class TestChallengeEvents:
    def test_screening_tells_the_proposing_citys_staff_only(self, in_app, people, outbox):
        challenge_id = new_challenge(in_app, people)
        with as_user(in_app, people["steering"]) as (_, steering):
            challenges.screen(steering, challenge_id, False, "Te breed.")
        for who in ("gent", "gent_staff"):
            assert inbox(in_app, people[who]) == [("challenge_screened", f"/challenges/{challenge_id}")]
        for who in ("leuven", "kortrijk", "nobody", "steering", "gone"):
            assert inbox(in_app, people[who]) == []
        english = next(m for m in outbox if recipients(m) == ["gent@example.org"])
        assert english.subject == "Datapilots: Your city's challenge is screened"
        assert "Parkeerdata is not eligible for the vote; the reason is on its page." in english.body
        assert f"http://localhost:5000/challenges/{challenge_id}" in english.body
        assert "http://localhost:5000/notifications/preferences" in english.body
        dutch = next(m for m in outbox if recipients(m) == ["gent2@example.org"])
        assert "Parkeerdata komt niet in aanmerking voor de stemming" in dutch.body

    def test_a_comment_reaches_followers_but_not_its_author_nor_others(self, in_app, people):
        challenge_id = new_challenge(in_app, people)
        with as_user(in_app, people["kortrijk"]) as (_, kortrijk):
            challenges.cosponsor(kortrijk, challenge_id, people["kortrijk_city"], "")
        with as_user(in_app, people["nobody"]) as (_, nobody):
            notifications.follow(nobody, challenges.get_challenge(challenge_id), True)
        with as_user(in_app, people["gent_staff"]) as (_, staff):
            notifications.follow(staff, challenges.get_challenge(challenge_id), False)  # stops the automatic follow
        with as_user(in_app, people["leuven"]) as (_, leuven):
            comment_id = challenges.add_comment(leuven, challenge_id, "Leuven heeft dit ook.").id
        link = f"/challenges/{challenge_id}#comment-{comment_id}"
        assert ("comment", link) in inbox(in_app, people["gent"])  # the proposing city
        assert ("comment", link) in inbox(in_app, people["kortrijk"])  # a co-sponsor
        assert ("comment", link) in inbox(in_app, people["nobody"])  # chose to follow
        assert "comment" not in kinds(in_app, people["gent_staff"])  # chose not to
        assert kinds(in_app, people["leuven"]) == []  # the author
        assert kinds(in_app, people["steering"]) == []

    def test_a_cosponsorship_tells_the_proposing_city(self, in_app, people):
        challenge_id = new_challenge(in_app, people)
        with as_user(in_app, people["kortrijk"]) as (_, kortrijk):
            challenges.cosponsor(kortrijk, challenge_id, people["kortrijk_city"], "Ook bij ons.")
        assert kinds(in_app, people["gent"]) == ["cosponsored"]
        assert kinds(in_app, people["kortrijk"]) == []

    def test_a_draft_cannot_be_followed(self, in_app, people, client):
        challenge_id = new_challenge(in_app, people, submit=False)
        client.login("leuven@example.org")
        assert client.post(f"/notifications/follow/challenge/{challenge_id}", data={"follow": "1"}).status_code == 404
        client.logout()
        client.login("gent@example.org")
        response = client.post(f"/notifications/follow/challenge/{challenge_id}", data={"follow": "1"}, follow_redirects=True)
        assert "Only submitted challenges can be followed." in response.text  # Gerda reads English


class TestRoundEvents:
    def test_voting_opens_for_each_citys_voters_with_a_link_to_their_ballot(self, in_app, world, make_round, outbox):
        round_id = make_round(RoundPhase.VOTING_OPEN)
        for slug in ("gent", "leuven", "kortrijk"):
            voting_open = [item for item in inbox(in_app, world[slug]) if item[0] == "voting_open"]
            assert voting_open == [("voting_open", f"/rounds/{round_id}/ballots/{slug}")]
        assert "voting_open" not in kinds(in_app, world["gent_staff"])  # staff who do not vote
        assert kinds(in_app, world["steering"]) == []  # the actor
        gent = next(m for m in outbox if recipients(m) == ["gent@example.org"] and "Voting" in m.subject)
        assert m_subject(gent) == "Datapilots: Voting opens"
        assert "Voting on the 2026 challenges is open: the ballot of Gent is waiting." in gent.body

    def test_published_results_reach_everyone_involved(self, in_app, world, make_round):
        round_id = make_round(RoundPhase.PUBLISHED)
        for who in ("gent", "gent_staff", "leuven"):
            assert ("results_published", f"/rounds/{round_id}/results") in inbox(in_app, world[who])
        # Closing the round told nobody anything: the committee sees the result first, the cities after publication.
        with in_app() as session:
            assert session.scalar(select(func.count()).where(Notification.kind == "results_published")) == 4

    def test_proposals_open_reaches_everyone_involved_and_an_unfollowed_round_stays_silent(
        self,
        in_app,
        world,
        make_round,
        make_user,
        client,
    ):
        outsider = make_user("outsider@example.org", locale="en")  # no city, not on the committee
        round_id = make_round(RoundPhase.DRAFT)
        with as_user(in_app, world["leuven"]) as (session, leuven):
            notifications.follow(leuven, session.get(voting_models.Round, round_id), False)
        client.login("outsider@example.org")
        assert ">Follow</button>" in client.get(f"/rounds/{round_id}").text
        response = client.post(f"/notifications/follow/round/{round_id}", data={"follow": "1"}, follow_redirects=True)
        assert "You follow this round." in response.text and ">Unfollow</button>" in response.text
        with as_user(in_app, world["steering"]) as (_, steering):
            voting.advance(steering, round_id, RoundPhase.DRAFT)
        for who in ("gent", "gent_staff", "kortrijk"):
            assert [item for item in inbox(in_app, world[who]) if item[0] == "proposals_open"] == [
                ("proposals_open", f"/rounds/{round_id}")
            ]
        assert inbox(in_app, outsider) == [("proposals_open", f"/rounds/{round_id}")]
        assert "proposals_open" not in kinds(in_app, world["leuven"])  # unfollowed
        with as_user(in_app, world["steering"]) as (_, steering):
            voting.advance(steering, round_id, RoundPhase.PROPOSALS_OPEN)
        assert "voting_open" in kinds(in_app, world["gent"])
        assert "voting_open" not in kinds(in_app, world["leuven"])  # Leuven's voter stopped following the round
        assert "voting_open" not in kinds(in_app, outsider)  # a ballot is its city's voters' business

    def test_the_round_follow_route_needs_a_round(self, client, world):
        client.login("gent@example.org")
        assert client.post("/notifications/follow/round/999", data={"follow": "1"}).status_code == 404
        assert client.post("/notifications/follow/nothing/1", data={"follow": "1"}).status_code == 404


class TestPilotEvents:
    @pytest.fixture
    def pilot_id(self, in_app, people, make_user):
        people["lead"] = make_user("lead@example.org", name="Lotte Lead", locale="en")
        with as_user(in_app, people["steering"]) as (_, steering):
            pilot = workspaces.create_pilot(
                steering,
                PilotData("Parkeren", "Samen.", people["gent_city"], PilotStatus.ACTIVE, date(2026, 1, 1), date(2026, 12, 31)),
            )
            workspaces.add_lead(steering, pilot.id, "lead@example.org")
            return pilot.id

    def test_a_dataset_failing_twice_tells_its_city_and_the_leads_once_and_its_recovery_too(
        self, in_app, people, pilot_id, outbox
    ):
        with as_user(in_app, people["lead"]) as (_, lead):  # Gent leads the pilot: it takes part
            dataset_id = workspaces.add_dataset(
                lead,
                pilot_id,
                people["gent_city"],
                factories.parking_dataset("Bezetting parkings", "Car park occupancy"),
            ).id

        def run(*failing):
            def checker(url, realtime, frequency):
                checks = [{"id": i, "result": "fail" if i in failing else "pass"} for i in ("https", "cors")]
                return {"url": url, "passed": not failing, "checks": checks}

            with in_app():
                workspaces.check_dataset(None, pilot_id, dataset_id, checker)
            return [kinds(in_app, people[who]).count("dataset_failing") for who in ("gent", "lead")]

        assert run("https") == [0, 0]  # once may be a blip
        assert run("https") == [1, 1]  # twice in a row: the city and the lead hear it
        assert run("https") == [1, 1]  # not again while it lasts
        run()
        link = f"/pilots/{pilot_id}/datasets/{dataset_id}/history"
        for who in ("gent", "gent_staff", "lead"):
            assert ("dataset_recovered", link) in inbox(in_app, people[who])
        for who in ("leuven", "steering", "nobody"):
            assert not {"dataset_failing", "dataset_recovered"} & set(kinds(in_app, people[who]))
        english = next(m for m in outbox if recipients(m) == ["gent@example.org"] and "twice" in str(m.subject))
        assert "Car park occupancy of Gent failed the same checks on two runs in a row: https." in english.body
        dutch = next(m for m in outbox if recipients(m) == ["gent2@example.org"] and "Bezetting" in m.body)
        assert "Bezetting parkings van Gent" in dutch.body

    def test_a_join_request_tells_the_leads_and_the_answer_tells_the_city(self, in_app, people, pilot_id):
        with as_user(in_app, people["leuven"]) as (_, leuven):
            participation = workspaces.request_to_join(leuven, pilot_id, people["leuven_city"], ParticipantRole.PARTICIPANT)
            participation_id = participation.id
        assert inbox(in_app, people["lead"]) == [("join_requested", f"/pilots/{pilot_id}#cities")]
        assert kinds(in_app, people["steering"]) == [] and kinds(in_app, people["gent"]) == []
        with as_user(in_app, people["lead"]) as (_, lead):
            workspaces.accept(lead, pilot_id, participation_id)
        assert inbox(in_app, people["leuven"]) == [("join_accepted", f"/pilots/{pilot_id}")]
        assert kinds(in_app, people["kortrijk"]) == []

    def test_a_pilot_update_reaches_its_followers_but_not_its_author(self, in_app, people, pilot_id, client):
        with as_user(in_app, people["lead"]) as (_, lead):
            workspaces.invite_city(lead, pilot_id, people["kortrijk_city"], ParticipantRole.PARTICIPANT)
        with as_user(in_app, people["kortrijk"]) as (_, kortrijk):
            notifications.follow(kortrijk, workspaces.get_pilot(pilot_id), False)
        client.login("nobody@example.org")
        page = client.get(f"/pilots/{pilot_id}").text
        assert f'action="/notifications/follow/pilot/{pilot_id}"' in page and ">Volgen</button>" in page
        response = client.post(f"/notifications/follow/pilot/{pilot_id}", data={"follow": "1"}, follow_redirects=True)
        assert "Je volgt deze pilot." in response.text
        with as_user(in_app, people["lead"]) as (_, lead):
            workspaces.post_update(lead, pilot_id, "De eerste parkings zijn live.")
        link = f"/pilots/{pilot_id}#activity"
        for who in ("gent", "gent_staff", "nobody"):  # the lead city's staff, and who chose to follow
            assert inbox(in_app, people[who]) == [("pilot_update", link)]
        for who in ("lead", "kortrijk", "leuven", "steering", "gone"):  # the author, who unfollowed, outsiders
            assert "pilot_update" not in kinds(in_app, people[who])
        client.logout()
        client.login("gent@example.org")
        assert "Lotte Lead posted an update in the pilot Parkeren." in client.get("/notifications").text

    def test_milestones_due_within_a_week_or_overdue_are_announced_once_per_due_date(self, in_app, people, pilot_id):
        today = date(2026, 6, 1)
        with as_user(in_app, people["lead"]) as (_, lead):
            workspaces.invite_city(lead, pilot_id, people["kortrijk_city"], ParticipantRole.PARTICIPANT)
            soon = workspaces.add_milestone(lead, pilot_id, workspaces.MilestoneData("Live", today + timedelta(days=7))).id
            late = workspaces.add_milestone(
                lead, pilot_id, workspaces.MilestoneData("Publiceren", today - timedelta(days=1), per_city=True)
            ).id
            later = workspaces.add_milestone(lead, pilot_id, workspaces.MilestoneData("Later", today + timedelta(days=8))).id
            done = workspaces.add_milestone(lead, pilot_id, workspaces.MilestoneData("Klaar", today - timedelta(days=3))).id
            workspaces.set_milestone_status(lead, pilot_id, done, MilestoneStatus.DONE, completed_on=today)
            workspaces.set_milestone_status(
                lead, pilot_id, late, MilestoneStatus.DONE, city_id=people["gent_city"], completed_on=today
            )
        with in_app():
            workspaces.remind_milestones(today)
        due, overdue = f"/pilots/{pilot_id}#milestone-{soon}", f"/pilots/{pilot_id}#milestone-{late}"
        # The shared milestone: the lead city (Gent) and the lead. The per-city one: Kortrijk, not done; Gent is.
        assert inbox(in_app, people["gent"]) == [("milestone_due", due)]
        assert inbox(in_app, people["lead"]) == [("milestone_due", due), ("milestone_overdue", overdue)]
        assert inbox(in_app, people["kortrijk"]) == [("milestone_overdue", overdue)]
        for who in ("leuven", "steering", "nobody", "gone"):
            assert kinds(in_app, people[who]) == []
        with in_app():
            assert workspaces.remind_milestones(today) == 0  # once
            assert workspaces.remind_milestones(today + timedelta(days=1)) == 3  # "Later" is due within a week now
        with as_user(in_app, people["lead"]) as (_, lead):
            workspaces.update_milestone(
                lead, pilot_id, soon, workspaces.MilestoneData("Live", today + timedelta(days=5)), expected_version=None
            )
        with in_app():
            assert workspaces.remind_milestones(today + timedelta(days=1)) == 3  # moved: announced anew
        with as_user(in_app, people["lead"]) as (_, lead):
            workspaces.update_pilot(
                lead,
                pilot_id,
                PilotData("Parkeren", "Samen.", people["gent_city"], PilotStatus.COMPLETED, date(2026, 1, 1), date(2026, 12, 31)),
                expected_version=None,
            )
        with in_app():
            assert workspaces.remind_milestones(today + timedelta(days=30)) == 0  # a finished pilot is left alone
        assert ("milestone_due", f"/pilots/{pilot_id}#milestone-{later}") in inbox(in_app, people["gent_staff"])


class TestPreferencesAndDigest:
    def test_off_means_no_notification_and_daily_means_no_mail_until_the_digest(self, in_app, people, outbox):
        with as_user(in_app, people["gent"]) as (_, gent):
            notifications.set_preferences(gent, {Kind.CHALLENGE_SCREENED: Delivery.OFF})
        with as_user(in_app, people["gent_staff"]) as (_, staff):
            notifications.set_preferences(staff, {Kind.CHALLENGE_SCREENED: Delivery.DAILY})
        challenge_id = new_challenge(in_app, people)
        with as_user(in_app, people["steering"]) as (_, steering):
            challenges.screen(steering, challenge_id, True, "")
        assert kinds(in_app, people["gent"]) == []
        assert kinds(in_app, people["gent_staff"]) == ["challenge_screened"]
        assert outbox == []
        with in_app():
            assert notifications.send_digests() == 1
            assert notifications.send_digests() == 0  # sent once
        (digest,) = outbox
        assert recipients(digest) == ["gent2@example.org"]
        assert digest.subject == "Datapilots: wat er vandaag gebeurde"
        assert "Parkeerdata komt in aanmerking voor de stemming." in digest.body

    def test_an_immediate_mail_that_never_left_goes_into_the_digest(self, in_app, people, outbox, monkeypatch):
        from pilots import jobs

        def down(*args):
            raise jobs.QueueUnavailable("down")

        monkeypatch.setattr(jobs, "enqueue", down)
        challenge_id = new_challenge(in_app, people)
        with as_user(in_app, people["steering"]) as (_, steering):
            challenges.screen(steering, challenge_id, True, "")  # the decision stands although the queue is down
        assert outbox == []
        with in_app() as session:
            assert notifications.send_digests() == 0  # not yet missed: it may still leave
            for row in session.scalars(select(Notification)):
                row.created_at -= timedelta(hours=2)
            session.commit()
            assert notifications.send_digests() == 2
        assert sorted(recipients(m)[0] for m in outbox) == ["gent2@example.org", "gent@example.org"]

    def test_the_preferences_page_saves_per_kind(self, client, people, in_app):
        client.login("gent2@example.org")
        page = client.get("/notifications/preferences")
        assert "Een opmerking bij een uitdaging die je volgt" in page.text
        data = {kind.value: "immediately" for kind in Kind} | {"comment": "off", "voting_open": "daily"}
        assert client.post("/notifications/preferences", data=data).status_code == 302
        with as_user(in_app, people["gent_staff"]) as (_, staff):
            chosen = notifications.preferences(staff)
        assert chosen[Kind.COMMENT] is Delivery.OFF and chosen[Kind.VOTING_OPEN] is Delivery.DAILY
        assert chosen[Kind.JOIN_REQUESTED] is Delivery.IMMEDIATELY
        bad = client.post("/notifications/preferences", data=data | {"comment": "hourly"})
        assert bad.status_code == 400


class TestCentre:
    @pytest.fixture
    def screened(self, in_app, people) -> int:
        challenge_id = new_challenge(in_app, people)
        with as_user(in_app, people["steering"]) as (_, steering):
            challenges.screen(steering, challenge_id, True, "")
        with as_user(in_app, people["kortrijk"]) as (_, kortrijk):
            challenges.cosponsor(kortrijk, challenge_id, people["kortrijk_city"], "")
        return challenge_id

    def test_the_count_the_list_and_mark_all_read(self, client, people, screened):
        client.login("gent2@example.org")
        page = client.get("/").text
        assert 'Meldingen\n                 <span class="badge text-bg-warning">2<span class="visually-hidden"> ongelezen' in page
        listing = client.get("/notifications").text
        assert listing.count('data-testid="notification"') == 2
        assert "Kortrijk steunt Parkeerdata mee." in listing
        assert f'href="/challenges/{screened}"' in listing
        assert client.post("/notifications/read").status_code == 302
        assert "Alles is als gelezen gemarkeerd." in client.get("/notifications").text
        assert 'class="badge text-bg-warning"' not in client.get("/").text

    def test_one_notification_is_marked_read_by_its_owner_only(self, client, people, screened, in_app):
        with in_app() as session:
            theirs = session.scalar(select(Notification.id).where(Notification.user_id == people["gent"]).limit(1))
        client.login("gent2@example.org")
        assert client.post(f"/notifications/{theirs}/read").status_code == 404
        with in_app() as session:
            assert session.get(Notification, theirs).read_at is None
            mine = session.scalar(select(Notification.id).where(Notification.user_id == people["gent_staff"]).limit(1))
        assert client.post(f"/notifications/{mine}/read").status_code == 302
        with in_app() as session:
            assert session.get(Notification, mine).read_at is not None

    def test_the_count_costs_no_extra_statement(self, app, client, people, screened):
        client.login("leuven@example.org")  # no notifications
        with count_queries(app) as without:
            client.get("/account")
        client.login("gent2@example.org")  # two unread
        with count_queries(app) as with_two:
            client.get("/account")
        assert len(with_two) == len(without)

    def test_the_centre_is_for_signed_in_users(self, client):
        assert client.get("/notifications").status_code == 302
        assert client.post("/notifications/read").status_code == 302

    def test_the_challenge_page_has_a_follow_button(self, client, people, screened):
        client.login("leuven@example.org")
        page = client.get(f"/challenges/{screened}").text
        assert f'action="/notifications/follow/challenge/{screened}"' in page and ">Volgen</button>" in page
        response = client.post(f"/notifications/follow/challenge/{screened}", data={"follow": "1"}, follow_redirects=True)
        assert "Je volgt deze uitdaging." in response.text
        assert ">Niet meer volgen</button>" in response.text
        client.logout()
        client.login("gent@example.org", PASSWORD)
        assert ">Unfollow</button>" in client.get(f"/challenges/{screened}").text  # followed automatically


class TestVotingReminder:
    def test_cities_that_have_not_voted_are_reminded_once_before_the_deadline(self, in_app, world, make_round, outbox):
        round_id = make_round(RoundPhase.VOTING_OPEN)
        deadline = date(2026, 12, 10)
        with in_app() as session:
            round_ = session.get(voting_models.Round, round_id)
            round_.voting_deadline = deadline
            session.commit()
            fill_ballots(session, world, round_id, cities=("leuven",))  # Leuven voted
            assert voting.remind_voters(deadline - timedelta(days=3), days_before=2) == 0  # too early
            assert voting.remind_voters(deadline - timedelta(days=2), days_before=2) == 2
            assert voting.remind_voters(deadline - timedelta(days=1), days_before=2) == 0  # once per round and city
            assert voting.remind_voters(deadline + timedelta(days=1), days_before=2) == 0  # past the deadline
        assert [link for kind, link in inbox(in_app, world["gent"]) if kind == "voting_reminder"] == [
            f"/rounds/{round_id}/ballots/gent"
        ]
        assert "voting_reminder" in kinds(in_app, world["kortrijk"])
        assert "voting_reminder" not in kinds(in_app, world["leuven"])  # submitted
        assert "voting_reminder" not in kinds(in_app, world["gent_staff"])  # does not vote
        (gent,) = [m for m in outbox if recipients(m) == ["gent@example.org"] and "closes soon" in str(m.subject)]
        assert "The ballot of Gent for 2026 is not submitted yet: voting closes on December 10, 2026." in gent.body
