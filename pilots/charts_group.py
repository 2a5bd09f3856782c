"""The group decision on the results page (contract version 2): how much the cities agree, their own weights, and
the capacity.

:func:`build` reads the blocks that a version-2 result adds (``consensus``, ``city_weights``, ``group_weights``,
``distance``, ``capacity``, ``tie_break``; docs/ranking.md, "Contract version 2") into :class:`GroupData`: plain
rows for the HTML tables. Each block is ``None`` when the result does not have it (a version-1 snapshot) or when it
is ``null`` there. The ``*_figure`` functions turn the rows into Plotly figures as JSON, styled and made safe as in
:mod:`pilots.charts` (no colour bar on the heat map: the CSP refuses the style attributes plotly.js gives it).

Who sees which city: every figure about one city (its Spearman correlation, its weights, its distance) is kept only
for the cities in ``visible_cities`` (the cities whose scores the reader may see, ``voting.can_see_scores``); the
others are only counted (``hidden``), never named, listed or drawn. The per-cell spreads, Kendall's W and the
group's weights are aggregates of all the cities and are shown to whoever sees the results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
from flask_babel import gettext as _

from pilots import charts
from pilots.charts import Names, _json, _labels, _layout, _mix, _text, csv_cell
from pilots.web import numbers

#: Colours of the group's series in the weights chart, and of the chosen challenges (orange, as the selection in
#: the rank-acceptability chart) and the others (blue) in the capacity chart.
GROUP_COLOUR = "#e69f00"
RANKED_COLOUR = "#0a3d91"
SELECTED_COLOUR = "#a04f00"
OTHER_COLOUR = "#56b4e9"
FRONT_COLOUR = "#009e73"


# --- the data -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """The spread of the cities' scores on one challenge and criterion, in the criterion's own unit."""

    n: int
    median: float | None
    iqr: float | None
    low: float | None  # min
    high: float | None  # max
    std: float | None
    share: float | None  # the IQR as a share of the criterion's scale (the heat map's colour)


@dataclass(frozen=True)
class SpreadRow:
    alternative: str
    title: str
    cells: tuple[Spread, ...]  # per criterion, in the round's order


@dataclass(frozen=True)
class CityFigure:
    """One figure about one city the reader may see: its Spearman correlation or its distance."""

    slug: str
    name: str
    value: float | None


@dataclass(frozen=True)
class Consensus:
    criteria: tuple[tuple[str, str], ...]  # (key, name), the round's order
    rows: tuple[SpreadRow, ...]  # every challenge, in rank order (then those below the quorum)
    kendall_w: float | None
    #: Why W is null: "cities" (fewer than 2), "challenges" (fewer than 2 scored by every city on every criterion),
    #: "ties" (every city gave all of them the same score); None when W is a number.
    w_reason: str | None
    compared: tuple[str, ...]  # the titles of the challenges W compares
    voters: int  # the cities that submitted a ballot
    self_excluded: bool  # cities did not score their own challenge in this round
    cities: tuple[CityFigure, ...]  # Spearman, furthest from the group first; only the cities the reader may see
    hidden: int  # the cities whose figure is not shown to the reader
    #: The reader may not see every voting city's scores: cells scored by too few cities show no spread, and no
    #: cell its lowest and highest score (``voting.shareable_cell``); the number is the threshold.
    masked_below: int | None = None

    @property
    def table_rows(self) -> tuple[SpreadRow, ...]:
        """The rows of the table under the heat map: the first challenges in rank order (as the cities' table)."""
        return self.rows[: charts.CITY_TABLE_ROWS]


@dataclass(frozen=True)
class CityWeightRow:
    slug: str
    name: str
    weights: tuple[float, ...]  # normalised (sum 1), per criterion
    distance: float | None


@dataclass(frozen=True)
class CityWeights:
    criteria: tuple[tuple[str, str], ...]
    rows: tuple[CityWeightRow, ...]  # the cities the reader may see, by name
    group: tuple[float | None, ...]  # the geometric mean of the cities' weights, normalised
    ranked: tuple[float, ...]  # the weights the round ranked with
    aggregation: str  # "committee" or "geometric_mean"
    hidden: int

    @property
    def ranked_with_group(self) -> bool:
        return self.aggregation == "geometric_mean"


@dataclass(frozen=True)
class CapacityChallenge:
    alternative: str
    title: str
    rank: int
    score: float
    effort: float | None
    selected: bool  # in the capacity's choice
    by_rank: bool  # in the selection the ranking alone would make


@dataclass(frozen=True)
class FrontRow:
    effort: float
    score: float
    titles: tuple[str, ...]
    feasible: bool  # fits the capacity
    chosen: bool  # the set that was selected


@dataclass(frozen=True)
class Capacity:
    capacity: float
    total_effort: float
    total_score: float
    decided: bool  # the capacity, not the rank, decided the selection
    selected: tuple[str, ...]  # titles, rank order
    by_rank: tuple[str, ...]  # titles of the first `select` by rank
    by_rank_effort: float | None  # None when an effort is unknown
    select: int
    challenges: tuple[CapacityChallenge, ...]  # the eligible challenges, in rank order
    front: tuple[FrontRow, ...]


@dataclass(frozen=True)
class GroupData:
    consensus: Consensus | None = None
    city_weights: CityWeights | None = None
    capacity: Capacity | None = None
    tie_rule: str | None = None  # "default" or "first_criterion_then_draw"; None: not said (version 1)
    delphi: dict[str, Any] | None = None  # how the spread narrowed over a Delphi round's two passes (the engine's)


def build(
    result: dict[str, Any],
    document: dict[str, Any],
    names: Names,
    visible_cities: set[str] | None = None,
    shareable_cell: Callable[[dict[str, Any], bool], dict[str, Any]] | None = None,
) -> GroupData:
    """The group-decision tables of a stored result; ``visible_cities``: the slugs whose figures may be shown
    (None: all). ``document`` (the snapshot) gives the criteria's scales and the challenges' efforts.
    ``shareable_cell(cell, every_city_visible)``: the rule (the voting service's) for what of one cell's spread a
    reader who may not see every voting city's scores is shown; None shows every cell whole."""
    weights = result.get("weights") or {}
    keys = [key for key in names.criteria if key in weights] + sorted(set(weights) - set(names.criteria))
    criteria = tuple((key, names.criteria.get(key, key)) for key in keys)
    order = [row["alternative"] for row in result.get("ranking", [])]
    order += [row["alternative"] for row in result.get("ineligible", []) if row["alternative"] not in order]

    def title(alternative: str) -> str:
        return names.challenges.get(alternative, alternative)

    def city(slug: str) -> str:
        return names.cities.get(slug, slug)

    def may_see(slug: str) -> bool:
        return visible_cities is None or slug in visible_cities

    tie_break = result.get("tie_break")
    return GroupData(
        consensus=_consensus(result, document, criteria, order, title, city, may_see, shareable_cell),
        city_weights=_city_weights(result, criteria, city, may_see),
        capacity=_capacity(result, document, title),
        tie_rule=tie_break.get("rule") if isinstance(tie_break, dict) else None,
        delphi=result.get("delphi") if isinstance(result.get("delphi"), dict) else None,
    )


def _consensus(result, document, criteria, order, title, city, may_see, shareable_cell=None) -> Consensus | None:
    block = result.get("consensus")
    if not isinstance(block, dict):
        return None
    cells = block.get("cells") or {}
    masked_below = None
    if shareable_cell is not None:
        every_city_visible = all(may_see(c["city"]) for c in block.get("cities") or [])
        cells = {a: {c: shareable_cell(cell, every_city_visible) for c, cell in row.items()} for a, row in cells.items()}
        masked_below = None if every_city_visible else getattr(shareable_cell, "threshold", None)
    widths = {}
    for criterion in document.get("criteria", []):
        low, high = criterion.get("scale", (0, 0))
        if high > low:
            widths[criterion["id"]] = float(high - low)
    alternatives = [a for a in order if a in cells] + sorted(a for a in cells if a not in order)
    rows = []
    for alternative in alternatives:
        spreads = []
        for key, _name in criteria:
            cell = cells[alternative].get(key) or {}
            n = int(cell.get("n") or 0)
            iqr = cell.get("iqr") if n else None
            spreads.append(
                Spread(
                    n=n,
                    median=cell.get("median") if n else None,
                    iqr=iqr,
                    low=cell.get("min") if n else None,
                    high=cell.get("max") if n else None,
                    std=cell.get("std") if n else None,
                    share=None if iqr is None else float(iqr) / widths.get(key, 1.0),
                )
            )
        rows.append(SpreadRow(alternative, title(alternative), tuple(spreads)))
    found = list(block.get("cities") or [])
    compared = tuple(block.get("alternatives") or ())
    w = block.get("kendall_w")
    reason = None
    if w is None:
        reason = "cities" if len(found) < 2 else "challenges" if len(compared) < 2 else "ties"
    shown = tuple(CityFigure(c["city"], city(c["city"]), c.get("spearman")) for c in found if may_see(c["city"]))
    return Consensus(
        criteria=criteria,
        rows=tuple(rows),
        kendall_w=w,
        w_reason=reason,
        compared=tuple(title(a) for a in compared),
        voters=len(found),
        self_excluded=bool(result.get("excluded")),
        cities=shown,
        hidden=len(found) - len(shown),
        masked_below=masked_below,
    )


def _city_weights(result, criteria, city, may_see) -> CityWeights | None:
    table = result.get("city_weights")
    if not isinstance(table, dict) or not table:
        return None
    keys = [key for key, _name in criteria]
    distance = result.get("distance") or {}
    group = result.get("group_weights") or {}
    rows = tuple(
        sorted(
            (
                CityWeightRow(slug, city(slug), tuple(float(table[slug].get(key, 0.0)) for key in keys), distance.get(slug))
                for slug in table
                if may_see(slug)
            ),
            key=lambda row: row.name.casefold(),
        )
    )
    return CityWeights(
        criteria=criteria,
        rows=rows,
        group=tuple(group.get(key) for key in keys),
        ranked=tuple(float(result["weights"][key]) for key in keys),
        aggregation=str(result.get("weight_aggregation") or "committee"),
        hidden=len(table) - len(rows),
    )


def _capacity(result, document, title) -> Capacity | None:
    block = result.get("capacity")
    if not isinstance(block, dict):
        return None
    efforts = document.get("effort") or {}
    selected = list(block.get("selected") or [])
    by_rank = list(block.get("by_rank") or [])
    challenges = tuple(
        CapacityChallenge(
            row["alternative"],
            title(row["alternative"]),
            int(row["rank"]),
            float(row["score"]),
            float(efforts[row["alternative"]]) if row["alternative"] in efforts else None,
            row["alternative"] in selected,
            row["alternative"] in by_rank,
        )
        for row in result.get("ranking", [])
    )
    chosen = set(selected)
    front = tuple(
        FrontRow(
            float(point["effort"]),
            float(point["score"]),
            tuple(title(a) for a in point.get("alternatives", [])),
            bool(point.get("feasible")),
            bool(chosen) and set(point.get("alternatives", [])) == chosen,
        )
        for point in block.get("front") or []
    )
    by_rank_effort = sum(float(efforts[a]) for a in by_rank) if all(a in efforts for a in by_rank) else None
    return Capacity(
        capacity=float(block.get("capacity") or 0.0),
        total_effort=float(block.get("total_effort") or 0.0),
        total_score=float(block.get("total_score") or 0.0),
        decided=bool(block.get("capacity_decided")),
        selected=tuple(title(a) for a in selected),
        by_rank=tuple(title(a) for a in by_rank),
        by_rank_effort=round(by_rank_effort, 2) if by_rank_effort is not None else None,
        select=int(result.get("select", len(by_rank))),
        challenges=challenges,
        front=front,
    )


# --- downloads ------------------------------------------------------------------------------------------------

#: The group decision's tables that the results page offers as CSV (``results.export_csv``), by the block each
#: needs: a version-1 result (or a version-2 one without that block) has no such table.
CSV_TABLES = ("consensus", "city-weights", "capacity")


def csv_rows(data: GroupData, table: str) -> list[list[Any]] | None:
    """Header and rows of one of the group decision's tables as CSV, as the page shows them: headers in the reader's
    language, challenge titles and city names (never ids), numbers with a dot, weights as shares of 1. Only what
    ``data`` holds, so only the cities the reader may see (:func:`build`'s ``visible_cities``). None when the result
    has no such block."""
    yes, no = _("yes"), _("no")
    if table == "consensus":
        if data.consensus is None:
            return None
        consensus = data.consensus
        header = [_("Challenge"), _("Criterion"), _("Scores"), _("Median"), _("IQR"), _("Lowest score"), _("Highest score")]
        rows: list[list[Any]] = [
            [row.title, name, cell.n, cell.median, cell.iqr, cell.low, cell.high]
            for row in consensus.rows
            for cell, (_key, name) in zip(row.cells, consensus.criteria, strict=True)
        ]
    elif table == "city-weights":
        if data.city_weights is None:
            return None
        weights = data.city_weights
        header = [_("Weights of"), *(name for _key, name in weights.criteria), _("Distance")]
        rows = [[row.name, *(round(w, 6) for w in row.weights), row.distance] for row in weights.rows]
        group = [None if w is None else round(w, 6) for w in weights.group]
        if weights.ranked_with_group:
            rows.append([_("The group (geometric mean), ranked with"), *group, None])
        else:
            rows.append([_("The group (geometric mean)"), *group, None])
            rows.append([_("Ranked with (the steering committee’s weights)"), *(round(w, 6) for w in weights.ranked), None])
    elif table == "capacity":
        if data.capacity is None:
            return None
        header = [_("Rank"), _("Challenge"), _("Score"), _("Effort"), _("Selected"), _("Selected by rank alone")]
        rows = [
            [c.rank, c.title, c.score, c.effort, yes if c.selected else no, yes if c.by_rank else no]
            for c in data.capacity.challenges
        ]
    else:
        raise KeyError(table)
    return [[csv_cell(str(h)) for h in header], *[[csv_cell(v) for v in row] for row in rows]]


# --- figures --------------------------------------------------------------------------------------------------


def consensus_figure(data: Consensus, locale: str) -> str:
    """Heat map: challenges (rank order) × criteria, coloured by the IQR of the cities' scores as a share of the
    criterion's scale (darker: the cities disagree more), each cell labelled with its IQR; blank where nobody scored."""
    number = numbers.formatter(locale)
    rows = data.rows
    z = np.array([[c.share if c.share is not None else np.nan for c in row.cells] for row in rows], dtype=float)
    z = z.reshape(len(rows), len(data.criteria))
    text = [[number(c.iqr, "0.##") if c.iqr is not None else "" for c in row.cells] for row in rows]
    hover = [
        [
            _text(
                _(
                    "%(challenge)s · %(criterion)s: IQR %(iqr)s (n = %(n)d, median %(median)s, from %(low)s to %(high)s)",
                    challenge=row.title,
                    criterion=name,
                    iqr=number(cell.iqr, "0.##"),
                    n=cell.n,
                    median=number(cell.median, "0.##"),
                    low=number(cell.low, "0.##"),
                    high=number(cell.high, "0.##"),
                )
                if cell.n
                else _("%(challenge)s · %(criterion)s: no score", challenge=row.title, criterion=name)
            )
            for cell, (_key, name) in zip(row.cells, data.criteria, strict=True)
        ]
        for row in rows
    ]
    top = float(np.nanmax(z)) if np.isfinite(z).any() else 0.0
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=_labels([name for _key, name in data.criteria]),
            y=_labels([row.title for row in rows]),
            zmin=0,
            zmax=max(0.25, top),
            colorscale=charts.SEQUENTIAL,
            showscale=False,  # the colour bar's cells get a style attribute, which the CSP refuses
            xgap=2,
            ygap=2,
            text=text,
            texttemplate="%{text}",
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
            hoverongaps=False,
        )
    )
    figure.update_layout(
        _layout(
            locale,
            150 + 30 * max(1, len(rows)),
            xaxis={"side": "top", "tickangle": -25, "automargin": True},
            yaxis={"autorange": "reversed", "automargin": True},
        )
    )
    return _json(figure)


