"""The results of a round as tables and Plotly figures.

:func:`build` turns a stored ranking result (``ranking.run`` output), its input document and the display names
into :class:`ResultData`: plain rows for the HTML tables and the CSV files. The ``*_figure`` functions turn the
same data into Plotly figures, returned as JSON (``fig.to_json()``) for ``static/js/charts.js`` to draw: plotly
generates no HTML here, and the page carries no inline script.

Plotly.js and the Content-Security-Policy (``style-src 'self'``): plotly.js injects its stylesheet into a
``<style>`` element unless an element with id ``plotly.js-style-global`` and class ``no-inline-styles`` exists,
and its bundled MapLibre injects one unless an element with MapLibre's id exists. :func:`plotly_assets` reads
both from the installed bundle: the page links the extracted rules as an external stylesheet under the first id
and marks the second. The heatmaps draw without colour bar and with cell gaps, because plotly.js sets a
``style`` attribute on colour-bar cells and on "fast" heatmap images, which the CSP refuses.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import plotly
import plotly.graph_objects as go
import plotly.io as pio
from flask_babel import gettext as _

from pilots.ranking import METHODS

PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
PLOTLY_VERSION = plotly.__version__

#: Colours from the app's palette and Okabe–Ito (distinguishable with colour-vision deficiencies).
CRITERION_COLOURS = ("#0a3d91", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000", "#999999")
SEQUENTIAL = [[0.0, "#f1f5fb"], [0.5, "#7fa2d6"], [1.0, "#0a3d91"]]
MAX_LABEL = 38
#: The rank-acceptability table and figure show the first ranks one by one and the rest as one share; the
#: CSV has every rank. (With 250 challenges a full table would have 62,500 cells.)
SHOWN_RANKS = 10
#: The table under the cities' heatmap lists the first challenges in rank order; its CSV has all of them.
CITY_TABLE_ROWS = 40


# --- plotly.js under the CSP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlotlyAssets:
    css: str
    maplibre_marker: str | None


@cache
def plotly_assets() -> PlotlyAssets:
    """plotly.js's own stylesheet (the rules it would otherwise inject inline) and MapLibre's marker id."""
    source = PLOTLY_JS.read_text(encoding="utf-8")
    rules = []
    table = re.search(r"(\w+)=(\{\"X,X div\":.*?\});for\((\w+) in \1\)", source, re.S)
    if table:
        pair = re.compile(
            r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([A-Za-z_]\w*))\s*:\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""",
            re.S,
        )
        for found in pair.finditer(table.group(2)):
            key = next(g for g in found.group(1, 2, 3) if g is not None)
            value = found.group(4) if found.group(4) is not None else found.group(5)
            # The same substitution plotly.js applies before calling addStyleRule.
            selector = re.sub(r"^,", " ,", key).replace("X", ".js-plotly-plot .plotly").replace("Y", ".plotly-notifier")
            rules.append(f"{selector}{{{value}}}")
    marker = re.search(r'document\.getElementById\("([^"]+)"\)\)\{var \w+=document\.createElement\("style"\)', source)
    css = "/* plotly.js " + PLOTLY_VERSION + ": its stylesheet, served as a file for the CSP */\n" + "\n".join(rules) + "\n"
    return PlotlyAssets(css=css, maplibre_marker=marker.group(1) if marker else None)


