"""The city profile's maturity radar chart: one city's self-assessment of a year against its previous one.

Built like the figures of :mod:`pilots.charts`: returned as JSON for ``static/js/charts.js`` to draw, so the page
carries no inline script. The chart only ever shows one city: cities are not compared or ranked on maturity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from pilots.charts import _json, _layout, _text

#: The selected year in the app's blue, the previous one in Okabe–Ito orange, dashed (told apart without colour too).
CURRENT_COLOUR = "#0a3d91"
PREVIOUS_COLOUR = "#e69f00"
WRAP = 18


@dataclass(frozen=True)
class Series:
    name: str  # the year, as shown in the legend
    scores: Sequence[int]  # one per domain, in the order of the labels


def _wrap(label: str, width: int = WRAP) -> str:
    """An axis label on several lines (Plotly breaks lines at ``<br>`` only); the text itself is escaped."""
    lines: list[str] = []
    for word in _text(label).split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def maturity_figure(domains: Sequence[str], current: Series, previous: Series | None, locale: str) -> str:
    """A radar chart (Plotly ``Scatterpolar``) of the six domains, scores 1 to 5: ``current`` filled, ``previous``
    dashed behind it. ``domains`` are the display names, in the order of the scores."""
    theta = [_wrap(name) for name in domains]
    names = [_text(name) for name in domains]
    figure = go.Figure()
    for series, colour, dash, opacity in (
        (previous, PREVIOUS_COLOUR, "dash", 0.10),
        (current, CURRENT_COLOUR, "solid", 0.25),
    ):
        if series is None:
            continue
        scores = list(series.scores)
        figure.add_trace(
            go.Scatterpolar(
                name=_text(series.name),
                r=[*scores, scores[0]],  # back to the first domain: a closed shape
                theta=[*theta, theta[0]],
                customdata=[[name] for name in [*names, names[0]]],
                mode="lines+markers",
                fill="toself",
                fillcolor=_rgba(colour, opacity),
                line={"color": colour, "width": 2, "dash": dash},
                marker={"color": colour, "size": 7},
                hovertemplate="%{fullData.name} · %{customdata[0]}: %{r}<extra></extra>",
            )
        )
    figure.update_layout(
        _layout(
            locale,
            460,
            margin={"l": 80, "r": 80, "t": 50, "b": 50},
            showlegend=True,
            legend={"orientation": "h", "yanchor": "top", "y": -0.08, "x": 0.5, "xanchor": "center"},
            polar={
                "radialaxis": {"range": [0, 5], "tickvals": [1, 2, 3, 4, 5], "angle": 60},  # between two domains
                "angularaxis": {"direction": "clockwise", "rotation": 90},
            },
        )
    )
    return _json(figure)


def _rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"
