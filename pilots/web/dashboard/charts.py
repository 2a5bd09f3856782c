"""The programme dashboard's charts and CSV tables.

Built like the figures of :mod:`pilots.charts`: Plotly figures returned as JSON for ``static/js/charts.js`` to draw
(the page carries no inline script), user text escaped with ``_text``, the heatmap without colour bar and with cell
gaps (the CSP refuses the style attributes plotly.js would set otherwise). Cities always appear in alphabetical
order: the dashboard compares cities, it never ranks them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import plotly.graph_objects as go
from flask_babel import gettext as _

from pilots.cache import memoize
from pilots.charts import _epoch_ms, _json, _labels, _layout, _text, csv_cell
from pilots.models import MilestoneStatus, PilotStatus, Stage
from pilots.services import dashboard as service

#: A fixed colour per EU theme (Okabe–Ito first, then Paul Tol's muted scheme), so a theme keeps its colour
#: whatever the filters.
THEME_COLOURS = {
    "TRAN": "#0a3d91",
    "ENVI": "#009e73",
    "ENER": "#e69f00",
    "ECON": "#cc79a7",
    "SOCI": "#56b4e9",
    "GOVE": "#d55e00",
    "HEAL": "#882255",
    "EDUC": "#44aa99",
    "REGI": "#999933",
    "JUST": "#332288",
    "TECH": "#117733",
    "AGRI": "#ddcc77",
    "INTR": "#6c757d",
}
STATUS_COLOURS = {
    PilotStatus.PLANNED: "#7fa2d6",
    PilotStatus.ACTIVE: "#0a3d91",
    PilotStatus.COMPLETED: "#198754",
    PilotStatus.CANCELLED: "#6c757d",
}
#: The stages in their order, light to dark; withdrawn in grey.
STAGE_ORDER = (Stage.INTERESTED, Stage.COMMITTED, Stage.PUBLISHING, Stage.PUBLISHED, Stage.WITHDRAWN)
STAGE_COLOURS = ("#d9e2f1", "#9db6e0", "#4f79bf", "#0a3d91", "#adb5bd")
CITY_COLOURS = (
    "#0a3d91",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#f0e442",
    "#882255",
    "#44aa99",
    "#999933",
    "#332288",
    "#aa4499",
    "#117733",
    "#ddcc77",
    "#6c757d",
)
TIMELINE_COLOURS = {"done": "#198754", "open": "#0a3d91", "blocked": "#8a5a00", "overdue": "#b02a37"}


# --- figures --------------------------------------------------------------------------------------------------


@memoize()
def themes_figure(rows: Sequence[service.ThemeYear], theme_labels: dict[str, Any], locale: str) -> str | None:
    """Stacked bars: proposed challenges per year, one segment per theme."""
    if not rows:
        return None
    years = sorted({row.year for row in rows})
    themes = [code for code in THEME_COLOURS if any(row.theme == code for row in rows)]
    themes += sorted({row.theme for row in rows} - set(themes))
    counts = {(row.year, row.theme): row.challenges for row in rows}
    figure = go.Figure()
    for theme in themes:
        name = _text(str(theme_labels.get(theme, theme)))
        figure.add_trace(
            go.Bar(
                name=name,
                x=[str(year) for year in years],
                y=[counts.get((year, theme), 0) for year in years],
                marker={"color": THEME_COLOURS.get(theme, "#999999"), "line": {"color": "#ffffff", "width": 1}},
                width=0.5 if len(years) <= 2 else None,  # one or two years: no bar across the whole chart
                hovertemplate="%{x} · %{fullData.name}: %{y}<extra></extra>",
            )
        )
    figure.update_layout(
        _layout(
            locale,
            380,
            barmode="stack",
            legend={"orientation": "h", "yanchor": "top", "y": -0.1, "x": 0, "traceorder": "normal"},
            xaxis={"type": "category"},
            yaxis={
                "title": {"text": _("Challenges")},
                "rangemode": "tozero",
                **({"dtick": 1} if _peak(rows, years) <= 10 else {}),
            },
        )
    )
    return _json(figure)


def _peak(rows: Sequence[service.ThemeYear], years: list[int]) -> int:
    return max(sum(row.challenges for row in rows if row.year == year) for year in years)


@memoize()
def progress_figure(rows: Sequence[service.PilotRow], status_labels: dict[Any, Any], locale: str) -> str | None:
    """Horizontal bars: each pilot's progress (0–100%), coloured by its status, in the list's order."""
    if not rows:
        return None
    labels = _labels([row.title for row in rows])
    figure = go.Figure()
    for status in PilotStatus:
        selected = [(label, row) for label, row in zip(labels, rows, strict=True) if row.status is status]
        if not selected:
            continue
        figure.add_trace(
            go.Bar(
                name=str(status_labels[status]),
                orientation="h",
                y=[label for label, _row in selected],
                x=[row.progress for _label, row in selected],
                text=[f"{row.progress}%" for _label, row in selected],
                textposition="outside",
                cliponaxis=False,
                customdata=[[_text(row.title)] for _label, row in selected],
                marker={"color": STATUS_COLOURS[status]},
                hovertemplate="%{customdata[0]}<br>%{fullData.name}: %{x}%<extra></extra>",
            )
        )
    figure.update_layout(
        _layout(
            locale,
            150 + 30 * len(rows),
            barmode="overlay",
            showlegend=True,
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
            xaxis={"range": [0, 110], "tickvals": [0, 25, 50, 75, 100], "title": {"text": _("Progress (%)")}},
            yaxis={"categoryorder": "array", "categoryarray": labels, "autorange": "reversed", "automargin": True},
        )
    )
    return _json(figure)


@memoize()
def stages_figure(matrix: service.StageMatrix, stage_labels: dict[Any, Any], locale: str) -> str | None:
    """Heatmap: cities (alphabetical) × pilots, each cell coloured by the city's stage and labelled with it."""
    if matrix.empty:
        return None
    count = len(STAGE_ORDER)
    # A discrete colour scale: value i fills [i - 0.5, i + 0.5].
    scale = []
    for index, colour in enumerate(STAGE_COLOURS):
        scale += [[index / count, colour], [(index + 1) / count, colour]]
    # numpy arrays: Plotly takes an array at once, a list cell by cell (50 cities × 60 pilots on a large programme)
    z = np.array(
        [[STAGE_ORDER.index(stage) if stage else np.nan for stage in city.stages] for city in matrix.cities], dtype=float
    )
    labels = {stage: str(label) for stage, label in stage_labels.items()}
    text = np.array([[labels[stage] if stage else "" for stage in city.stages] for city in matrix.cities], dtype=object)
    pilots = _labels([title for _id, title in matrix.pilots])
    cities = _labels([city.name for city in matrix.cities])
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=pilots,
            y=cities,
            text=text,
            texttemplate="%{text}",
            textfont={"size": 11},
            zmin=-0.5,
            zmax=count - 0.5,
            colorscale=scale,
            showscale=False,  # the colour bar's cells get a style attribute, which the CSP refuses
            xgap=2,
            ygap=2,
            hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
            hoverongaps=False,
        )
    )
    figure.update_layout(
        _layout(
            locale,
            140 + 28 * len(cities),
            xaxis={"side": "top", "tickangle": -30, "automargin": True},
            yaxis={"autorange": "reversed", "automargin": True},
        )
    )
    return _json(figure)