# --- the data -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """Display names: challenge titles and proposing cities by alternative id, city names by slug, criteria by key
    (in the round's order)."""

    challenges: dict[str, str]
    proposers: dict[str, str]
    cities: dict[str, str]
    criteria: dict[str, str]


@dataclass(frozen=True)
class Criterion:
    key: str
    name: str
    weight: float  # normalised, 0..1
    low: float | None  # the range of this weight over which the selection stays the same
    high: float | None


@dataclass(frozen=True)
class RankingRow:
    alternative: str
    title: str
    proposer: str
    rank: int
    score: float
    voters: int
    selected: bool
    contributions: tuple[float, ...]  # per criterion (round order), weighted normalised value, 0..1


@dataclass(frozen=True)
class IneligibleRow:
    alternative: str
    title: str
    proposer: str
    voters: int


@dataclass(frozen=True)
class AgreementRow:
    method: str
    selected: tuple[str, ...]  # titles
    agrees: bool
    used: bool


@dataclass(frozen=True)
class TieRow:
    titles: tuple[str, ...]
    ranks: tuple[int, ...]
    steps: tuple[tuple[str, str, str], ...]  # (first title, second title, step)
    affects_selection: bool


@dataclass(frozen=True)
class LeaveOneOutRow:
    city: str
    selected: tuple[str, ...]
    changed: bool


@dataclass(frozen=True)
class CityRow:
    slug: str
    name: str
    scores: tuple[float | None, ...]  # 0..100 per column of CityMatrix.alternatives, None: not scored


@dataclass(frozen=True)
class CityMatrix:
    alternatives: tuple[str, ...]
    titles: tuple[str, ...]
    rows: tuple[CityRow, ...]


@dataclass(frozen=True)
class AcceptabilityRow:
    alternative: str
    title: str
    ranks: tuple[float, ...]  # probability of rank 1, 2, …
    selected: float
    selected_uniform: float | None

    @property
    def shown(self) -> tuple[float, ...]:
        """The probabilities of ranks 1 … SHOWN_RANKS."""
        return self.ranks[:SHOWN_RANKS]

    @property
    def lower(self) -> float:
        """The probability of any rank after SHOWN_RANKS."""
        return max(0.0, float(sum(self.ranks[SHOWN_RANKS:])))


@dataclass(frozen=True)
class Acceptability:
    variant: str  # "perturbed" (around the chosen weights) or "uniform" (any weights)
    samples: int
    perturbation: float | None
    rows: tuple[AcceptabilityRow, ...]
    uniform: tuple[AcceptabilityRow, ...] = ()

    @property
    def shown_ranks(self) -> int:
        return min(SHOWN_RANKS, max((len(r.ranks) for r in self.rows), default=0))

    @property
    def has_lower(self) -> bool:
        """More ranks than are shown one by one: the table and figure add a column for the rest."""
        return any(len(r.ranks) > SHOWN_RANKS for r in self.rows)


@dataclass(frozen=True)
class ResultData:
    method: str
    normalization: str
    select: int
    quorum: int
    criteria: tuple[Criterion, ...]
    ranking: tuple[RankingRow, ...]
    ineligible: tuple[IneligibleRow, ...]
    agreement: tuple[AgreementRow, ...]
    ties: tuple[TieRow, ...]
    leave_one_out: tuple[LeaveOneOutRow, ...]
    cities: CityMatrix
    acceptability: Acceptability | None
    selected: tuple[str, ...] = field(default_factory=tuple)  # alternative ids

    @property
    def changed_without(self) -> tuple[LeaveOneOutRow, ...]:
        return tuple(row for row in self.leave_one_out if row.changed)


def build(result: dict[str, Any], document: dict[str, Any], names: Names, visible_cities: set[str] | None = None) -> ResultData:
    """The tables of a stored result. ``visible_cities``: the slugs whose own scores may be shown (None: all)."""

    def title(alternative: str) -> str:
        return names.challenges.get(alternative, alternative)

    keys = [key for key in names.criteria if key in result["weights"]] + sorted(set(result["weights"]) - set(names.criteria))
    intervals = result.get("weight_intervals") or {}
    criteria = tuple(
        Criterion(
            key,
            names.criteria.get(key, key),
            float(result["weights"][key]),
            intervals.get(key, {}).get("low"),
            intervals.get(key, {}).get("high"),
        )
        for key in keys
    )
    selected = tuple(result.get("selected", []))
    contributions = result.get("contributions") or {}
    aggregate = result.get("aggregate") or {}

    def contribution(alternative: str) -> tuple[float, ...]:
        if alternative in contributions:
            return tuple(float(contributions[alternative].get(key, 0.0)) for key in keys)
        cells = aggregate.get(alternative, {}).get("criteria", {})
        return tuple(float(result["weights"][key]) * float(cells.get(key, {}).get("normalised", 0.0)) for key in keys)

    ranking = tuple(
        RankingRow(
            row["alternative"],
            title(row["alternative"]),
            names.proposers.get(row["alternative"], ""),
            int(row["rank"]),
            float(row["score"]),
            int(row["voters"]),
            row["alternative"] in selected,
            contribution(row["alternative"]),
        )
        for row in result.get("ranking", [])
    )
    ineligible = tuple(
        IneligibleRow(
            row["alternative"], title(row["alternative"]), names.proposers.get(row["alternative"], ""), int(row["voters"])
        )
        for row in result.get("ineligible", [])
    )
    agreement = [AgreementRow(result["method"], tuple(title(a) for a in selected), True, True)]
    others = result.get("agreement") or {}
    for method in sorted(others, key=lambda m: (METHODS.index(m) if m in METHODS else len(METHODS), m)):
        found = others[method]
        agreement.append(AgreementRow(method, tuple(title(a) for a in found["selected"]), bool(found["agrees"]), False))
    ties = tuple(
        TieRow(
            tuple(title(a) for a in tie["alternatives"]),
            tuple(tie["ranks"]),
            tuple((title(b["between"][0]), title(b["between"][1]), b["step"]) for b in tie["broken_by"]),
            bool(tie["affects_selection"]),
        )
        for tie in result.get("ties", [])
    )
    leave_one_out = tuple(
        LeaveOneOutRow(
            names.cities.get(row["voter"], row["voter"]), tuple(title(a) for a in row["selected"]), bool(row["changed"])
        )
        for row in result.get("leave_one_out", [])
    )
    order = [row.alternative for row in ranking] + [row.alternative for row in ineligible]
    return ResultData(
        method=result["method"],
        normalization=result.get("normalization", ""),
        select=int(result.get("select", len(selected))),
        quorum=int(result.get("quorum", 1)),
        criteria=criteria,
        ranking=ranking,
        ineligible=ineligible,
        agreement=tuple(agreement),
        ties=ties,
        leave_one_out=leave_one_out,
        cities=_city_matrix(result, document, names, order, visible_cities),
        acceptability=_acceptability(result, ranking),
        selected=selected,
    )


def _city_matrix(
    result: dict[str, Any], document: dict[str, Any], names: Names, order: list[str], visible: set[str] | None
) -> CityMatrix:
    """Each city's own weighted score per challenge (0..100): its scores on the declared scales, 1 best, weighted
    with the round's weights; a criterion it left blank counts at the group's value (as the engine's social-choice
    methods do). None where the city scored nothing for the challenge (or may not score its own)."""
    weights = result["weights"]
    scales = {
        c["id"]: (float(c["scale"][0]), float(c["scale"][1]), c["direction"] == "cost") for c in document.get("criteria", [])
    }
    aggregate = result.get("aggregate") or {}
    excluded = document.get("exclude_self") or {}
    rows = []
    for ballot in sorted(document.get("ballots", []), key=lambda b: names.cities.get(b["voter"], b["voter"]).casefold()):
        voter = ballot["voter"]
        if visible is not None and voter not in visible:
            continue
        scores = []
        for alternative in order:
            cells = ballot["scores"].get(alternative) or {}
            if not cells or excluded.get(alternative) == voter:
                scores.append(None)
                continue
            total = 0.0
            for key, weight in weights.items():
                if key in cells and key in scales:
                    low, high, cost = scales[key]
                    value = (float(cells[key]) - low) / (high - low)
                    total += weight * (1.0 - value if cost else value)
                else:
                    group = aggregate.get(alternative, {}).get("criteria", {}).get(key, {})
                    total += weight * float(group.get("normalised", 0.5))
            scores.append(round(100.0 * total, 1))
        rows.append(CityRow(voter, names.cities.get(voter, voter), tuple(scores)))
    return CityMatrix(tuple(order), tuple(names.challenges.get(a, a) for a in order), tuple(rows))


def _acceptability(result: dict[str, Any], ranking: tuple[RankingRow, ...]) -> Acceptability | None:
    sensitivity = result.get("sensitivity")
    if not sensitivity:
        return None
    variant = "perturbed" if sensitivity.get("perturbed") else "uniform" if sensitivity.get("uniform") else None
    if variant is None:
        return None

    def rows(table: dict[str, Any], other: dict[str, Any] | None = None) -> tuple[AcceptabilityRow, ...]:
        return tuple(
            AcceptabilityRow(
                row.alternative,
                row.title,
                tuple(float(p) for p in table["rank_acceptability"].get(row.alternative, [])),
                float(table["selection_probability"].get(row.alternative, 0.0)),
                float(other["selection_probability"].get(row.alternative, 0.0)) if other else None,
            )
            for row in ranking
        )

    uniform = sensitivity.get("uniform")
    chosen = sensitivity[variant]
    return Acceptability(
        variant=variant,
        samples=int(sensitivity.get("samples", 0)),
        perturbation=sensitivity.get("perturbation"),
        rows=rows(chosen, uniform if variant == "perturbed" else None),
        uniform=rows(uniform) if uniform and variant == "perturbed" else (),
    )


# --- CSV ------------------------------------------------------------------------------------------------------


def csv_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


CSV_TABLES = ("ranking", "cities", "acceptability")


def csv_rows(data: ResultData, table: str) -> list[list[Any]]:
    """Header and rows of one downloadable table (machine-readable English headers, numbers with a dot)."""
    if table == "ranking":
        header = ["rank", "challenge_id", "challenge", "proposed_by", "score", "cities_scored", "selected"]
        header += [f"contribution_{c.key}" for c in data.criteria]
        rows: list[list[Any]] = [
            [
                r.rank,
                int(r.alternative) if r.alternative.isdigit() else r.alternative,
                r.title,
                r.proposer,
                r.score,
                r.voters,
                r.selected,
                *(round(v, 6) for v in r.contributions),
            ]
            for r in data.ranking
        ]
        rows += [
            [
                None,
                int(r.alternative) if r.alternative.isdigit() else r.alternative,
                r.title,
                r.proposer,
                None,
                r.voters,
                False,
                *([None] * len(data.criteria)),
            ]
            for r in data.ineligible
        ]
    elif table == "cities":
        header = ["city", "city_slug", "challenge_id", "challenge", "score"]
        rows = [
            [row.name, row.slug, int(a) if a.isdigit() else a, title, score]
            for row in data.cities.rows
            for a, title, score in zip(data.cities.alternatives, data.cities.titles, row.scores, strict=True)
        ]
    elif table == "acceptability":
        count = len(data.ranking)
        header = ["weights", "challenge_id", "challenge", "selection_probability", *(f"rank_{n}" for n in range(1, count + 1))]
        rows = []
        if data.acceptability is not None:
            variants = [(data.acceptability.variant, data.acceptability.rows)]
            if data.acceptability.uniform:
                variants.append(("uniform", data.acceptability.uniform))
            for variant, found in variants:
                rows += [
                    [variant, int(r.alternative) if r.alternative.isdigit() else r.alternative, r.title, r.selected, *r.ranks]
                    for r in found
                ]
    else:
        raise KeyError(table)
    return [header, *[[csv_cell(v) for v in row] for row in rows]]


# --- figures --------------------------------------------------------------------------------------------------


def _text(text: str) -> str:
    """User text for a figure: Plotly reads tags in labels and hover texts (a subset of HTML), so escape them."""
    return html.escape(text, quote=False)


def _short(text: str) -> str:
    return _text(text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1].rstrip() + "…")