def city_weights_figure(data: CityWeights, locale: str) -> str:
    """Grouped bars per criterion: each city's weight (share of 100), the group's and the weights ranked with."""
    labels = _labels([name for _key, name in data.criteria])
    figure = go.Figure()
    count = len(data.rows)
    for index, row in enumerate(data.rows):
        figure.add_trace(
            go.Bar(
                name=_text(row.name),
                x=labels,
                y=np.round(100 * np.array(row.weights, dtype=float), 2),
                marker={"color": _mix("#c9d3e3", "#5b6b85", index / max(1, count - 1))},
                hovertemplate="%{fullData.name} · %{x}: %{y:.1f}%<extra></extra>",
            )
        )
    group = np.array([np.nan if w is None else w for w in data.group], dtype=float)
    series = [(_("The cities' group weights, ranked with"), group, GROUP_COLOUR)]
    if not data.ranked_with_group:
        series = [
            (_("The cities' group weights"), group, GROUP_COLOUR),
            (_("The weights ranked with"), np.array(data.ranked, dtype=float), RANKED_COLOUR),
        ]
    for name, values, colour in series:
        figure.add_trace(
            go.Bar(
                name=str(name),
                x=labels,
                y=np.round(100 * values, 2),
                marker={"color": colour},
                hovertemplate="%{fullData.name} · %{x}: %{y:.1f}%<extra></extra>",
            )
        )
    figure.update_layout(
        _layout(
            locale,
            380,
            barmode="group",
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "traceorder": "normal"},
            yaxis={"title": {"text": _("Share of the total weight, in percent")}, "rangemode": "tozero"},
            xaxis={"automargin": True},
        )
    )
    return _json(figure)