@memoize()  # the same data in the same language gives the same figure: built once until the data changes
def datasets_figure(series: service.DatasetSeries, locale: str) -> str | None:
    """Stacked areas: each city's running total of published datasets per period (a step at each publication),
    so that the top edge is the programme's total. Cities stack in alphabetical order."""
    if not series.points or not series.periods:
        return None
    cities: dict[str, tuple[str, dict[str, int]]] = {}
    for point in series.points:
        cities.setdefault(point.slug, (point.name, {}))[1][point.period] = point.cumulative
    figure = go.Figure()
    peak = 0
    periods = np.array(series.periods, dtype=object)
    for index, (name, totals) in enumerate(cities.values()):
        current = totals.get("before", 0)
        values = []
        for period in series.periods:
            current = totals.get(period, current)
            values.append(current)
        peak += values[-1] if values else 0
        colour = CITY_COLOURS[index % len(CITY_COLOURS)]
        figure.add_trace(
            go.Scatter(
                name=_text(name),
                x=periods,
                y=np.array(values, dtype=float),
                mode="lines" if len(periods) > 1 else "lines+markers",  # one period: an area has no width, show points
                stackgroup="cities",
                line={"shape": "hv", "width": 1, "color": colour},
                fillcolor=colour,
                hovertemplate="%{fullData.name}: %{y}<extra></extra>",
            )
        )
    figure.update_layout(
        _layout(
            locale,
            380,
            hovermode="x unified",
            legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0, "traceorder": "normal"},
            xaxis={"type": "category", "title": {"text": _("Month") if series.by_month else _("Year")}},
            yaxis={
                "title": {"text": _("Datasets published (running total)")},
                "rangemode": "tozero",
                **({"dtick": 1} if peak <= 10 else {}),
            },
        )
    )
    return _json(figure)