# Figures are built without a template and get the "plotly_white" template as ready-made JSON in _json():
# Plotly validates and deep-copies a template each time one is applied, which cost about 40 ms per figure
# (most of the dashboard's time). The figures look exactly the same.
pio.templates.default = None
TEMPLATE = "plotly_white"


@cache
def _template() -> dict[str, Any]:
    return pio.templates[TEMPLATE].to_plotly_json()


def _json(figure: go.Figure) -> str:
    """The figure as JSON that is safe inside ``<script type="application/json">`` (no ``<``, ``>`` or ``&``)."""
    document = figure.to_plotly_json()
    document["layout"]["template"] = _template()
    text = pio.json.to_json_plotly(document)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _layout(locale: str, height: int, **more: Any) -> dict[str, Any]:
    return {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif", "size": 13, "color": "#212529"},
        "separators": ",." if locale == "nl" else ".,",
        "hoverlabel": {"namelength": -1},
        **more,
    }


def _labels(titles: list[str]) -> list[str]:
    """Axis labels: shortened titles, made unique (Plotly merges equal category labels)."""
    seen: dict[str, int] = {}
    labels = []
    for text in titles:
        label = _short(text)
        seen[label] = seen.get(label, 0) + 1
        labels.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return labels


def ranking_figure(data: ResultData, locale: str) -> str:
    """Horizontal bars in rank order, one stacked segment per criterion: its weighted contribution (0..100)."""
    rows = data.ranking
    labels = _labels([f"{r.rank}. {r.title}" for r in rows])
    hover = np.array([_text(r.title) for r in rows], dtype=object).reshape(-1, 1)
    figure = go.Figure()
    for index, criterion in enumerate(data.criteria):
        figure.add_trace(
            go.Bar(
                name=_text(criterion.name),
                orientation="h",
                y=labels,
                x=np.array([round(100 * r.contributions[index], 2) for r in rows], dtype=float),
                customdata=hover,
                marker={"color": CRITERION_COLOURS[index % len(CRITERION_COLOURS)], "line": {"color": "#ffffff", "width": 1}},
                hovertemplate="%{customdata[0]}<br>%{fullData.name}: %{x:.1f}<extra></extra>",
            )
        )
    figure.update_layout(
        _layout(
            locale,
            120 + 34 * max(1, len(rows)),
            barmode="stack",
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "traceorder": "normal"},
            xaxis={"title": {"text": _("Weighted score (0–100), by criterion")}, "rangemode": "tozero"},
            yaxis={"autorange": "reversed", "automargin": True},
        )
    )
    return _json(figure)


