"""The results of a voting round: ranking, charts, robustness, snapshot, and the committee's confirmation."""

from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from pilots import charts, charts_group
from pilots.cache import LruCache, register
from pilots.models import ChallengeStatus, Round, RoundPhase
from pilots.security.access import ANYONE, SIGNED_IN, STEERING, allow
from pilots.services import voting
from pilots.services.errors import NotFound, ServiceError
from pilots.web.forms import choices
from pilots.web.results.forms import ConfirmSelectionForm
from pilots.web.support import apply_service_error, flash_service_error

bp = Blueprint("results", __name__, url_prefix="/rounds")

# The same texts as the round settings form (pilots/web/rounds/forms.py), so they share one translation.
METHOD_LABELS = {
    "wsm": _l("Weighted sum"),
    "topsis": _l("TOPSIS"),
    "borda": _l("Borda count on the cities' rankings"),
    "copeland": _l("Copeland on the cities' rankings"),
    "schulze": _l("Schulze on the cities' rankings"),
}
ASSET_MAX_AGE = 365 * 24 * 3600


def _locale() -> str:
    return str(get_locale() or "nl")


def _round(round_id: int) -> Round:
    try:
        return voting.get_round(round_id)
    except NotFound:
        abort(404)


def _visible_round(round_id: int) -> Round:
    """The round, if the user may see its results (404 for an unknown round, 403 before they may)."""
    round_ = _round(round_id)
    if not voting.can_see_results(current_user, round_) or round_.snapshot is None:
        abort(403)
    return round_


def _reading(round_: Round) -> tuple[charts.Names, frozenset[str], tuple]:
    """The display names of the round's challenges, cities and criteria, the cities whose scores the reader may see
    (``voting.can_see_scores``, through their ballots), and the cache key of both with the snapshot (a fixed number
    of queries)."""
    locale = _locale()
    entries = list(round_.entries)  # with their challenge and its city (joined)
    ballots = list(round_.ballots)  # with their city (joined)
    names = charts.Names(
        challenges={str(e.challenge_id): e.challenge.title for e in entries},
        proposers={str(e.challenge_id): e.challenge.city.name for e in entries},
        cities={b.city.slug: b.city.name for b in ballots},
        criteria={c.key: c.name(locale) for c in round_.criteria},
    )
    visible = frozenset(b.city.slug for b in ballots if voting.can_see_ballot(current_user, round_, b))
    snapshot = round_.snapshot
    # A snapshot never changes once written; the names and what the reader may see are part of the key.
    return names, visible, (snapshot.id, snapshot.sha256, snapshot.created_at, _frozen(names), visible)


def _result_data(round_: Round) -> charts.ResultData:
    """The stored result with the names of the challenges, cities and criteria (a fixed number of queries)."""
    names, visible, key = _reading(round_)
    snapshot = round_.snapshot
    return _RESULTS.get_or_make(
        key, lambda: charts.build(voting.result_of(round_) or {}, json.loads(snapshot.document), names, set(visible))
    )


def _group_data(round_: Round) -> charts_group.GroupData:
    """The group decision of a version-2 result (consensus, the cities' weights, the capacity); empty for version 1.
    Figures about one city are kept only for the cities the reader may see (``voting.can_see_scores``)."""
    names, visible, key = _reading(round_)
    snapshot = round_.snapshot
    return _GROUPS.get_or_make(
        key,
        lambda: charts_group.build(
            voting.result_of(round_) or {}, json.loads(snapshot.document), names, set(visible), voting.shareable_cell
        ),
    )


#: The tables of the most recently viewed results (parsing and tabulating a large round takes long) …
_RESULTS: LruCache[charts.ResultData] = register(LruCache(size=16))
#: … and their figures, per language (each entry keeps its tables, so an id is never reused while cached).
_FIGURES: LruCache[tuple[charts.ResultData, dict[str, str | None]]] = register(LruCache(size=16))
#: The group decision's tables of the same results, and their figures per language.
_GROUPS: LruCache[charts_group.GroupData] = register(LruCache(size=16))
_GROUP_FIGURES: LruCache[tuple[charts_group.GroupData, dict[str, str | None]]] = register(LruCache(size=16))


