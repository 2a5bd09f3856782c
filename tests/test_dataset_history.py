"""A published dataset's history (issue: "Keep the history: a dataset page shows availability over the last 90 days
(a chart and its table) and the last change of verdict; a city's profile lists its datasets that are failing").

The service (the last change of verdict, the 90 days per Brussels day, the window's edges, a fixed number of
statements), the page for anonymous visitors and city staff (chart, table, texts in the reader's language), the link
from the pilot page, and the city profile's list of failing datasets. "Today" is fixed through
``monitoring.today``: 31 March 2026, so the window starts on 1 January (winter time) and ends in summer time.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pilots.models import CityRole, DatasetCheck, Pilot, PilotStatus, PublishedDataset
from pilots.services import monitoring
from pilots.services.errors import NotFound
from pilots.vocabularies import LICENCE_MODELLICENTIE
from tests import factories
from tests.conftest import count_queries

BRUSSELS = ZoneInfo("Europe/Brussels")
TODAY = date(2026, 3, 31)
FAILING = {
    "passed": False,
    "checks": [
        {"id": "reachable", "result": "pass", "evidence": "HTTP 200"},
        {"id": "https", "result": "fail", "evidence": "plain HTTP"},
        {"id": "cors", "result": "fail", "evidence": "no Access-Control-Allow-Origin header"},
    ],
}
PASSING = {"passed": True, "checks": [{"id": "reachable", "result": "pass", "evidence": "HTTP 200"}]}


def brussels(*args: int) -> datetime:
    return datetime(*args, tzinfo=BRUSSELS)


def nightly(day: date, hour: int = 3) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BRUSSELS)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(monitoring, "today", lambda: TODAY)


@pytest.fixture
def people(make_user, in_app):
    ids = {
        "gent": make_user("gent@example.org", name="Gerda Gent", city="gent", role=CityRole.STAFF, locale="en"),
        "leuven": make_user("leuven@example.org", name="Lucas Leuven", city="leuven", locale="en"),
    }
    with in_app():
        for slug in ("gent", "leuven"):
            ids[f"{slug}_city"] = factories.city(slug).id
    return ids


@pytest.fixture
def make_dataset(in_app, people):
    """A dataset of ``city`` in a pilot, with checks (checked_at, passed), in the order given; returns (pilot, dataset)."""

    def make(
        checks=(), city: str = "gent", title: str = "Bezetting parkeergarages", pilot_id: int | None = None
    ) -> tuple[int, int]:
        with in_app() as session:
            pilot = session.get(Pilot, pilot_id) if pilot_id else Pilot(title="Realtime parkeerdata", status=PilotStatus.ACTIVE)
            dataset = PublishedDataset(
                city_id=people[f"{city}_city"],
                title_nl=f"{title} {city.title()}",
                title_en=f"Car park occupancy {city.title()}" if title == "Bezetting parkeergarages" else "",
                contact_email=f"open@{city}.be",
                theme="TRAN",
                access_url=f"https://data.{city}.be/parking",
                file_type="RDF_TURTLE",
                licence=LICENCE_MODELLICENTIE,
            )
            for checked_at, passed in checks:
                dataset.checks.append(DatasetCheck(checked_at=checked_at, passed=passed, report=PASSING if passed else FAILING))
            pilot.datasets.append(dataset)
            session.add(pilot)
            session.commit()
            return pilot.id, dataset.id

    return make


def signed_in(client, email):
    client.logout()
    assert client.login(email).status_code == 302
    return client


def section(page: str, section_id: str) -> str:
    return page.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]


def day_row(page: str, day: date) -> list[str]:
    """The cells of a day's row in the table, as text."""
    row = re.search(rf'<tr id="day-{day.isoformat()}">(.*?)</tr>', page, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]