def cities_figure(data: ResultData, locale: str) -> str:
    """Heatmap: challenges (rank order) × cities, each city's own weighted score; blank where it did not score."""
    matrix = data.cities
    labels = _labels(list(matrix.titles))
    # challenges × cities; NaN where a city did not score (a gap in the heatmap). A numpy array is
    # validated and serialised by Plotly as one block instead of cell by cell.
    z = np.array([row.scores for row in matrix.rows], dtype=float).T.reshape(len(matrix.alternatives), len(matrix.rows))
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=_labels([row.name for row in matrix.rows]),
            y=labels,
            zmin=0,
            zmax=100,
            colorscale=SEQUENTIAL,
            showscale=False,  # the colour bar's cells get a style attribute, which the CSP refuses
            xgap=2,
            ygap=2,
            texttemplate="%{z:.0f}",
            hovertemplate="%{y}<br>%{x}: %{z:.1f}<extra></extra>",
            hoverongaps=False,
        )
    )
    figure.update_layout(
        _layout(
            locale,
            150 + 30 * max(1, len(labels)),
            xaxis={"side": "top", "tickangle": -35, "automargin": True},
            yaxis={"autorange": "reversed", "automargin": True},
        )
    )
    return _json(figure)


def acceptability_figure(data: ResultData, locale: str) -> str:
    """Rank acceptability: per challenge, a bar of 100% split by the share of samples that gave it each rank."""
    acceptability = data.acceptability
    rows = acceptability.rows if acceptability else ()
    labels = _labels([r.title for r in rows])
    count = max((len(r.ranks) for r in rows), default=0)
    shown = min(count, SHOWN_RANKS)
    figure = go.Figure()
    hover = np.array([_text(r.title) for r in rows], dtype=object).reshape(-1, 1)
    probabilities = np.array([list(r.shown) + [0.0] * (shown - len(r.shown)) for r in rows], dtype=float).reshape(
        len(rows), shown
    )
    bars = [(rank, _("Rank %(rank)d", rank=rank + 1), probabilities[:, rank]) for rank in range(shown)]
    if acceptability is not None and acceptability.has_lower:
        bars.append((shown, _("Rank %(rank)d or lower", rank=shown + 1), np.array([r.lower for r in rows], dtype=float)))
    for rank, name, values in bars:
        if rank < data.select:  # ranks inside the selection: orange, the others: blue, darker for better ranks
            colour = _mix("#a04f00", "#f5c26b", rank / max(1, data.select - 1))
        elif rank < shown:
            colour = _mix("#0a3d91", "#d9e2f1", (rank - data.select) / max(1, shown - data.select - 1))
        else:
            colour = "#adb5bd"  # every lower rank together: grey
        figure.add_trace(
            go.Bar(
                name=str(name),
                orientation="h",
                y=labels,
                x=np.round(100 * values, 2),
                customdata=hover,
                marker={"color": colour, "line": {"color": "#ffffff", "width": 0.5}},
                hovertemplate="%{customdata[0]}<br>%{fullData.name}: %{x:.1f}%<extra></extra>",
            )
        )
    figure.update_layout(
        _layout(
            locale,
            120 + 34 * max(1, len(rows)),
            barmode="stack",
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "traceorder": "normal"},
            xaxis={"title": {"text": _("Share of the weight samples (%)")}, "range": [0, 100]},
            yaxis={"autorange": "reversed", "automargin": True},
        )
    )
    return _json(figure)