def _frozen(names: charts.Names) -> tuple:
    return tuple(tuple(sorted(part.items())) for part in (names.challenges, names.proposers, names.cities, names.criteria))


def _figures(data: charts.ResultData, locale: str) -> dict[str, str | None]:
    def make() -> dict[str, str | None]:
        return {
            "ranking-figure": charts.ranking_figure(data, locale) if data.ranking else None,
            "cities-figure": charts.cities_figure(data, locale) if data.cities.rows else None,
            "acceptability-figure": charts.acceptability_figure(data, locale) if data.acceptability and data.ranking else None,
        }

    key = (id(data), locale)
    cached = _FIGURES.get(key)
    if cached is None or cached[0] is not data:
        cached = _FIGURES.put(key, (data, make()))
    return cached[1]


def _group_figures(group: charts_group.GroupData, locale: str) -> dict[str, str | None]:
    def make() -> dict[str, str | None]:
        consensus, weights, capacity = group.consensus, group.city_weights, group.capacity
        return {
            "consensus-figure": charts_group.consensus_figure(consensus, locale) if consensus and consensus.rows else None,
            "city-weights-figure": charts_group.city_weights_figure(weights, locale) if weights else None,
            "capacity-figure": charts_group.capacity_figure(capacity, locale) if capacity and capacity.challenges else None,
        }

    key = (id(group), locale)
    cached = _GROUP_FIGURES.get(key)
    if cached is None or cached[0] is not group:
        cached = _GROUP_FIGURES.put(key, (group, make()))
    return cached[1]


def _can_confirm(round_: Round) -> bool:
    return current_user.is_steering and round_.phase is RoundPhase.PUBLISHED and round_.confirmed_at is None


def _confirm_form(round_: Round, data: charts.ResultData, formdata: bool = False) -> ConfirmSelectionForm:
    form = ConfirmSelectionForm() if formdata else ConfirmSelectionForm(formdata=None)
    titles = {str(e.challenge_id): e.challenge.title for e in round_.entries}
    ranks = {row.alternative: row.rank for row in data.ranking}
    order = [row.alternative for row in data.ranking] + [a for a in titles if a not in ranks]
    form.selected.choices = choices(
        (int(a), _("%(title)s (rank %(rank)d)", title=titles[a], rank=ranks[a]) if a in ranks else titles[a])
        for a in order
        if a in titles
    )
    if not formdata:
        form.selected.data = [int(a) for a in data.selected]
    return form


def _render(round_: Round, data: charts.ResultData, form: ConfirmSelectionForm | None = None, status: int = 200):
    """The results page. The committee confirms the selection on the confirmation page (``rounds.confirm_step``),
    which says what it freezes; ``form`` is only given when that page's form was refused (``confirm``), so that the
    messages stand next to the fields with what was typed."""
    locale = _locale()
    group = _group_data(round_)
    challenges = {str(e.challenge_id): e.challenge for e in round_.entries}
    computed = [challenges[a] for a in data.selected if a in challenges]
    confirmed = [e.challenge for e in round_.entries if e.challenge.status is ChallengeStatus.SELECTED]
    criteria = {c.key: c for c in round_.criteria}
    assets = charts.plotly_assets()
    figures = _figures(data, locale)
    group_figures = _group_figures(group, locale)
    return render_template(
        "results/detail.html",
        round=round_,
        data=data,
        form=form if _can_confirm(round_) else None,
        can_confirm=_can_confirm(round_),
        group=group,
        delphi=group.delphi,
        group_figures=group_figures,
        page_figures=[*figures.values(), *group_figures.values()],  # for the plotly.js bundle (macros/plotly.html)
        challenges=challenges,
        computed=computed,
        confirmed=confirmed,
        criteria=criteria,
        figures=figures,
        city_table_rows=charts.CITY_TABLE_ROWS,
        method_labels=METHOD_LABELS,
        maplibre_marker=assets.maplibre_marker,
        submitted=len(data.leave_one_out),
        snapshot_download=voting.can_download_snapshot(current_user, round_),
        voting_published=voting.results_public(round_),
        tie_step=lambda step: _tie_step(step, criteria, locale),
    ), status