def capacity_figure(data: Capacity, locale: str) -> str:
    """Score against effort: each eligible challenge (the chosen ones marked), the front of the best sets (total
    effort, total score) as a line, and the capacity as a dotted vertical line."""
    number = numbers.formatter(locale)
    figure = go.Figure()
    points = [c for c in data.challenges if c.effort is not None]
    groups = [
        (_("Selected challenge"), [c for c in points if c.selected], "diamond", SELECTED_COLOUR),
        (_("Other challenge"), [c for c in points if not c.selected], "circle", OTHER_COLOUR),
    ]
    for name, chosen, symbol, colour in groups:
        if not chosen:
            continue
        figure.add_trace(
            go.Scatter(
                name=str(name),
                mode="markers",
                x=[c.effort for c in chosen],
                y=[c.score for c in chosen],
                marker={"symbol": symbol, "color": colour, "size": 12, "line": {"color": "#ffffff", "width": 1}},
                customdata=[
                    [
                        _text(
                            _(
                                "%(rank)d. %(title)s: effort %(effort)s, score %(score)s",
                                rank=c.rank,
                                title=c.title,
                                effort=number(c.effort, "#,##0.##"),
                                score=number(c.score, "#,##0.###"),
                            )
                        )
                    ]
                    for c in chosen
                ],
                hovertemplate="%{customdata[0]}<extra></extra>",
            )
        )
    if data.decided:
        passed_over = [c for c in points if c.by_rank]  # ringed: the ranking alone would have taken these
        if passed_over:
            figure.add_trace(
                go.Scatter(
                    name=str(_("Selected by rank alone")),
                    mode="markers",
                    x=[c.effort for c in passed_over],
                    y=[c.score for c in passed_over],
                    marker={"symbol": "circle-open", "color": "#212529", "size": 18, "line": {"width": 2}},
                    hoverinfo="skip",
                )
            )
    if data.front:
        figure.add_trace(
            go.Scatter(
                name=str(_("Best set for each total effort")),
                mode="lines+markers",
                line={"shape": "hv", "color": FRONT_COLOUR, "width": 2},
                x=[p.effort for p in data.front],
                y=[p.score for p in data.front],
                marker={
                    "symbol": ["square" if p.feasible else "square-open" for p in data.front],
                    "color": FRONT_COLOUR,
                    "size": [13 if p.chosen else 8 for p in data.front],
                },
                customdata=[
                    [
                        _text(
                            _(
                                "Total effort %(effort)s, total score %(score)s: %(titles)s",
                                effort=number(p.effort, "#,##0.##"),
                                score=number(p.score, "#,##0.###"),
                                titles=" · ".join(p.titles) or "–",
                            )
                        )
                    ]
                    for p in data.front
                ],
                hovertemplate="%{customdata[0]}<extra></extra>",
            )
        )
    figure.add_vline(
        x=data.capacity,
        line_width=2,
        line_dash="dot",
        line_color="#b02a37",
        annotation_text=_text(_("Capacity %(capacity)s", capacity=number(data.capacity, "#,##0.##"))),
        annotation_position="top right",
    )
    figure.update_layout(
        _layout(
            locale,
            420,
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
            xaxis={"title": {"text": _("Effort")}, "rangemode": "tozero"},
            yaxis={"title": {"text": _("Score")}, "rangemode": "tozero", "automargin": True},
        )
    )
    return _json(figure)