def figure_of(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="availability-figure">(.*?)</script>', page, re.S).group(1))


# --- the service --------------------------------------------------------------------------------------------------


class TestLastChange:
    def test_never_checked(self, in_app, make_dataset):
        pilot_id, dataset_id = make_dataset()
        with in_app():
            found = monitoring.dataset_history(pilot_id, dataset_id)
            assert found.latest is None and found.change is None and found.failing_checks == []
            assert found.availability.checked_days == 0 and len(found.availability.days) == 90

    def test_a_verdict_that_never_changed_dates_from_the_first_check(self, in_app, make_dataset):
        days = [TODAY - timedelta(days=n) for n in (200, 100, 3)]
        pilot_id, dataset_id = make_dataset([(nightly(day), True) for day in days])
        with in_app():
            change = monitoring.dataset_history(pilot_id, dataset_id).change
            assert change == monitoring.VerdictChange(nightly(days[0]), True, None) and change.first_check

    def test_the_last_flip_with_the_verdict_before_and_after(self, in_app, make_dataset):
        checks = [
            (brussels(2026, 1, 10, 3), True),
            (brussels(2026, 2, 1, 3), False),
            (brussels(2026, 2, 2, 3), False),
            (brussels(2026, 2, 3, 3), True),  # the flip back to passing
            (brussels(2026, 2, 4, 3), True),
        ]
        pilot_id, dataset_id = make_dataset(checks)
        with in_app():
            found = monitoring.dataset_history(pilot_id, dataset_id)
            assert found.latest.passed is True and found.latest.checked_at == brussels(2026, 2, 4, 3)
            assert found.change == monitoring.VerdictChange(brussels(2026, 2, 3, 3), True, brussels(2026, 2, 2, 3))
            assert not found.change.first_check

    def test_a_flip_to_failing_and_the_failing_checks(self, in_app, make_dataset):
        checks = [(brussels(2026, 3, 1, 3), False), (brussels(2026, 3, 2, 3), True), (brussels(2026, 3, 30, 3), False)]
        pilot_id, dataset_id = make_dataset(checks)
        with in_app():
            found = monitoring.dataset_history(pilot_id, dataset_id)
            assert found.change == monitoring.VerdictChange(brussels(2026, 3, 30, 3), False, brussels(2026, 3, 2, 3))
            assert found.failing_checks == ["https", "cors"]

    def test_checks_are_ordered_by_time_then_id_and_stored_out_of_order(self, in_app, make_dataset):
        """Stored in any order (a late worker): the time decides; at the same time the later row wins, as on the pilot page."""
        same = brussels(2026, 3, 20, 3)
        checks = [(brussels(2026, 3, 25, 3), True), (brussels(2026, 3, 10, 3), True), (same, False), (same, True)]
        pilot_id, dataset_id = make_dataset(checks)
        with in_app():
            found = monitoring.dataset_history(pilot_id, dataset_id)
            assert found.latest.checked_at == brussels(2026, 3, 25, 3)
            assert found.change == monitoring.VerdictChange(same, True, same)

    def test_a_flip_older_than_the_window_is_still_found(self, in_app, make_dataset):
        old = nightly(TODAY - timedelta(days=150))
        pilot_id, dataset_id = make_dataset([(old - timedelta(days=1), False), (old, True), (nightly(TODAY), True)])
        with in_app():
            found = monitoring.dataset_history(pilot_id, dataset_id)
            assert found.change.at == old and found.availability.checked_days == 1

    def test_other_datasets_do_not_count(self, in_app, make_dataset):
        pilot_id, dataset_id = make_dataset([(brussels(2026, 3, 1, 3), True)])
        make_dataset([(brussels(2026, 3, 2, 3), False), (brussels(2026, 3, 3, 3), True)], pilot_id=pilot_id, title="Andere")
        with in_app():
            assert monitoring.dataset_history(pilot_id, dataset_id).change.first_check

    def test_a_dataset_of_another_pilot_or_none_is_not_found(self, in_app, make_dataset):
        pilot_id, dataset_id = make_dataset()
        other_pilot, _ = make_dataset(city="leuven")
        with in_app():
            for pilot, dataset in ((other_pilot, dataset_id), (pilot_id, dataset_id + 100)):
                with pytest.raises(NotFound):
                    monitoring.dataset_history(pilot, dataset)


class TestAvailability:
    def test_ninety_days_with_passed_failed_mixed_and_days_without_a_check(self, in_app, make_dataset):
        checks = [(nightly(TODAY - timedelta(days=n)), True) for n in range(0, 90, 2)]  # every other day
        checks += [(nightly(TODAY - timedelta(days=10), 15), False)]  # a second check that day: passed and failed
        checks += [(nightly(TODAY - timedelta(days=4)), False), (nightly(TODAY - timedelta(days=4), 12), False)]
        pilot_id, dataset_id = make_dataset(checks)
        with in_app():
            found = monitoring.dataset_history(pilot_id, dataset_id).availability
        assert len(found.days) == 90 and found.first_day == date(2026, 1, 1) and found.last_day == TODAY
        by_day = {day.day: day for day in found.days}
        assert (by_day[TODAY].checks, by_day[TODAY].result) == (1, "passed")
        assert by_day[TODAY - timedelta(days=1)].result == "none"
        assert (by_day[TODAY - timedelta(days=10)].checks, by_day[TODAY - timedelta(days=10)].result) == (2, "mixed")
        assert (by_day[TODAY - timedelta(days=4)].checks, by_day[TODAY - timedelta(days=4)].result) == (3, "mixed")
        assert found.count("none") == 45 and found.count("mixed") == 2 and found.count("passed") == 43
        assert found.checked_days == 45 and found.available_days == 43

    def test_the_edges_of_the_window_are_midnight_in_brussels(self, in_app, make_dataset):
        """1 January 00:00 in Brussels is 31 December in UTC; 1 April 00:00 in Brussels is still 31 March in UTC."""
        checks = [
            (brussels(2025, 12, 31, 23, 59), False),  # the day before the window
            (brussels(2026, 1, 1, 0, 0), True),  # its first instant
            (brussels(2026, 3, 31, 23, 59), False),  # its last minute
            (brussels(2026, 4, 1, 0, 0), False),  # the day after (a clock ahead)
        ]
        pilot_id, dataset_id = make_dataset(checks)
        with in_app():
            found = monitoring.dataset_history(pilot_id, dataset_id).availability
        assert [(day.day, day.checks, day.passed) for day in found.days if day.checks] == [
            (date(2026, 1, 1), 1, 1),
            (TODAY, 1, 0),
        ]
        assert brussels(2026, 1, 1, 0, 0).astimezone(UTC).date() == date(2025, 12, 31)
        assert brussels(2026, 4, 1, 0, 0).astimezone(UTC).date() == date(2026, 3, 31)

    def test_the_window_ends_on_the_clocks_today(self, in_app, make_dataset, monkeypatch):
        pilot_id, dataset_id = make_dataset([(nightly(date(2026, 6, 1)), True)])
        monkeypatch.setattr(monitoring, "today", lambda: date(2026, 6, 1))
        with in_app():
            found = monitoring.dataset_history(pilot_id, dataset_id).availability
        assert found.last_day == date(2026, 6, 1) and found.first_day == date(2026, 3, 4) and found.share == 1.0

    @pytest.mark.parametrize("count", [3, 60])
    def test_three_statements_whatever_the_history(self, app, in_app, make_dataset, count):
        checks = [(nightly(TODAY - timedelta(days=n)), n % 7 != 0) for n in range(count)]
        checks += [(nightly(TODAY - timedelta(days=n), 15), True) for n in range(count)]
        pilot_id, dataset_id = make_dataset(checks)
        with in_app():
            with count_queries(app) as statements:
                found = monitoring.dataset_history(pilot_id, dataset_id)
                assert found.dataset.pilot.title and found.dataset.city.name  # loaded with it
            assert len(statements) == 3, statements
            assert sum(day.checks for day in found.availability.days) == 2 * min(count, 90)


class TestFailingDatasets:
    def test_failing_now_with_since_when_longest_first(self, in_app, people, make_dataset):
        pilot_id, recent = make_dataset(
            [(brussels(2026, 3, 1, 3), False), (brussels(2026, 3, 2, 3), True), (brussels(2026, 3, 20, 3), False)],
            title="Recent",
        )
        _, always = make_dataset(
            [(brussels(2026, 2, 1, 3), False), (brussels(2026, 2, 2, 3), False)], pilot_id=pilot_id, title="Altijd"
        )
        make_dataset([(brussels(2026, 3, 1, 3), False), (brussels(2026, 3, 2, 3), True)], pilot_id=pilot_id, title="Hersteld")
        make_dataset([], pilot_id=pilot_id, title="Nooit")
        make_dataset([(brussels(2026, 3, 1, 3), False)], city="leuven", title="Leuven")
        with in_app():
            found = monitoring.failing_datasets(people["gent_city"])
        assert [(row.dataset.id, row.since) for row in found] == [
            (always, brussels(2026, 2, 1, 3)),
            (recent, brussels(2026, 3, 20, 3)),
        ]
        assert [row.latest.checked_at for row in found] == [brussels(2026, 2, 2, 3), brussels(2026, 3, 20, 3)]

    def test_one_statement_whatever_the_number_of_datasets(self, app, in_app, people, make_dataset):
        pilot_id, _ = make_dataset([(brussels(2026, 3, 1, 3), False)])
        for n in range(6):
            make_dataset(
                [(brussels(2026, 3, 1, 3), True), (brussels(2026, 3, 2, 3), n % 2 == 0)], pilot_id=pilot_id, title=f"D{n}"
            )
        with in_app():
            with count_queries(app) as statements:
                found = monitoring.failing_datasets(people["gent_city"])
                assert all(row.dataset.pilot.title for row in found)
            assert len(statements) == 1 and len(found) == 4


# --- the pages ----------------------------------------------------------------------------------------------------


def history_url(pilot_id: int, dataset_id: int) -> str:
    return f"/pilots/{pilot_id}/datasets/{dataset_id}/history"


@pytest.fixture
def flipped(make_dataset):
    """Nightly checks over the last 100 days, passing, except 10 to 12 days ago and from 2 days ago (failing); no check
    5 days ago; two checks 20 days ago (one failing)."""
    checks = []
    for n in range(100, -1, -1):
        day = TODAY - timedelta(days=n)
        if n == 5:
            continue
        checks.append((nightly(day), not (10 <= n <= 12 or n <= 2)))
        if n == 20:
            checks.append((nightly(day, 14), False))
    return make_dataset(checks)


class TestPage:
    def test_anonymous_visitors_read_it_in_dutch(self, client, people, flipped):
        page = client.get(history_url(*flipped))
        assert page.status_code == 200
        text = page.text
        assert '<h1 class="mb-1">Bezetting parkeergarages Gent</h1>' in text  # the Dutch title
        verdict = section(text, "verdict")
        assert "slaagt niet voor alle controles" in verdict and "<code>https</code>, <code>cors</code>" in verdict
        assert day_row(text, TODAY)[0] == "31 mrt 2026"  # the date as Dutch writes it

    def test_city_staff_read_the_verdict_its_change_and_the_ninety_days(self, client, people, flipped):
        signed_in(client, "gent@example.org")  # English
        text = client.get(history_url(*flipped)).text
        assert '<h1 class="mb-1">Car park occupancy Gent</h1>' in text
        verdict = section(text, "verdict")
        assert "fails some checks" in verdict and "<code>https</code>, <code>cors</code>" in verdict
        change = re.sub(r"\s+", " ", re.search(r'id="last-change">(.*?)</dd>', verdict, re.S).group(1))
        assert "On 3/29/26, 3:00 AM, from “passes the checks” to “fails some checks”." in change.replace("\u202f", " ")
        assert "The check before it, on 3/28/26, 3:00 AM, still gave “passes the checks”." in change.replace("\u202f", " ")
        availability = section(text, "availability")
        assert "Availability over the last 90 days" in availability
        # 89 days with a check: 82 passed, 1 passed and failed (20 days ago), 6 failed (10 to 12 and 0 to 2 days ago).
        assert "Available on 82 of the 89 days with a check (92%)." in availability
        counts = re.sub(
            r"\s+", " ", re.sub(r"<[^>]+>", " ", availability.split('id="availability-counts"', 1)[1].split("</ul>", 1)[0])
        )
        assert "passed: 82 days" in counts and "passed and failed: 1 day" in counts
        assert "failed: 6 days" in counts and "no check: 1 day" in counts
        assert "From January 1, 2026 to March 31, 2026." in availability
        # The table: every day, newest first, the result in words.
        assert availability.count('<tr id="day-') == 90
        assert day_row(text, TODAY) == ["Mar 31, 2026", "failed", "1", "0"]
        assert day_row(text, TODAY - timedelta(days=5)) == ["Mar 26, 2026", "no check", "0", "–"]
        assert day_row(text, TODAY - timedelta(days=20)) == ["Mar 11, 2026", "passed and failed", "2", "1"]
        assert day_row(text, date(2026, 1, 1)) == ["Jan 1, 2026", "passed", "1", "1"]
        assert f'id="day-{(date(2026, 1, 1) - timedelta(days=1)).isoformat()}"' not in text
        rows = re.findall(r'<tr id="day-([\d-]+)">', text)
        assert rows == sorted(rows, reverse=True)
        assert "Result per day, newest first (the chart shows the same)" in availability

    def test_the_chart_has_the_same_days(self, client, people, flipped):
        signed_in(client, "gent@example.org")
        text = client.get(history_url(*flipped)).text
        assert 'data-figure-id="availability-figure"' in text and 'aria-labelledby="availability-chart-description"' in text
        traces = {trace["name"]: trace for trace in figure_of(text)["data"]}
        assert list(traces) == ["passed", "passed and failed", "failed", "no check"]
        assert {name: len(trace["x"]) for name, trace in traces.items()} == {
            "passed": 82,
            "passed and failed": 1,
            "failed": 6,
            "no check": 1,
        }
        assert traces["no check"]["x"] == [(TODAY - timedelta(days=5)).isoformat()]
        assert traces["passed and failed"]["customdata"] == [["Mar 11, 2026: 1 of 2 checks passed"]]
        assert {trace["marker"]["symbol"] for trace in traces.values()} == {"circle", "diamond", "x", "line-ns-open"}
        assert "/static/vendor/plotly-cartesian.min.js?v=" in text  # scatter only: the partial bundle

    def test_a_dataset_never_checked(self, client, people, make_dataset):
        signed_in(client, "leuven@example.org")
        text = client.get(history_url(*make_dataset())).text
        assert "not checked yet" in section(text, "verdict") and "Last change of verdict" not in text
        assert "No check in this period." in text and "no check: 90 days" in re.sub(r"\s+", " ", text)
        assert day_row(text, TODAY) == ["Mar 31, 2026", "no check", "0", "–"]

    def test_a_verdict_that_never_changed(self, client, people, make_dataset):
        signed_in(client, "gent@example.org")
        text = client.get(history_url(*make_dataset([(nightly(TODAY - timedelta(days=n)), True) for n in range(120)]))).text
        change = re.sub(r"\s+", " ", re.search(r'id="last-change">(.*?)</dd>', text, re.S).group(1)).replace("\u202f", " ")
        assert "None: “passes the checks” since the first check, on 12/2/25, 3:00 AM." in change
        assert "Available on 90 of the 90 days with a check (100%)." in text

    def test_user_text_is_escaped(self, client, people, in_app, make_dataset):
        pilot_id, dataset_id = make_dataset([(nightly(TODAY), True)], title="<script>alert(1)</script>")
        text = client.get(history_url(pilot_id, dataset_id)).text
        assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text

    def test_unknown_datasets_are_404(self, client, people, make_dataset):
        pilot_id, dataset_id = make_dataset()
        other_pilot, _ = make_dataset(city="leuven")
        assert client.get(history_url(other_pilot, dataset_id)).status_code == 404
        assert client.get(history_url(pilot_id, dataset_id + 100)).status_code == 404
        assert client.get(history_url(pilot_id + 100, dataset_id)).status_code == 404

    def test_the_page_runs_a_bounded_number_of_queries(self, app, client, people, make_dataset):
        short = make_dataset([(nightly(TODAY), True)])
        long = make_dataset([(nightly(TODAY - timedelta(days=n), h), n % 3 != 0) for n in range(200) for h in (3, 15)])
        signed_in(client, "gent@example.org")
        client.get(history_url(*short))  # warm up
        with count_queries(app) as few:
            assert client.get(history_url(*short)).status_code == 200
        with count_queries(app) as many:
            assert client.get(history_url(*long)).status_code == 200
        assert len(many) == len(few), [q.split("FROM")[-1][:60] for q in many]

    def test_the_pilot_page_links_each_checked_dataset_to_its_history(self, client, people, make_dataset):
        pilot_id, checked = make_dataset([(nightly(TODAY), False)])
        _, unchecked = make_dataset([], pilot_id=pilot_id, title="Nieuw")
        signed_in(client, "leuven@example.org")
        page = client.get(f"/pilots/{pilot_id}").text
        card = page.split(f'id="dataset-{checked}"', 1)[1].split("</article>", 1)[0]
        assert f'href="{history_url(pilot_id, checked)}"' in card
        assert "Availability and history of the checks" in card
        assert history_url(pilot_id, unchecked) not in page
        client.logout()
        assert f'href="{history_url(pilot_id, checked)}"' in client.get(f"/pilots/{pilot_id}").text  # anonymous too


class TestCityProfile:
    def test_the_profile_lists_the_failing_datasets_only(self, client, people, make_dataset):
        pilot_id, failing = make_dataset(
            [(brussels(2026, 3, 1, 3), True), (brussels(2026, 3, 2, 3), False), (brussels(2026, 3, 3, 3), False)],
            title="Kapot",
        )
        _, passing = make_dataset(
            [(brussels(2026, 3, 1, 3), False), (brussels(2026, 3, 2, 3), True)], pilot_id=pilot_id, title="Goed"
        )
        leuven_pilot, elsewhere = make_dataset([(brussels(2026, 3, 1, 3), False)], city="leuven", title="Leuvens")
        signed_in(client, "leuven@example.org")
        page = client.get("/cities/gent").text
        listed = section(page, "failing-datasets")
        assert "Datasets failing their checks" in listed
        assert f'<a href="{history_url(pilot_id, failing)}">Kapot Gent</a>' in listed
        assert "Failing since 3/2/26, 3:00 AM; latest check 3/3/26, 3:00 AM." in listed.replace("\u202f", " ")
        assert "Realtime parkeerdata" in listed
        assert "Goed Gent" not in listed and history_url(pilot_id, passing) not in listed and "Leuvens" not in listed
        # Every checked dataset of the table links to its history.
        datasets = section(page, "datasets")
        assert history_url(pilot_id, failing) in datasets and history_url(pilot_id, passing) in datasets
        leuven = client.get("/cities/leuven").text
        assert history_url(leuven_pilot, elsewhere) in section(leuven, "failing-datasets")

    def test_nothing_is_listed_when_none_fail(self, client, people, make_dataset):
        pilot_id, _ = make_dataset([(brussels(2026, 3, 1, 3), False), (brussels(2026, 3, 2, 3), True)])
        make_dataset([], pilot_id=pilot_id, title="Nieuw")
        signed_in(client, "gent@example.org")
        page = client.get("/cities/gent").text
        assert 'id="failing-datasets"' not in page and "Datasets failing their checks" not in page