def _tie_step(step: str, criteria: dict, locale: str) -> str:
    """The step of the tie rule that separated two challenges (pilots/ranking/ordering.py)."""
    if step == "voters":
        return _("more cities scored it")
    if step.startswith("criterion:"):
        key = step.removeprefix("criterion:")
        return _("higher group score on %(criterion)s", criterion=criteria[key].name(locale) if key in criteria else key)
    if step == "draw":
        return _("a draw with the round's seed")
    return _("a fixed order of the challenges' identifiers")


@bp.get("/<int:round_id>/results")
@allow(SIGNED_IN)
def show(round_id: int):
    round_ = _visible_round(round_id)
    return _render(round_, _result_data(round_))


@bp.post("/<int:round_id>/confirm")
@allow(STEERING)
def confirm(round_id: int):
    round_ = _round(round_id)
    if not voting.can_see_results(current_user, round_) or round_.snapshot is None:
        flash_service_error(ServiceError(_l("Publish the results before confirming the selection.")))
        return redirect(url_for("rounds.detail", round_id=round_.id))
    data = _result_data(round_)
    form = _confirm_form(round_, data, formdata=True)
    if form.validate_on_submit():
        try:
            voting.confirm_selection(current_user, round_.id, list(form.selected.data or []), form.justification.data or "")
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(_("The selection is confirmed: the selected challenges are now pilots."), "success")
            return redirect(url_for("results.show", round_id=round_.id) + "#confirmation")
    if not _can_confirm(round_):  # confirmed, or no longer published, in the meantime: say so at the top of the page
        for messages in form.errors.values():
            for message in messages:
                flash(str(message), "danger")
        return redirect(url_for("results.show", round_id=round_.id))
    return _render(round_, data, form, 400)


@bp.get('/<int:round_id>/results/<any(ranking, cities, acceptability, consensus, "city-weights", capacity):table>.csv')
@allow(SIGNED_IN)
def export_csv(round_id: int, table: str):
    """One of the page's tables as CSV, with what the page shows the reader (the group decision's tables only for a
    result that has them: 404 for a version-1 snapshot)."""
    round_ = _visible_round(round_id)
    if table in charts_group.CSV_TABLES:
        rows = charts_group.csv_rows(_group_data(round_), table)
        if rows is None:
            abort(404)
    else:
        rows = charts.csv_rows(_result_data(round_), table)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=round-{round_.id}-{table}.csv"},
    )


@bp.get("/<int:round_id>/snapshot.json")
@allow(SIGNED_IN)
def snapshot(round_id: int):
    """The ranking input exactly as frozen (canonical JSON): its SHA-256 is the one shown on the results page."""
    round_ = _visible_round(round_id)
    if not voting.can_download_snapshot(current_user, round_):
        abort(403)
    return Response(
        round_.snapshot.document.encode("utf-8"),
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename=round-{round_.id}-snapshot.json"},
    )


# plotly.js is served from the installed plotly package (no CDN). Signed-in only, like every page that uses it,
# so the list of public routes (tests/test_access_policy.py) stays as it is.


@bp.get("/assets/plotly.min.js")
@allow(ANYONE)  # public pages (a pilot's timeline) draw charts too
def plotly_js():
    response = send_file(charts.PLOTLY_JS, mimetype="text/javascript", max_age=ASSET_MAX_AGE, conditional=True)
    response.headers["Cache-Control"] = f"private, max-age={ASSET_MAX_AGE}, immutable"
    return response


@bp.get("/assets/plotly.css")
@allow(ANYONE)
def plotly_css():
    response = Response(charts.plotly_assets().css, mimetype="text/css")
    response.headers["Cache-Control"] = f"private, max-age={ASSET_MAX_AGE}, immutable"
    return response
