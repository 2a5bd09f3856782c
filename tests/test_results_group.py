"""The results page's group decision (issue 15, contract version 2): consensus and dissent, the cities' own weights
and the capacity, who may see which city's figures, and a version-1 snapshot that shows none of it.

Each round is built through the services (challenges, a round, every city's ballot, closed); its snapshot is then
replaced by a version-2 document made from ``voting.snapshot_document`` with the settings under test, ranked with
``ranking.run``, as closing the round does."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest

from pilots import charts, charts_group, ranking
from pilots.models import Round, RoundPhase, User
from pilots.services import challenges as challenge_service
from pilots.services import voting
from tests import factories, test_results
from tests.conftest import count_queries

people = test_results.people
signed_in = test_results.signed_in
CITIES = test_results.CITIES  # gent, leuven, antwerpen, brugge
V2_KEYS = ("version", "voter_weights", "weight_aggregation", "effort", "capacity", "tie_break", "passes")

#: One score per city and challenge, the same on every criterion (so each city's order follows it, cost included:
#: equal weights, four benefit criteria and one cost criterion). Gent, Leuven and Antwerpen put challenge 0 first
#: and 2 last, Brugge the reverse: the group's order is 0, 1, 2.
AGREEING = {
    "gent": (5, 3, 1),
    "leuven": (5, 3, 1),
    "antwerpen": (4, 3, 2),
    "brugge": (1, 3, 5),
}


@dataclass
class Group:
    round_id: int
    challenges: list[int]
    titles: list[str]
    result: dict


@pytest.fixture
def group_round(in_app, people):
    """A round on ``len(scores of a city)`` challenges (proposed in turn by Gent, Leuven, Antwerpen, Brugge), every
    city in ``scores`` submitting its ballot (None: no score for that challenge); closed with a snapshot of the given
    ``version`` and version-2 settings, then published unless ``phase`` says otherwise."""

    def build(
        scores: dict[str, tuple[int | None, ...]] = AGREEING,
        *,
        version: int = 2,
        phase: RoundPhase = RoundPhase.PUBLISHED,
        year: int = 2025,
        select: int = 1,
        allow_self_scoring: bool = True,
        ballots_confidential: bool = False,
        **v2,
    ) -> Group:
        count = len(next(iter(scores.values())))
        with in_app() as session:
            steering = session.get(User, people["steering"])
            created, titles = [], []
            for n in range(count):
                slug = CITIES[n % len(CITIES)]
                author = session.get(User, people[slug])
                title = f"Challenge {year} number {n}"
                challenge = factories.submitted_challenge(author, people[f"{slug}_city"], title, year)
                challenge_service.screen(steering, challenge.id, True, "Fine.")
                created.append(challenge.id)
                titles.append(title)
            round_ = voting.create_round(
                steering,
                voting.RoundData(
                    title=f"Round {year}",
                    year=year,
                    pilots_to_select=select,
                    sensitivity_samples=200,
                    allow_self_scoring=allow_self_scoring,
                    ballots_confidential=ballots_confidential,
                ),
            )
            round_id = round_.id
            for expected in (RoundPhase.DRAFT, RoundPhase.PROPOSALS_OPEN):
                voting.advance(steering, round_id, expected)
            round_ = voting.get_round(round_id)
            criteria = [c.id for c in round_.criteria]
            for slug, values in scores.items():
                city_id = people[f"{slug}_city"]
                ballot = voting.get_ballot(round_, city_id)
                cells = {
                    (challenge_id, criterion_id): str(value)
                    for challenge_id, value in zip(created, values, strict=True)
                    if value is not None
                    for criterion_id in criteria
                }
                voting.save_ballot(
                    session.get(User, people[slug]),
                    round_id,
                    city_id,
                    voting.BallotInput(cells=cells, notes={}),
                    expected_version=ballot.version,
                    submit=True,
                )
            voting.advance(steering, round_id, RoundPhase.VOTING_OPEN)  # closed: a snapshot
            round_ = voting.get_round(round_id)
            document = {k: v for k, v in voting.snapshot_document(round_).items() if k not in V2_KEYS}
            if version == 2:
                document["version"] = 2
                for key, value in v2.items():
                    if key == "effort":  # by challenge position
                        value = {str(created[n]): effort for n, effort in enumerate(value)}
                    document[key] = value
            result = ranking.run(document)
            round_.snapshot.document = ranking.canonical_json(document)
            round_.snapshot.sha256 = ranking.sha256(document)
            round_.snapshot.result = ranking.canonical_json(result)
            session.commit()
            if phase is RoundPhase.PUBLISHED:
                voting.advance(steering, round_id, RoundPhase.CLOSED)
            return Group(round_id, created, titles, json.loads(ranking.canonical_json(result)))

    return build


def results_page(client, group: Group, status: int = 200) -> str:
    response = client.get(f"/rounds/{group.round_id}/results")
    assert response.status_code == status
    return response.get_data(as_text=True)


def section(page: str, name: str) -> str:
    """The HTML of one section of the page (from its heading's id to the end of its <section>)."""
    start = page.index(f'id="{name}-heading"')
    return page[start : page.index("</section>", start)]


def rows(html: str, testid: str) -> list[list[str]]:
    """The text of each row of the table marked ``data-testid`` (header and data cells, tags removed)."""
    table = re.search(rf'<table[^>]*data-testid="{testid}"[^>]*>(.*?)</table>', html, re.S).group(1)
    body = table[table.index("</thead>") :] if "</thead>" in table else table
    found = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        found.append([" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells])
    return found


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#39;", "'").replace("&amp;", "&").split())


def figure(page: str, name: str) -> dict:
    return json.loads(re.search(rf'<script type="application/json" id="{name}-figure">(.*?)</script>', page, re.S).group(1))


def weights(**by_city: tuple[float, ...]) -> dict[str, dict[str, float]]:
    keys = ("impact", "feasibility", "data", "relevance", "cost")
    return {city: dict(zip(keys, values, strict=True)) for city, values in by_city.items()}


# --- consensus and dissent -------------------------------------------------------------------------------------


def test_the_spread_of_each_cell_kendalls_w_and_the_cities_furthest_from_the_group(client, group_round):
    group = group_round()
    consensus = group.result["consensus"]
    assert consensus["kendall_w"] == pytest.approx(0.25)  # rank sums 6, 8, 10 of 4 cities × 3 challenges
    signed_in(client, "nobody@example.org")
    page = results_page(client, group)
    part = section(page, "consensus")

    # W, with what 1 and 0 mean, on the challenges every city scored.
    w = text(re.search(r'data-testid="kendall-w">(.*?)</div>', part, re.S).group(1))
    assert "Kendall’s W for this round: 0.25." in w
    assert "W = 1 means that every city put the challenges in the same order" in w
    assert "W = 0 that the cities’ orders cancel each other out" in w
    assert "It compares the 3 challenges that every voting city scored on every criterion" in w
    assert all(title in w for title in group.titles)

    # Dissent: Brugge (the reverse order, −1) first, then the three cities with the group's order (1), by slug.
    assert rows(part, "dissent") == [["Brugge", "-1.00"], ["Antwerpen", "1.00"], ["Gent", "1.00"], ["Leuven", "1.00"]]
    assert 'data-testid="hidden-cities"' not in part

    # The spread table: challenge 0 got 5, 5, 4 and 1 on every criterion: n 4, median 4.5, IQR 5 − 3.25, 1–5.
    table = rows(part, "consensus-table")
    assert table[0] == [group.titles[0], "Impact for citizens", "4", "4.5", "1.75", "1–5"]
    assert table[1] == ["Feasibility", "4", "4.5", "1.75", "1–5"]
    assert table[5] == [group.titles[1], "Impact for citizens", "4", "3", "0", "3–3"]  # everyone gave 3
    assert len(table) == 3 * 5
    cell = consensus["cells"][str(group.challenges[2])]["cost"]  # 1, 1, 2, 5
    assert table[-1] == ["Cost", "4", "1.5", f"{cell['iqr']:g}", "1–5"]

    # The heat map: challenge titles and criterion names, never ids or keys; the IQR in each cell.
    heat = figure(page, "consensus")["data"][0]
    assert heat["type"] == "heatmap"
    assert heat["y"] == group.titles  # rank order
    assert heat["x"] == ["Impact for citizens", "Feasibility", "Data availability", "Relevance for several cities", "Cost"]
    assert heat["text"][0][0] == "1.75" and heat["text"][1][0] == "0"
    assert not any(str(c) in heat["y"] for c in group.challenges)


def test_w_is_null_when_cities_do_not_score_their_own_challenge(client, group_round):
    """Every challenge is proposed by a city that voted and may not score it: no challenge was scored by every city."""
    scores = {"gent": (None, 4, 2, 3), "leuven": (5, None, 1, 3), "antwerpen": (4, 3, None, 2), "brugge": (1, 3, 5, None)}
    group = group_round(scores, allow_self_scoring=False)
    assert group.result["consensus"]["kendall_w"] is None and group.result["consensus"]["alternatives"] == []
    signed_in(client, "nobody@example.org")
    part = section(results_page(client, group), "consensus")
    w = text(re.search(r'data-testid="kendall-w">(.*?)</div>', part, re.S).group(1))
    assert "Kendall’s W cannot be computed for this round." in w
    assert "only counts the challenges that every voting city scored on every criterion" in w
    assert "Fewer than 2 challenges were scored that way." in w
    assert "a city does not score its own challenge" in w
    assert "Kendall’s W for this round:" not in w
    # Spearman needs the same challenges: every city's is "–", with what that means.
    assert [row[1] for row in rows(part, "dissent")] == ["–"] * 4
    assert "cannot be computed (fewer than 2 challenges compared" in text(part)
    # The spread is still there: Gent did not score its own challenge 0, so 3 scores.
    assert rows(part, "consensus-table")[0][:3] == [group.titles[0], "Impact for citizens", "3"]


def test_w_is_null_with_a_single_city(client, group_round):
    group = group_round({"leuven": (5, 3, 1)})
    signed_in(client, "nobody@example.org")
    w = text(re.search(r'data-testid="kendall-w">(.*?)</div>', section(results_page(client, group), "consensus"), re.S).group(1))
    assert "Kendall’s W cannot be computed for this round." in w
    assert "it needs at least 2 cities that submitted a ballot" in w
    assert "In this round 1 city submitted its ballot." in w


# --- the cities' own weights -----------------------------------------------------------------------------------


def test_each_citys_weights_beside_the_groups_and_those_ranked_with(client, group_round):
    group = group_round(
        voter_weights=weights(gent=(4, 1, 1, 1, 1), leuven=(1, 1, 1, 1, 1), antwerpen=(1, 1, 1, 1, 4), brugge=(2, 2, 2, 2, 2))
    )
    assert group.result["distance"] == {"antwerpen": 0.3, "brugge": 0.0, "gent": 0.3, "leuven": 0.0}
    signed_in(client, "gent@example.org")
    page = results_page(client, group)
    part = section(page, "city-weights")
    table = rows(part, "city-weights-table")
    group_weights = [
        f"{100 * group.result['group_weights'][k]:.1f}%" for k in ("impact", "feasibility", "data", "relevance", "cost")
    ]
    assert table == [
        ["Antwerpen", "12.5%", "12.5%", "12.5%", "12.5%", "50.0%", "0.30"],
        ["Brugge", "20.0%", "20.0%", "20.0%", "20.0%", "20.0%", "0.00"],
        ["Gent", "50.0%", "12.5%", "12.5%", "12.5%", "12.5%", "0.30"],
        ["Leuven", "20.0%", "20.0%", "20.0%", "20.0%", "20.0%", "0.00"],
        ["The group (geometric mean)", *group_weights, "–"],
        ["Ranked with (the steering committee’s weights)", "20.0%", "20.0%", "20.0%", "20.0%", "20.0%", "–"],
    ]
    assert group_weights[0] == "24.3%"  # (0.5 · 0.2 · 0.125 · 0.2)^¼, normalised
    words = text(part)
    assert "ranked the challenges with the weights the steering committee set" in words
    assert "0 means the same weights, 1 the most different weights possible" in words
    # The grouped bar chart: one series per city, the group's and those ranked with, per criterion.
    bars = figure(page, "city-weights")
    assert bars["layout"]["barmode"] == "group"
    assert [trace["name"] for trace in bars["data"]] == [
        "Antwerpen",
        "Brugge",
        "Gent",
        "Leuven",
        "The cities' group weights",
        "The weights ranked with",
    ]
    assert bars["data"][0]["x"][0] == "Impact for citizens"


def test_a_round_ranked_with_the_groups_weights_says_so(client, group_round):
    group = group_round(
        voter_weights=weights(gent=(4, 1, 1, 1, 1), leuven=(1, 1, 1, 1, 1), antwerpen=(1, 1, 1, 1, 4), brugge=(2, 2, 2, 2, 2)),
        weight_aggregation="geometric_mean",
    )
    assert group.result["weights"] == group.result["group_weights"]
    signed_in(client, "nobody@example.org")
    page = results_page(client, group)
    part = section(page, "city-weights")
    assert "This round ranked the challenges with the group’s weights." in text(part)
    table = rows(part, "city-weights-table")
    assert table[-1][0] == "The group (geometric mean), ranked with" and len(table) == 5
    assert [trace["name"] for trace in figure(page, "city-weights")["data"]][-1] == "The cities' group weights, ranked with"


# --- the capacity ----------------------------------------------------------------------------------------------


def test_the_capacity_decides_and_the_page_says_what_the_rank_would_have_chosen(client, group_round):
    # Rank order 0, 1, 2; the first two would take 5 + 4 = 9, more than the capacity of 6: 0 and 2 (5 + 1) fit.
    group = group_round(select=2, effort=[5, 4, 1], capacity=6)
    capacity = group.result["capacity"]
    assert capacity["capacity_decided"] is True
    assert group.result["selected"] == [str(group.challenges[0]), str(group.challenges[2])]
    signed_in(client, "nobody@example.org")
    page = results_page(client, group)
    part = section(page, "capacity")
    summary = text(re.search(r'data-testid="capacity-summary">(.*?)</div>\s*<p>', part, re.S).group(1))
    # Scores (equal weights, every criterion alike): 0.2 + 0.6 × (mean − 1) / 4, so 0.6125, 0.5 and 0.3875.
    assert [row["score"] for row in group.result["ranking"]] == pytest.approx([0.6125, 0.5, 0.3875])
    assert "The selection takes a total effort of 6 of the capacity of 6; its scores add up to 1." in summary
    assert (
        f"The capacity, not the rank, decided: the selected challenges are {group.titles[0]} · {group.titles[2]}. "
        f"The ranking alone would have selected {group.titles[0]} · {group.titles[1]}, with a total effort of 9, "
        "more than the capacity."
    ) in summary
    # The selection card points to it.
    assert 'href="#capacity-heading"' in section(page, "selection")
    # The front: every point, its totals, its set; the chosen one marked.
    front = rows(part, "capacity-front")
    assert len(front) == len(capacity["front"]) >= 2
    for row, point in zip(front, capacity["front"], strict=True):
        assert row[0] == f"{point['effort']:g}"
        assert row[2].startswith(" · ".join(group.titles[group.challenges.index(int(a))] for a in point["alternatives"]) or "–")
        assert row[3] == ("yes" if point["feasible"] else "no")
    chosen = [row for row in front if "(the selection)" in row[2]]
    assert len(chosen) == 1 and chosen[0][0] == "6"
    # The challenges behind the scatter chart: effort, and selected by the capacity or by the rank alone.
    assert [row[1:] for row in rows(part, "capacity-challenges")] == [
        [group.titles[0], "0.612", "5", "yes", "yes"],  # three decimals, half to even (as Babel)
        [group.titles[1], "0.5", "4", "no", "yes"],
        [group.titles[2], "0.388", "1", "yes", "no"],
    ]
    chart = figure(page, "capacity")
    names = [trace["name"] for trace in chart["data"]]
    assert names == ["Selected challenge", "Other challenge", "Selected by rank alone", "Best set for each total effort"]
    assert chart["layout"]["shapes"][0]["x0"] == 6  # the capacity


def test_a_capacity_that_does_not_change_the_selection_says_so(client, group_round):
    group = group_round(select=2, effort=[5, 4, 1], capacity=20)
    assert group.result["capacity"]["capacity_decided"] is False
    signed_in(client, "nobody@example.org")
    page = results_page(client, group)
    words = text(section(page, "capacity"))
    assert "The selection takes a total effort of 9 of the capacity of 20" in words
    assert "it did not change the selection" in words
    assert "The capacity, not the rank, decided" not in page
    assert 'href="#capacity-heading"' not in page


def test_a_capacity_below_every_effort_selects_nothing(client, group_round):
    group = group_round(select=2, effort=[5, 4, 3], capacity=2)
    assert group.result["selected"] == []
    signed_in(client, "nobody@example.org")
    words = text(section(results_page(client, group), "capacity"))
    assert "No eligible challenge fits within the capacity of 2: nothing is selected." in words


# --- who sees which city ----------------------------------------------------------------------------------------

CITY_NAMES = {"gent": "Gent", "leuven": "Leuven", "antwerpen": "Antwerpen", "brugge": "Brugge"}
EVERYONE = weights(gent=(4, 1, 1, 1, 1), leuven=(1, 1, 1, 1, 1), antwerpen=(1, 1, 1, 1, 4), brugge=(2, 2, 2, 2, 2))


def _named(part: str) -> set[str]:
    """The cities named in the dissent table, the weights table and the weights chart of a page's sections."""
    named = set()
    for testid in ("dissent", "city-weights-table"):
        if f'data-testid="{testid}"' in part:
            named |= {row[0] for row in rows(part, testid)} & set(CITY_NAMES.values())
    block = re.search(r'<script type="application/json" id="city-weights-figure">(.*?)</script>', part, re.S)
    if block:
        named |= {trace["name"] for trace in json.loads(block.group(1))["data"]} & set(CITY_NAMES.values())
    return named


def test_a_confidential_round_names_only_the_readers_own_city(client, group_round):
    group = group_round(ballots_confidential=True, voter_weights=EVERYONE)
    signed_in(client, "gent@example.org")
    page = results_page(client, group)
    consensus, weights_part = section(page, "consensus"), section(page, "city-weights")
    assert _named(consensus) == {"Gent"} and _named(weights_part) == {"Gent"}
    assert rows(consensus, "dissent") == [["Gent", "1.00"]]
    assert [row[0] for row in rows(weights_part, "city-weights-table")][:1] == ["Gent"]
    for part in (consensus, weights_part):
        for name in ("Leuven", "Antwerpen", "Brugge"):
            assert name not in part
        assert "The figures of 3 other cities are not shown: the ballots of this round are confidential" in text(part)
        # Nor hidden in a number: Brugge's Spearman (−1) and Antwerpen's distance are nowhere.
        assert "-1.00" not in part
    assert "0.30" in weights_part and weights_part.count("0.30") == 1  # Gent's own distance only
    # W stays; the spread of a cell scored by only 4 cities is not shown to a reader who sees only Gent's scores
    # (its median and quartiles would be the others' scores), and the page says why.
    assert "Kendall’s W for this round: 0.25." in text(consensus)
    assert rows(consensus, "consensus-table")[0][2:] == ["4", "–", "–", "–"]
    assert "a cell scored by fewer than 5 cities shows no spread" in text(consensus)
    client.logout()
    # Someone of no city, and the committee, see no city's figures at all in a confidential round.
    for email in ("nobody@example.org", "steering@example.org"):
        signed_in(client, email)
        page = results_page(client, group)
        assert _named(section(page, "consensus")) == set() and _named(section(page, "city-weights")) == set()
        assert 'data-testid="dissent"' not in section(page, "consensus")
        assert "The figures of the 4 cities are not shown: the ballots of this round are confidential" in text(
            section(page, "consensus")
        )
        client.logout()


def test_before_publication_the_committee_sees_the_aggregates_and_no_citys_figures(client, group_round):
    group = group_round(phase=RoundPhase.CLOSED, voter_weights=EVERYONE, select=2, effort=[5, 4, 1], capacity=6)
    signed_in(client, "gent@example.org")
    results_page(client, group, 403)  # a city sees nothing of the result before publication
    client.logout()
    signed_in(client, "steering@example.org")
    page = results_page(client, group)
    consensus, weights_part = section(page, "consensus"), section(page, "city-weights")
    assert _named(consensus) == set() and _named(weights_part) == set()
    for part in (consensus, weights_part):
        assert (
            "The figures of the 4 cities are not shown: before the results are published, each city sees only its own."
            in text(part)
        )
    assert "Kendall’s W for this round: 0.25." in text(consensus)
    assert [row[0] for row in rows(weights_part, "city-weights-table")] == [
        "The group (geometric mean)",
        "Ranked with (the steering committee’s weights)",
    ]
    assert [trace["name"] for trace in figure(page, "city-weights")["data"]] == [
        "The cities' group weights",
        "The weights ranked with",
    ]
    assert "The capacity, not the rank, decided" in page  # the selection is no city's figure


def test_after_publication_everyone_sees_every_city(client, group_round):
    group = group_round(voter_weights=EVERYONE)
    signed_in(client, "nobody@example.org")
    page = results_page(client, group)
    assert _named(section(page, "consensus")) == set(CITY_NAMES.values())
    assert _named(section(page, "city-weights")) == set(CITY_NAMES.values())
    assert 'data-testid="hidden-cities"' not in page


# --- version 1, null blocks, the tie rule ----------------------------------------------------------------------


def test_a_version_1_snapshot_shows_none_of_the_new_sections(client, group_round):
    group = group_round(version=1)
    assert "consensus" not in group.result and "capacity" not in group.result
    signed_in(client, "steering@example.org")
    page = results_page(client, group)
    for name in ("consensus", "city-weights", "capacity"):
        assert f'id="{name}-heading"' not in page
        assert f'id="{name}-figure"' not in page
    assert 'id="ranking-heading"' in page and "Kendall" not in page


def test_a_version_2_result_without_weights_or_capacity_shows_only_the_consensus(client, group_round):
    group = group_round()
    assert group.result["city_weights"] is None and group.result["capacity"] is None
    signed_in(client, "nobody@example.org")
    page = results_page(client, group)
    assert 'id="consensus-heading"' in page
    assert 'id="city-weights-heading"' not in page and 'id="capacity-heading"' not in page


def test_a_draw_that_breaks_a_tie_is_named(client, group_round):
    scores = {slug: (*values, 3) for slug, values in AGREEING.items()}  # challenges 1 and 3: 3 from everyone
    group = group_round(scores, tie_break={"rule": "first_criterion_then_draw", "seed": 7})
    tie = next(t for t in group.result["ties"] if len(t["alternatives"]) == 2)
    assert tie["broken_by"][0]["step"] == "draw"
    signed_in(client, "nobody@example.org")
    words = text(section(results_page(client, group), "ranking"))
    assert "first the higher group score on the criterion with the highest weight, then a draw with the round’s seed" in words
    assert "a draw with the round's seed." in words
    assert "a fixed order of the challenges’ identifiers" not in words


# --- languages and queries --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "w", "cell"), [("en", "0.25", ["4", "4.5", "1.75", "1–5"]), ("nl", "0,25", ["4", "4,5", "1,75", "1–5"])]
)
def test_the_page_in_english_and_in_dutch(client, group_round, language, w, cell):
    group = group_round(voter_weights=EVERYONE, select=2, effort=[5, 4.5, 1], capacity=6)
    signed_in(client, "nobody@example.org")
    client.post("/language", data={"language": language})
    page = results_page(client, group)
    assert f'<html lang="{language}">' in page
    consensus = section(page, "consensus")
    assert w in re.search(r'data-testid="kendall-w">(.*?)</div>', consensus, re.S).group(1)
    assert rows(consensus, "consensus-table")[0][2:] == cell
    assert rows(section(page, "city-weights"), "city-weights-table")[0][1:] == (
        ["12.5%", "12.5%", "12.5%", "12.5%", "50.0%", "0.30"]
        if language == "en"
        else ["12,5%", "12,5%", "12,5%", "12,5%", "50,0%", "0,30"]
    )
    challenges = rows(section(page, "capacity"), "capacity-challenges")
    assert challenges[1][3] == ("4.5" if language == "en" else "4,5")
    assert figure(page, "consensus")["layout"]["separators"] == (".," if language == "en" else ",.")
    assert figure(page, "consensus")["data"][0]["text"][0][0] == cell[2]


def test_the_number_of_queries_does_not_grow_with_the_challenges(app, client, group_round):
    def scores(count: int) -> dict[str, tuple[int, ...]]:
        return {slug: tuple(1 + (n * 3 + c) % 5 for n in range(count)) for c, slug in enumerate(CITIES)}

    small = group_round(scores(3), year=2024, voter_weights=EVERYONE, select=2, effort=[1, 2, 3], capacity=3)
    large = group_round(scores(12), year=2025, voter_weights=EVERYONE, select=2, effort=list(range(1, 13)), capacity=3)
    signed_in(client, "steering@example.org")
    counts = []
    for group in (small, large):
        page = results_page(client, group)  # warm up
        assert 'id="consensus-heading"' in page and 'id="capacity-heading"' in page and 'id="city-weights-heading"' in page
        with count_queries(app) as statements:
            results_page(client, group)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# --- confirming the selection ---------------------------------------------------------------------------------


def test_the_committee_confirms_on_the_confirmation_page(client, group_round, in_app):
    group = group_round(select=2, effort=[5, 4, 1], capacity=6)
    signed_in(client, "steering@example.org")
    page = results_page(client, group)
    part = section(page, "selection")
    assert f'href="/rounds/{group.round_id}/confirm/selection"' in part
    assert "Review and confirm the selection" in part
    assert f'action="/rounds/{group.round_id}/confirm"' not in page and 'name="selected"' not in page
    # The confirmation page pre-checks the capacity's choice (challenges 0 and 2) and posts to the results.
    confirm = client.get(f"/rounds/{group.round_id}/confirm/selection").get_data(as_text=True)
    assert f'action="/rounds/{group.round_id}/confirm"' in confirm
    _, checked = test_results._form_values(confirm)
    assert {int(v) for v in checked} == {group.challenges[0], group.challenges[2]}
    # A refused confirmation shows the form on the results page, with the message next to the field.
    response = client.post(
        f"/rounds/{group.round_id}/confirm", data={"selected": [str(group.challenges[1])], "justification": "Short."}
    )
    assert response.status_code == 400
    refused = response.get_data(as_text=True)
    assert 'id="justification-error"' in refused and "Short." in refused
    response = client.post(f"/rounds/{group.round_id}/confirm", data={"selected": group.result["selected"]})
    assert response.status_code == 302
    with in_app() as session:
        assert session.get(Round, group.round_id).confirmed_at is not None
    page = results_page(client, group)
    assert "/confirm/selection" not in page and 'href="#capacity-heading"' not in page
    client.logout()
    signed_in(client, "gent@example.org")
    assert "/confirm/selection" not in results_page(client, group)


def test_only_the_committee_is_offered_the_confirmation(client, group_round):
    group = group_round()
    for email in ("gent@example.org", "admin@example.org", "nobody@example.org"):
        signed_in(client, email)
        page = results_page(client, group)
        assert "/confirm/selection" not in page and "Review and confirm the selection" not in page
        client.logout()


# --- the tables, from the result alone -------------------------------------------------------------------------


def test_absent_or_null_blocks_give_no_section_and_blank_cells_draw(app):
    """charts_group.build reads only what the result has: a version-1 result, null blocks, a cell nobody scored."""
    names = charts.Names(
        challenges={"1": "Air", "2": "Bikes"}, proposers={}, cities={"gent": "Gent"}, criteria={"impact": "Impact"}
    )
    base = {"weights": {"impact": 1.0}, "ranking": [], "ineligible": [], "select": 1}
    assert charts_group.build(base, {}, names, set()) == charts_group.GroupData()
    nulls = {**base, "consensus": None, "city_weights": None, "group_weights": None, "distance": None, "capacity": None}
    assert charts_group.build(nulls, {}, names, set()) == charts_group.GroupData()
    empty = {"n": 0, "min": None, "max": None, "median": None, "q1": None, "q3": None, "iqr": None, "std": None}
    blank = {
        **nulls,
        "consensus": {
            "cells": {"1": {"impact": empty}, "2": {"impact": empty}},
            "kendall_w": None,
            "alternatives": [],
            "cities": [],
        },
    }
    consensus = charts_group.build(blank, {}, names, set()).consensus
    assert consensus.w_reason == "cities" and consensus.hidden == 0 and consensus.cities == ()
    assert [row.title for row in consensus.rows] == ["Air", "Bikes"]
    with app.test_request_context():
        heat = json.loads(charts_group.consensus_figure(consensus, "en"))["data"][0]
    assert heat["text"] == [[""], [""]]  # no score: an empty cell


# --- the tables as CSV ------------------------------------------------------------------------------------------

csv_table = test_results.csv_table
CRITERIA = ["Impact for citizens", "Feasibility", "Data availability", "Relevance for several cities", "Cost"]


def group_csv(client, group: Group, table: str) -> list[list[str]]:
    response = client.get(f"/rounds/{group.round_id}/results/{table}.csv")
    assert response.headers["Content-Disposition"] == f"attachment; filename=round-{group.round_id}-{table}.csv"
    return csv_table(response)


def test_each_group_section_offers_its_table_as_csv(client, group_round):
    group = group_round(voter_weights=EVERYONE, select=2, effort=[5, 4, 1], capacity=6)
    signed_in(client, "nobody@example.org")
    page = results_page(client, group)
    for name in ("consensus", "city-weights", "capacity"):
        assert f'href="/rounds/{group.round_id}/results/{name}.csv" download' in section(page, name)

    # The spread: every challenge (not only the table's first ones) × criterion, by title, with the page's figures.
    consensus = group_csv(client, group, "consensus")
    assert consensus[0] == ["Challenge", "Criterion", "Scores", "Median", "IQR", "Lowest score", "Highest score"]
    assert len(consensus) == 1 + 3 * 5
    assert [row[:2] for row in consensus[1:6]] == [[group.titles[0], name] for name in CRITERIA]
    assert [float(v) for v in consensus[1][2:]] == [4, 4.5, 1.75, 1, 5]  # 5, 5, 4 and 1
    assert [float(v) for v in consensus[6][2:]] == [4, 3, 0, 3, 3]  # everyone gave 3
    assert {row[0] for row in consensus[1:]} == set(group.titles)

    # The cities' weights as shares of 1, the group's and those ranked with.
    weights = group_csv(client, group, "city-weights")
    assert weights[0] == ["Weights of", *CRITERIA, "Distance"]
    assert [[row[0], *map(float, row[1:])] for row in weights[1:5]] == [
        ["Antwerpen", 0.125, 0.125, 0.125, 0.125, 0.5, 0.3],
        ["Brugge", 0.2, 0.2, 0.2, 0.2, 0.2, 0.0],
        ["Gent", 0.5, 0.125, 0.125, 0.125, 0.125, 0.3],
        ["Leuven", 0.2, 0.2, 0.2, 0.2, 0.2, 0.0],
    ]
    shares = [round(group.result["group_weights"][k], 6) for k in ("impact", "feasibility", "data", "relevance", "cost")]
    assert weights[5] == ["The group (geometric mean)", *map(str, shares), ""]
    assert weights[6][0] == "Ranked with (the steering committee’s weights)" and weights[6][-1] == ""
    assert [float(v) for v in weights[6][1:-1]] == [0.2] * 5
    assert len(weights) == 7

    # The capacity's challenges: rank, title, score, effort, chosen by the capacity and by the rank alone.
    capacity = group_csv(client, group, "capacity")
    assert capacity[0] == ["Rank", "Challenge", "Score", "Effort", "Selected", "Selected by rank alone"]
    assert [row[:2] + row[3:] for row in capacity[1:]] == [
        ["1", group.titles[0], "5.0", "yes", "yes"],
        ["2", group.titles[1], "4.0", "no", "yes"],
        ["3", group.titles[2], "1.0", "yes", "no"],
    ]
    assert [float(row[2]) for row in capacity[1:]] == pytest.approx([0.6125, 0.5, 0.3875])


def test_the_group_csv_headers_and_names_are_in_the_readers_language(client, group_round):
    group = group_round(voter_weights=EVERYONE, select=2, effort=[5, 4, 1], capacity=6)
    signed_in(client, "nobody@example.org")
    client.post("/language", data={"language": "nl"})
    consensus = group_csv(client, group, "consensus")
    assert consensus[0][:2] == ["Uitdaging", "Criterium"]
    assert consensus[1][1] != "Impact for citizens"  # the criterion's Dutch name
    weights = group_csv(client, group, "city-weights")
    assert weights[0][0] == "Gewichten van" and weights[0][-1] == "Afstand"
    assert weights[0][1:-1] == [row[1] for row in consensus[1:6]]
    capacity = group_csv(client, group, "capacity")
    assert capacity[0][0] == "Rang" and capacity[0][-1] == "Geselecteerd op rang alleen"
    assert [row[-2:] for row in capacity[1:]] == [["ja", "ja"], ["nee", "ja"], ["ja", "nee"]]
    assert capacity[1][2] == "0.6125"  # numbers keep their dot, for any spreadsheet


def test_a_version_1_snapshot_has_no_group_csv(client, group_round):
    group = group_round(version=1)
    signed_in(client, "steering@example.org")
    for name in ("consensus", "city-weights", "capacity"):
        assert client.get(f"/rounds/{group.round_id}/results/{name}.csv").status_code == 404
    assert client.get(f"/rounds/{group.round_id}/results/ranking.csv").status_code == 200
    assert "/results/consensus.csv" not in results_page(client, group)


def test_a_version_2_result_without_weights_or_capacity_has_only_the_consensus_csv(client, group_round):
    group = group_round()
    signed_in(client, "nobody@example.org")
    assert len(group_csv(client, group, "consensus")) == 1 + 3 * 5
    for name in ("city-weights", "capacity"):
        assert client.get(f"/rounds/{group.round_id}/results/{name}.csv").status_code == 404


def test_a_confidential_rounds_weights_csv_has_only_the_readers_own_city(client, group_round):
    group = group_round(ballots_confidential=True, voter_weights=EVERYONE, select=2, effort=[5, 4, 1], capacity=6)
    signed_in(client, "gent@example.org")
    weights = group_csv(client, group, "city-weights")
    assert [row[0] for row in weights[1:]] == [
        "Gent",
        "The group (geometric mean)",
        "Ranked with (the steering committee’s weights)",
    ]
    assert weights[1][-1] == "0.3"  # Gent's own distance
    for name in ("consensus", "city-weights", "capacity"):
        body = client.get(f"/rounds/{group.round_id}/results/{name}.csv").get_data(as_text=True)
        for other in ("Leuven", "Antwerpen", "Brugge", "leuven", "antwerpen", "brugge"):
            assert other not in body, (name, other)
    client.logout()
    # Someone of no city, and the committee, get the group's rows only.
    for email in ("nobody@example.org", "steering@example.org"):
        signed_in(client, email)
        rows_ = group_csv(client, group, "city-weights")[1:]
        assert [row[0] for row in rows_] == ["The group (geometric mean)", "Ranked with (the steering committee’s weights)"]
        client.logout()


def test_before_publication_only_the_committee_gets_the_group_csv_without_any_city(client, group_round):
    group = group_round(phase=RoundPhase.CLOSED, voter_weights=EVERYONE, select=2, effort=[5, 4, 1], capacity=6)
    signed_in(client, "gent@example.org")
    for name in ("consensus", "city-weights", "capacity"):
        assert client.get(f"/rounds/{group.round_id}/results/{name}.csv").status_code == 403
    client.logout()
    signed_in(client, "steering@example.org")
    assert [row[0] for row in group_csv(client, group, "city-weights")[1:]] == [
        "The group (geometric mean)",
        "Ranked with (the steering committee’s weights)",
    ]
    assert len(group_csv(client, group, "capacity")) == 4


def test_the_page_loads_plotly_js_cartesian_bundle_for_all_its_charts(app, client, group_round):
    from flask import url_for

    from pilots.web import assets

    group = group_round(voter_weights=EVERYONE, select=2, effort=[5, 4, 1], capacity=6)
    signed_in(client, "nobody@example.org")
    page = results_page(client, group)
    with app.test_request_context():
        cartesian = url_for("static", filename=assets.CARTESIAN_BUNDLE)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert [src for src in scripts if "plotly" in src] == [cartesian]
    assert "/rounds/assets/plotly.min.js" not in page
    assert (
        '<link rel="stylesheet" id="plotly.js-style-global" class="no-inline-styles" href="/rounds/assets/plotly.css?v=' in page
    )
    # The page draws the heat map, the bars and the scatter charts, all of them in that bundle.
    names = ("ranking", "cities", "acceptability", "consensus", "city-weights", "capacity")
    types = {trace.get("type") for name in names for trace in figure(page, name)["data"]}
    assert {"heatmap", "bar", "scatter"} <= types <= assets.CARTESIAN_TRACES