@memoize()
def conformance_figure(rows: Sequence[service.ConformanceRow], locale: str) -> str | None:
    """Stacked horizontal bars per city (alphabetical): datasets passing, failing and not yet checked."""
    if not rows:
        return None
    labels = _labels([row.name for row in rows])
    shares = [
        _("%(share)s%% of the checked datasets pass", share=round(100 * row.pass_share))
        if row.pass_share is not None
        else _("none checked")
        for row in rows
    ]
    figure = go.Figure()
    for name, values, colour in (
        (_("passing their last check"), [row.passing for row in rows], "#198754"),
        (_("failing their last check"), [row.failing for row in rows], "#b02a37"),
        (_("not checked yet"), [row.unchecked for row in rows], "#adb5bd"),
    ):
        figure.add_trace(
            go.Bar(
                name=name,
                orientation="h",
                y=labels,
                x=values,
                customdata=[[share] for share in shares],
                marker={"color": colour, "line": {"color": "#ffffff", "width": 1}},
                hovertemplate="%{y}: %{x} %{fullData.name}<br>%{customdata[0]}<extra></extra>",
            )
        )
    figure.update_layout(
        _layout(
            locale,
            120 + 30 * len(rows),
            barmode="stack",
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "traceorder": "normal"},
            xaxis={
                "title": {"text": _("Published datasets")},
                "rangemode": "tozero",
                **({"dtick": 1} if max(r.published for r in rows) <= 10 else {}),
            },
            yaxis={"autorange": "reversed", "automargin": True},
        )
    )
    return _json(figure)


def milestone_state(row: service.MilestoneRow) -> str:
    if row.done:
        return "done"
    if row.overdue:
        return "overdue"
    return "blocked" if row.status is MilestoneStatus.BLOCKED else "open"


@memoize()
def timeline_figure(rows: Sequence[service.MilestoneRow], today_iso: str, locale: str) -> str | None:
    """Milestones as bars from their start (or two weeks before) to their due date, grouped by pilot (pilots by
    their first due date, then each pilot's milestones by due date) and coloured by state; overdue ones also carry
    a cross at their due date (not told by colour alone). The dotted line is today."""
    if not rows:
        return None
    names = {"done": _("done"), "open": _("open"), "blocked": _("blocked"), "overdue": _("overdue")}
    pilots: dict[int, list[service.MilestoneRow]] = {}
    for row in rows:
        pilots.setdefault(row.pilot_id, []).append(row)
    ordered = [row for group in pilots.values() for row in group]
    pilot_labels = {
        pilot_id: label for pilot_id, label in zip(pilots, _labels([g[0].pilot for g in pilots.values()]), strict=True)
    }
    titles = {}
    for group in pilots.values():
        titles.update(zip((row.id for row in group), _labels([row.title for row in group]), strict=True))
    states = [milestone_state(row) for row in ordered]
    starts = [(row.start_date or row.due_date - timedelta(days=14)).isoformat() for row in ordered]
    # One trace for every bar keeps the order; the legend comes from empty traces, one per state shown.
    figure = go.Figure(
        go.Bar(
            orientation="h",
            showlegend=False,
            # numpy arrays: Plotly validates and copies an array at once, a list item by item (3,000 milestones)
            y=np.array([[pilot_labels[row.pilot_id] for row in ordered], [titles[row.id] for row in ordered]], dtype=object),
            x=np.array(
                [
                    max(86_400_000, _epoch_ms(row.due_date.isoformat()) - _epoch_ms(start))
                    for row, start in zip(ordered, starts, strict=True)
                ],
                dtype=float,
            ),
            base=np.array(starts, dtype=object),
            marker={"color": np.array([TIMELINE_COLOURS[state] for state in states], dtype=object)},
            customdata=np.array(
                [
                    [_text(row.pilot), _text(row.title), row.due_date.isoformat(), round(100 * row.progress), str(names[state])]
                    for row, state in zip(ordered, states, strict=True)
                ],
                dtype=object,
            ),
            hovertemplate="%{customdata[0]}<br>%{customdata[1]}<br>"
            + _text(_("due"))
            + " %{customdata[2]} · %{customdata[3]}% · %{customdata[4]}<extra></extra>",
        )
    )
    for state in ("done", "open", "blocked", "overdue"):
        if state in states:
            figure.add_trace(
                go.Scatter(
                    name=str(names[state]),
                    x=[None],
                    y=[None],
                    mode="markers",
                    marker={"symbol": "square", "size": 12, "color": TIMELINE_COLOURS[state]},
                    hoverinfo="skip",
                )
            )
    overdue = [row for row, state in zip(ordered, states, strict=True) if state == "overdue"]
    if overdue:
        figure.add_trace(
            go.Scatter(
                name=str(names["overdue"]),
                showlegend=False,
                mode="markers",
                y=[[pilot_labels[row.pilot_id] for row in overdue], [titles[row.id] for row in overdue]],
                x=[row.due_date.isoformat() for row in overdue],
                marker={"symbol": "x-thin", "size": 12, "line": {"width": 2, "color": "#212529"}},
                hoverinfo="skip",
            )
        )
    figure.update_layout(
        _layout(
            locale,
            110 + 30 * len(rows),
            barmode="overlay",
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
            xaxis={"type": "date"},
            yaxis={"autorange": "reversed", "automargin": True},
        )
    )
    figure.add_vline(x=_epoch_ms(today_iso), line_width=1, line_dash="dot", line_color="#6c757d")
    return _json(figure)


