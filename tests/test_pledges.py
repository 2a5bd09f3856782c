"""Pledges (issue 15): between the close of voting and the confirmation of the selection, each city's staff say for
each challenge of the ballot whether their city would take part; the committee sees the answers when it confirms."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from pilots.models import AuditEvent, Pledge, Round, RoundPhase, User
from pilots.services import pledges, voting
from pilots.services.errors import Forbidden, ServiceError
from tests.conftest import count_queries
from tests.voting_world import signed_in

# (Gent's scores highest), and a staff member of Gent who does not vote.


def _page(response) -> str:
    return re.sub(r"\s+", " ", response.text)


def _pledges(in_app, round_id) -> dict[tuple[str, int], bool]:
    with in_app() as session:
        rows = session.execute(select(Pledge).where(Pledge.round_id == round_id)).scalars().all()
        return {(p.city.slug, p.challenge_id): p.taking_part for p in rows}


def _events(in_app, round_id) -> list[AuditEvent]:
    with in_app() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "round.pledged", AuditEvent.object_id == str(round_id))
        ).all()
        session.expunge_all()
        return list(events)


def _answer(in_app, world, round_id, slug: str, answers: dict[str, bool]) -> None:
    """The city ``slug``'s voter answers, through the service: {proposing city's slug: taking part}."""
    with in_app() as session:
        pledges.pledge_all(
            session.get(User, world[slug]),
            round_id,
            world[f"{slug}_city"],
            {world[f"{proposer}_challenge"]: taking_part for proposer, taking_part in answers.items()},
        )


class TestAnswering:
    def test_city_staff_answer_for_their_city_and_can_change_it(self, client, world, make_round, in_app):
        round_id = make_round(RoundPhase.CLOSED)
        signed_in(client, "gent-staff@example.org")  # staff of Gent, not a voter: taking part is not voting
        page = _page(client.get(f"/rounds/{round_id}/pledges"))
        assert f'action="/rounds/{round_id}/pledges/gent"' in page
        assert "/pledges/leuven" not in page and "/pledges/kortrijk" not in page
        for slug in ("gent", "leuven", "kortrijk"):
            assert f"Uitdaging van {slug.title()}" in page  # titles, not ids
            assert f'name="pledge-{world[f"{slug}_challenge"]}"' in page
        assert "(rank" not in page  # before publication a city does not see the ranking

        data = {
            f"pledge-{world['gent_challenge']}": "yes",
            f"pledge-{world['leuven_challenge']}": "no",
        }
        response = client.post(f"/rounds/{round_id}/pledges/gent", data=data)
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/rounds/{round_id}/pledges#pledge-gent")
        assert _pledges(in_app, round_id) == {("gent", world["gent_challenge"]): True, ("gent", world["leuven_challenge"]): False}
        [event] = _events(in_app, round_id)
        assert event.actor_id == world["gent_staff"]
        assert event.details == {
            "city_id": world["gent_city"],
            "pledges": {
                str(world["gent_challenge"]): {"from": None, "to": True},
                str(world["leuven_challenge"]): {"from": None, "to": False},
            },
        }
        # The answers stay checked on the page.
        page = client.get(f"/rounds/{round_id}/pledges").text
        assert re.search(rf'name="pledge-{world["gent_challenge"]}" id="[^"]+-yes" value="yes" checked', page)
        assert re.search(rf'name="pledge-{world["leuven_challenge"]}" id="[^"]+-no" value="no" checked', page)

        # An upsert: Leuven's challenge changes its answer, Kortrijk's is new, Gent's is the same and not recorded again.
        data = {
            f"pledge-{world['gent_challenge']}": "yes",
            f"pledge-{world['leuven_challenge']}": "yes",
            f"pledge-{world['kortrijk_challenge']}": "no",
        }
        assert client.post(f"/rounds/{round_id}/pledges/gent", data=data).status_code == 302
        assert _pledges(in_app, round_id) == {
            ("gent", world["gent_challenge"]): True,
            ("gent", world["leuven_challenge"]): True,
            ("gent", world["kortrijk_challenge"]): False,
        }
        events = _events(in_app, round_id)
        assert len(events) == 2
        assert events[1].details["pledges"] == {
            str(world["leuven_challenge"]): {"from": False, "to": True},
            str(world["kortrijk_challenge"]): {"from": None, "to": False},
        }
        # The same answers again: nothing changes, nothing is recorded.
        assert client.post(f"/rounds/{round_id}/pledges/gent", data=data).status_code == 302
        assert len(_events(in_app, round_id)) == 2

    def test_two_staff_of_one_city_answering_at_once_overwrite_nothing(self, app, client, world, make_round, in_app):
        round_id = make_round(RoundPhase.CLOSED)
        leuven, kortrijk = world["leuven_challenge"], world["kortrijk_challenge"]
        other = app.test_client()
        signed_in(client, "gent@example.org")
        signed_in(other, "gent-staff@example.org")
        first, second = client.get(f"/rounds/{round_id}/pledges").text, other.get(f"/rounds/{round_id}/pledges").text

        def form(page: str, answers: dict[int, str]) -> dict[str, str]:
            """What the browser sends: the hidden answers the page was opened with, and the radios checked."""
            seen = dict(re.findall(r'name="seen-(\d+)" value="(\w*)"', page))
            return {f"seen-{cid}": value for cid, value in seen.items()} | {f"pledge-{cid}": v for cid, v in answers.items()}

        # The voter says Gent takes part in Leuven's pilot; the staff member, on a page opened before, answers
        # Kortrijk's only: both answers stand.
        assert client.post(f"/rounds/{round_id}/pledges/gent", data=form(first, {leuven: "yes"})).status_code == 302
        assert other.post(f"/rounds/{round_id}/pledges/gent", data=form(second, {kortrijk: "no"})).status_code == 302
        assert _pledges(in_app, round_id) == {("gent", leuven): True, ("gent", kortrijk): False}
        # Now the staff member, still on the old page, changes Leuven's answer the voter gave: refused, not overwritten.
        response = other.post(f"/rounds/{round_id}/pledges/gent", data=form(second, {leuven: "no", kortrijk: "no"}))
        assert response.status_code == 400
        assert "Somebody else saved this in the meantime" in response.text
        assert _pledges(in_app, round_id) == {("gent", leuven): True, ("gent", kortrijk): False}
        # The refused page shows what was typed and starts from what is stored now: saving it again is deliberate.
        assert re.search(rf'name="seen-{leuven}" value="yes"', response.text)
        assert other.post(f"/rounds/{round_id}/pledges/gent", data=form(response.text, {leuven: "no"})).status_code == 302
        assert _pledges(in_app, round_id)[("gent", leuven)] is False

    def test_the_service_upserts_one_answer(self, world, make_round, in_app):
        round_id = make_round(RoundPhase.PUBLISHED)
        with in_app() as session:
            voter = session.get(User, world["leuven"])
            first = pledges.pledge(voter, round_id, world["leuven_city"], world["gent_challenge"], True)
            again = pledges.pledge(voter, round_id, world["leuven_city"], world["gent_challenge"], False)
            assert first.id == again.id and again.taking_part is False and again.updated_by_id == voter.id
            assert session.scalar(select(func.count(Pledge.id))) == 1
        assert [e.details["pledges"] for e in _events(in_app, round_id)] == [
            {str(world["gent_challenge"]): {"from": None, "to": True}},
            {str(world["gent_challenge"]): {"from": True, "to": False}},
        ]

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"pledge-{gent}": "maybe"}, "Answer yes or no."),
            ({}, "Answer yes or no for at least one challenge."),
            ({"pledge-{gent}": ""}, "Answer yes or no for at least one challenge."),
        ],
    )
    def test_a_wrong_answer_is_refused_and_nothing_is_saved(self, client, world, make_round, in_app, data, message):
        round_id = make_round(RoundPhase.CLOSED)
        signed_in(client, "gent@example.org")
        posted = {name.format(gent=world["gent_challenge"]): value for name, value in data.items()}
        posted[f"pledge-{world['leuven_challenge']}"] = "yes" if data.get("pledge-{gent}") == "maybe" else ""
        response = client.post(f"/rounds/{round_id}/pledges/gent", data=posted)
        assert response.status_code == 400
        assert message in response.text
        assert _pledges(in_app, round_id) == {}
        if data.get("pledge-{gent}") == "maybe":  # the other answer typed is kept, the wrong one marked
            page = response.text
            assert re.search(rf'name="pledge-{world["leuven_challenge"]}" id="[^"]+-yes" value="yes" checked', page)
            assert f'id="pledge-gent-{world["gent_challenge"]}-error"' in page
            assert 'aria-invalid="true"' in page

    def test_the_post_needs_its_csrf_token(self, client, world, make_round, in_app):
        round_id = make_round(RoundPhase.CLOSED)
        signed_in(client, "gent@example.org")
        response = client.post(f"/rounds/{round_id}/pledges/gent", data={f"pledge-{world['gent_challenge']}": "yes"}, csrf=False)
        assert response.status_code == 400
        assert _pledges(in_app, round_id) == {}


class TestWhoMay:
    def test_gent_cannot_answer_for_leuven(self, client, world, make_round, in_app):
        round_id = make_round(RoundPhase.CLOSED)
        for email in ("gent@example.org", "gent-staff@example.org"):
            signed_in(client, email)
            response = client.post(f"/rounds/{round_id}/pledges/leuven", data={f"pledge-{world['gent_challenge']}": "yes"})
            assert response.status_code == 403
            client.logout()
        assert _pledges(in_app, round_id) == {}
        with in_app() as session:
            gent = session.get(User, world["gent"])
            round_ = session.get(Round, round_id)
            assert pledges.can_pledge(gent, round_, world["gent_city"])
            assert not pledges.can_pledge(gent, round_, world["leuven_city"])
            with pytest.raises(Forbidden):
                pledges.pledge(gent, round_id, world["leuven_city"], world["gent_challenge"], True)
        assert _pledges(in_app, round_id) == {}

    def test_the_committee_does_not_answer_for_a_city(self, client, world, make_round, in_app):
        round_id = make_round(RoundPhase.CLOSED)
        signed_in(client, "steering@example.org")
        assert (
            client.post(f"/rounds/{round_id}/pledges/gent", data={f"pledge-{world['gent_challenge']}": "yes"}).status_code == 403
        )
        assert "/pledges/gent" not in client.get(f"/rounds/{round_id}/pledges").text

    def test_anonymous_visitors_sign_in_first(self, client, world, make_round, in_app):
        round_id = make_round(RoundPhase.CLOSED)
        for response in (
            client.get(f"/rounds/{round_id}/pledges"),
            client.post(f"/rounds/{round_id}/pledges/gent", data={f"pledge-{world['gent_challenge']}": "yes"}),
        ):
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert _pledges(in_app, round_id) == {}

    @pytest.mark.parametrize("phase", [RoundPhase.PROPOSALS_OPEN, RoundPhase.VOTING_OPEN])
    def test_not_before_voting_closes(self, client, world, make_round, in_app, phase):
        round_id = make_round(phase)
        with in_app() as session, pytest.raises(ServiceError) as refused:
            pledges.pledge(session.get(User, world["gent"]), round_id, world["gent_city"], world["gent_challenge"], True)
        assert "once voting has closed" in str(refused.value.message)
        signed_in(client, "gent@example.org")
        page = _page(client.get(f"/rounds/{round_id}/pledges"))
        assert "Cities say whether they take part once voting has closed." in page and "/pledges/gent" not in page
        assert f'href="/rounds/{round_id}/pledges"' not in client.get(f"/rounds/{round_id}").text

    def test_not_after_the_selection_is_confirmed(self, client, world, make_round, in_app):
        round_id = make_round(RoundPhase.PUBLISHED)
        _answer(in_app, world, round_id, "gent", {"leuven": True})
        with in_app() as session:
            voting.confirm_selection(session.get(User, world["steering"]), round_id, [world["gent_challenge"]], "")
            with force_locale("en"):
                with pytest.raises(ServiceError) as refused:
                    pledges.pledge(session.get(User, world["gent"]), round_id, world["gent_city"], world["gent_challenge"], True)
                assert "confirmed" in str(refused.value.message)
        signed_in(client, "gent@example.org")
        response = client.post(f"/rounds/{round_id}/pledges/gent", data={f"pledge-{world['gent_challenge']}": "yes"})
        assert response.status_code == 400
        page = _page(client.get(f"/rounds/{round_id}/pledges"))
        assert "The selection of this round is confirmed" in page and 'action="/rounds' not in page.split("Answers so far")[0]
        assert "Answer of Gent" in page and "takes part" in page  # its own answers, read-only
        assert _pledges(in_app, round_id) == {("gent", world["leuven_challenge"]): True}

    def test_only_challenges_of_the_ballot(self, world, make_round, in_app):
        round_id = make_round(RoundPhase.CLOSED)
        with in_app() as session, pytest.raises(ServiceError):
            pledges.pledge(session.get(User, world["gent"]), round_id, world["gent_city"], 999_999, True)


class TestTheTally:
    def test_in_one_query(self, app, world, make_round, in_app):
        round_id = make_round(RoundPhase.PUBLISHED)
        _answer(in_app, world, round_id, "leuven", {"gent": True, "kortrijk": False})
        _answer(in_app, world, round_id, "gent", {"gent": True, "leuven": True})
        _answer(in_app, world, round_id, "kortrijk", {"gent": False})
        with in_app() as session:
            round_ = session.get(Round, round_id)
            with count_queries(app) as queries:
                tally = pledges.tally(round_)
            assert len(queries) == 1
        assert tally[world["gent_challenge"]] == pledges.Tally(["Gent", "Leuven"], ["Kortrijk"])
        assert tally[world["leuven_challenge"]] == pledges.Tally(["Gent"], [])
        assert tally[world["kortrijk_challenge"]] == pledges.Tally([], ["Leuven"])

    def test_the_confirmation_page_shows_who_takes_part(self, client, world, make_round, in_app):
        round_id = make_round(RoundPhase.PUBLISHED)
        _answer(in_app, world, round_id, "gent", {"gent": True})
        _answer(in_app, world, round_id, "leuven", {"gent": True, "kortrijk": False})
        _answer(in_app, world, round_id, "kortrijk", {"gent": False})
        signed_in(client, "steering@example.org")
        page = _page(client.get(f"/rounds/{round_id}/confirm/selection"))
        gent = page[page.index(f'data-testid="pledges-{world["gent_challenge"]}"') :]
        assert gent.split("</div>")[0].endswith("Gent, Leuven will take part; Kortrijk will not.")
        kortrijk = page[page.index(f'data-testid="pledges-{world["kortrijk_challenge"]}"') :]
        assert kortrijk.split("</div>")[0].endswith("Leuven will not take part.")
        leuven = page[page.index(f'data-testid="pledges-{world["leuven_challenge"]}"') :]
        assert leuven.split("</div>")[0].endswith("No city has said yet whether it will take part.")
        # Each checkbox is described by its challenge's answers.
        assert re.search(rf'aria-describedby="pledges-{world["gent_challenge"]}"[^>]*value="{world["gent_challenge"]}"', page)
        assert f'href="/rounds/{round_id}/pledges"' in page

    def test_a_city_sees_the_counts_and_the_names_come_with_the_results(self, client, world, make_round, in_app):
        round_id = make_round(RoundPhase.CLOSED)
        _answer(in_app, world, round_id, "gent", {"leuven": True, "kortrijk": False})
        _answer(in_app, world, round_id, "kortrijk", {"leuven": True})
        signed_in(client, "leuven@example.org")
        page = _page(client.get(f"/rounds/{round_id}/pledges"))
        assert "Gent" not in page.split("Answers so far")[1].replace("Uitdaging van Gent", "")  # no names yet
        row = page[page.index(f'href="/challenges/{world["leuven_challenge"]}"') :].split("</tr>")[0]
        assert '<td class="text-end">2</td> <td class="text-end">0</td>' in row
        client.logout()
        signed_in(client, "steering@example.org")  # the committee sees the result, so the names, once voting closed
        page = _page(client.get(f"/rounds/{round_id}/pledges"))
        assert "Gent, Kortrijk will take part." in page
        assert "(rank 1)" in page  # and the ranking
        with in_app() as session:
            voting.advance(session.get(User, world["steering"]), round_id, RoundPhase.CLOSED)
        client.logout()
        signed_in(client, "leuven@example.org")
        assert "Gent, Kortrijk will take part." in _page(client.get(f"/rounds/{round_id}/pledges"))

    def test_the_round_page_links_to_the_pledges_once_closed(self, client, world, make_round, in_app):
        round_id = make_round(RoundPhase.CLOSED)
        signed_in(client, "gent@example.org")
        page = client.get(f"/rounds/{round_id}").text
        assert f'href="/rounds/{round_id}/pledges"' in page and "Say whether your city takes part" in page
        client.logout()
        signed_in(client, "steering@example.org")
        page = client.get(f"/rounds/{round_id}").text
        assert f'href="/rounds/{round_id}/pledges"' in page and "Who takes part" in page