def _mix(start: str, end: str, amount: float) -> str:
    a = [int(start[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(end[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * amount):02x}" for x, y in zip(a, b, strict=True))


# --- pilot timeline ----------------------------------------------------------------------------------------------


def gantt_figure(rows: list[dict[str, Any]], locale: str, today_iso: str) -> str | None:
    """Milestones as horizontal bars from start (or due date minus two weeks) to due date, coloured by state.

    ``rows``: dicts with ``label``, ``start`` and ``end`` (ISO dates) and ``state`` in done / overdue / open / blocked.
    """
    if not rows:
        return None
    colours = {"done": "#198754", "overdue": "#b02a37", "blocked": "#8a5a00", "open": "#0a3d91"}
    names = {"done": _("done"), "overdue": _("overdue"), "blocked": _("blocked"), "open": _("open")}
    figure = go.Figure()
    for state in ("done", "open", "blocked", "overdue"):
        selected = [row for row in rows if row["state"] == state]
        if not selected:
            continue
        starts = [row["start"] for row in selected]
        durations = [max(86_400_000, (_epoch_ms(row["end"]) - _epoch_ms(row["start"]))) for row in selected]
        figure.add_trace(
            go.Bar(
                name=str(names[state]),
                orientation="h",
                y=[_short(row["label"]) for row in selected],
                x=durations,
                base=starts,
                marker={"color": colours[state]},
                hovertext=[f"{_text(row['label'])}: {row['start']} → {row['end']}" for row in selected],
                hoverinfo="text",
            )
        )
    figure.update_layout(
        **_layout(locale, 80 + 34 * len(rows), barmode="overlay", showlegend=True, legend={"orientation": "h", "y": -0.15})
    )
    figure.update_xaxes(type="date")
    figure.update_yaxes(autorange="reversed")
    figure.add_vline(x=_epoch_ms(today_iso), line_width=1, line_dash="dot", line_color="#6c757d")
    return _json(figure)


def _epoch_ms(iso_date: str) -> int:
    from datetime import UTC, datetime

    return int(datetime.fromisoformat(iso_date).replace(tzinfo=UTC).timestamp() * 1000)


# --- a dataset's availability ------------------------------------------------------------------------------------

#: The rows of the availability chart, top to bottom, with their mark: the row, the symbol and the colour each say
#: the day's result, so that none of them depends on colour alone.
AVAILABILITY_MARKS = {
    "passed": ("circle", "#198754"),
    "mixed": ("diamond", "#8a5a00"),
    "failed": ("x", "#b02a37"),
    "none": ("line-ns-open", "#6c757d"),
}


def availability_figure(days: list[dict[str, Any]], locale: str) -> str | None:
    """A dataset's checks per day: one mark per day (x: the date) in the row of its result.

    ``days``: dicts with ``day`` (ISO date), ``label`` (the date as the reader writes it), ``result`` (a key of
    :data:`AVAILABILITY_MARKS`), ``checks`` and ``passed`` (counts), oldest first; every day of the window.
    """
    if not days:
        return None
    names = {"passed": _("passed"), "mixed": _("passed and failed"), "failed": _("failed"), "none": _("no check")}
    shown = [result for result in AVAILABILITY_MARKS if any(day["result"] == result for day in days)]
    figure = go.Figure()
    for result in shown:
        selected = [day for day in days if day["result"] == result]
        symbol, colour = AVAILABILITY_MARKS[result]
        hover = [
            _("%(date)s: %(passed)d of %(checks)d checks passed", date=day["label"], passed=day["passed"], checks=day["checks"])
            if day["checks"]
            else _("%(date)s: no check", date=day["label"])
            for day in selected
        ]
        figure.add_trace(
            go.Scatter(
                name=str(names[result]),
                mode="markers",
                x=[day["day"] for day in selected],
                y=[str(names[result])] * len(selected),
                marker={"symbol": symbol, "color": colour, "size": 9, "line": {"color": colour, "width": 2}},
                customdata=[[_text(text)] for text in hover],
                hovertemplate="%{customdata[0]}<extra></extra>",
            )
        )
    first, last = _epoch_ms(days[0]["day"]), _epoch_ms(days[-1]["day"])
    half_day = 43_200_000
    figure.update_layout(
        _layout(
            locale,
            90 + 36 * len(shown),
            showlegend=False,
            xaxis={"type": "date", "range": [first - half_day, last + half_day], "showgrid": False},
            yaxis={
                "type": "category",
                "categoryorder": "array",
                "categoryarray": [str(names[result]) for result in shown],
                "autorange": "reversed",
                "automargin": True,
                "fixedrange": True,
            },
        )
    )
    return _json(figure)