# --- CSV ------------------------------------------------------------------------------------------------------


def csv_rows(name: str, data: Any) -> list[list[Any]]:
    """Header and rows of one panel's data (machine-readable English headers, numbers with a dot), every cell
    neutralised against spreadsheet formulas."""
    if name == "challenges":
        header = ["year", "theme", "challenges"]
        rows: list[list[Any]] = [[row.year, row.theme, row.challenges] for row in data]
    elif name == "pilots":
        header = [
            "pilot_id",
            "pilot",
            "year",
            "status",
            "lead_city",
            "cities",
            "milestones",
            "overdue_milestones",
            "progress_percent",
        ]
        rows = [
            [row.id, row.title, row.year, row.status.value, row.lead_city, row.cities, row.milestones, row.overdue, row.progress]
            for row in data
        ]
    elif name == "stages":
        header = ["city", "city_slug", "pilot_id", "pilot", "stage"]
        rows = [
            [city.name, city.slug, pilot_id, title, stage.value]
            for city in data.cities
            for (pilot_id, title), stage in zip(data.pilots, city.stages, strict=True)
            if stage is not None
        ]
    elif name == "datasets":
        header = ["city", "city_slug", "period", "published", "cumulative"]
        rows = [[p.name, p.slug, p.period, p.published, p.cumulative] for p in data.points]
    elif name == "conformance":
        header = ["city", "city_slug", "published", "checked", "passing", "failing", "not_checked", "pass_share"]
        rows = [
            [
                r.name,
                r.slug,
                r.published,
                r.checked,
                r.passing,
                r.failing,
                r.unchecked,
                round(r.pass_share, 4) if r.pass_share is not None else None,
            ]
            for r in data
        ]
    elif name == "milestones":
        header = [
            "milestone_id",
            "pilot_id",
            "pilot",
            "milestone",
            "start_date",
            "due_date",
            "per_city",
            "status",
            "progress_percent",
            "overdue",
            "cities_not_done",
        ]
        rows = [
            [
                m.id,
                m.pilot_id,
                m.pilot,
                m.title,
                m.start_date.isoformat() if m.start_date else None,
                m.due_date.isoformat(),
                m.per_city,
                m.status.value,
                round(100 * m.progress),
                m.overdue,
                "; ".join(m.open_cities),
            ]
            for m in data
        ]
    else:
        raise KeyError(name)
    return [header, *[[csv_cell(value) for value in row] for row in rows]]
