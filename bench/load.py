"""Load test of the production shape: ``python -m bench.load [--users 200] [--duration 60] [--think 10] ...``

What it measures
----------------
How the platform holds up when many people use it at once, on the production shape of ``make proof``: gunicorn
with 2 sync workers and production settings, on PostgreSQL with the demo data (``tests/proof/server.py``
migrates, seeds and starts it; rate-limit counters in Redis). It reports the requests served, the throughput,
the p50/p95/p99 latency and the errors (any 5xx, transport error, timeout or unexpected status), overall and
per kind of request; then, on the same server, the throughput of a trivial endpoint (``/healthz`` by default)
as the ceiling the stack itself puts on any page.

How
---
1. Discovery (not timed): the challenge, pilot, round and city ids from the public API; the round open for
   voting from ``/rounds`` (as the steering committee); which cities' ballots in it are still editable drafts
   (signing in as each city once).
2. Sign-in (timed apart): every signed-in virtual user signs in once with its demo account (``pilot-demo``;
   the ~17 demo accounts are shared). The sign-in throttles (5 per account and 50 per address per 15 min)
   and the API's rate limit would refuse a load test from one address, so the run raises
   ``LOGIN_LIMIT_PER_ACCOUNT``, ``LOGIN_LIMIT_PER_IP`` and ``API_RATE_LIMIT`` (see ``RAISED_LIMITS``); the
   output says so. Password hashing (scrypt) makes this phase take seconds.
3. The mix (``--duration`` s): ``--users`` virtual users, each a loop of one step and a think time drawn
   uniformly from 0.5–1.5 × ``--think`` s. The default, 10 s, is a person reading a page or filling in a
   few cells before the next click: 200 such users ask about 20 pages a second, far more than the
   programme's real use (a few dozen city staff, rarely online at once). ``--think 0`` drops the pauses:
   every user then waits only for the server, which is saturated and the latencies are queueing time.
   The users start spread over the first think time.

   * 25 % anonymous visitors: home, challenge list (pages, filters, search, sorts) and detail, pilot list, pilot
     page and its iCalendar feed, the DCAT catalogue (Turtle, JSON-LD, RDF/XML, negotiated), the JSON API.
   * 45 % signed-in users browsing with their city's account (or the committee's, the lead's, the
     administrator's): the same pages plus the dashboard, the results page of a published round, the
     rounds list and city profiles.
   * 20 % voters of the cities whose ballot in the round open for voting is a draft: they open the ballot,
     save it as a draft with fresh scores (the CSRF token and the ``version`` scraped from the page) and
     reload it, looking things up in between. Several voters share each ballot, so saves collide: the app's
     refusal of a stale save (400 with its "somebody else saved this" message, or its "conflicts with data
     saved in the meantime" message when the unique constraint catches the race) is counted as *refused*,
     not as an error; any other answer to a save is an error.
   * 10 % workspace editors (the pilot lead, the committee, participating cities' staff): they open a
     pilot page, change the status of a milestone they may change (shared ones as lead, their city's row
     otherwise; "blocked" with a reason) or, as lead, post an update, and follow the redirect. A flashed
     refusal on the page they land on is an error: the change was valid.

   Latencies are measured in the client, from sending the request to having read the whole answer. Each
   request names its kind in a header that gunicorn's access log records with the time the worker spent on
   it, so the table also gives that server time (``srv``): the difference is time spent waiting, mostly in
   the listen queue while both workers were busy.
4. The trivial endpoint (``--trivial-duration`` s): the same number of users, anonymous and without think
   time, request ``--trivial-path``. ``/healthz`` goes through everything every page goes through
   (gunicorn, the WSGI app, routing, the access policy and request hooks, the security headers, a pooled
   database connection with its pre-ping and one ``SELECT 1``) and does nothing else: no template, no real
   query. Its throughput is the framework's own limit on this machine; the mix's throughput divided by it
   shows how close real pages come, or (with think time) how much headroom is left.

Who was the bottleneck: the client is one asyncio process (one ``httpx.AsyncClient``, one cookie jar per
user) competing with gunicorn and PostgreSQL for the cores. For each phase the report gives the client's CPU
and its event-loop lag (a late loop adds to every latency measured), the CPU of the gunicorn workers and of
the database's PostgreSQL backends, the machine's busy share, its CPU pressure (the share of the time some
runnable process waited for a core: other jobs on the machine) and the load average. From the server's CPU
per request (gunicorn + PostgreSQL) it also estimates the throughput the server would reach with every core
to itself: unlike the measured req/s, that figure holds when other jobs share the machine. The share of the
time the sync workers were busy (the sum of the server times over workers × elapsed time) tells whether the
workers themselves were the limit; a line per phase names the likely limit (workers, client, shared machine
or none). Unhandled exceptions in gunicorn's log are listed by request.

Only loopback targets are accepted: the database (it is wiped), Redis (its db is flushed) and the server.

The exit status is 1 when any request failed (sign-in, mix or trivial endpoint); the p99 target (< 1 s) is
printed, not enforced. The JSON goes to ``--output`` (default ``bench/results/load.json``, ignored by git).

Figures
-------
See the section "Load" of ``docs/proof.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import re
import resource
import sys
import time
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa

from bench.load_mix import (
    ANONYMOUS_MIX,
    ERROR,
    HEADERS,
    KIND_HEADER,
    OK,
    PROGRAMME_ACCOUNTS,
    REFUSED,
    SIGNED_IN_MIX,
    STATUS_FORM,
    Editor,
    Site,
    Stats,
    User,
    Visitor,
    Voter,
    ballot_form,
    run_user,
)
from tests.proof.server import Gunicorn, proof_database_url, proof_redis_url

RESULTS = Path(__file__).resolve().parent / "results"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: Limits raised for the run: every virtual user comes from 127.0.0.1, and ~200 sign in within seconds.
RAISED_LIMITS = {
    "LOGIN_LIMIT_PER_ACCOUNT": "100000 per 15 minutes",
    "LOGIN_LIMIT_PER_IP": "100000 per 15 minutes",
    "API_RATE_LIMIT": "1000000 per minute",
}
SHARES = {"anonymous": 0.25, "voters": 0.20, "editors": 0.10}  # the rest browse signed in
P99_TARGET_MS = 1000.0
CLIENT_TIMEOUT_S = 30.0  # gunicorn's own worker timeout


# --- safety --------------------------------------------------------------------------------------------------


def refuse_non_loopback(database_url: str, redis_url: str) -> None:
    """The run wipes the database and flushes the Redis db: both must be on this machine."""
    database_host = sa.make_url(database_url).host
    if database_host not in LOOPBACK and database_host is not None:
        raise SystemExit(f"refused: the database host {database_host!r} is not loopback (the run wipes it)")
    redis_host = urlsplit(redis_url).hostname
    if redis_host not in LOOPBACK:
        raise SystemExit(f"refused: the Redis host {redis_host!r} is not loopback (the run flushes it)")


def refuse_non_loopback_target(base: str) -> None:
    if urlsplit(base).hostname not in LOOPBACK:
        raise SystemExit(f"refused: the target {base!r} is not loopback")


# --- CPU and load accounting ---------------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _backends(database: str) -> list[int]:
    """PostgreSQL backends serving ``database`` (their process title names it)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {database} " in title:
            pids.append(int(entry.name))
    return pids


def _cpu_pressure() -> float | None:
    """Microseconds during which some runnable task waited for a CPU (Linux pressure stall information)."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except OSError:
        return None
    return float(line.rpartition("total=")[2])


def _machine() -> tuple[float, float]:
    """(busy, total) CPU time of the whole machine, in ticks."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU used during one phase by the client, the gunicorn workers, the database's backends and the machine."""

    def __init__(self, server: Gunicorn, database: str) -> None:
        self.server, self.database = server, database

    def _snapshot(self) -> dict:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        workers = self.server.worker_pids()
        return {
            "wall": time.perf_counter(),
            "client": usage.ru_utime + usage.ru_stime,
            "workers": {pid: _process_cpu(pid) for pid in [*workers, self.server.process.pid]},
            "backends": {pid: _process_cpu(pid) for pid in _backends(self.database)},
            "machine": _machine(),
            "pressure": _cpu_pressure(),
            "load": os.getloadavg(),
        }

    def start(self) -> None:
        self.before = self._snapshot()

    def stop(self) -> dict:
        after, before = self._snapshot(), self.before
        wall = after["wall"] - before["wall"]

        def used(key: str) -> float:
            return sum(cpu - before[key].get(pid, 0.0) for pid, cpu in after[key].items())

        busy = after["machine"][0] - before["machine"][0]
        total = after["machine"][1] - before["machine"][1]
        cores = os.cpu_count() or 1
        return {
            "wall_s": round(wall, 2),
            "client_cpu_s": round(after["client"] - before["client"], 2),
            "client_share_of_one_core": round((after["client"] - before["client"]) / wall, 3),
            "gunicorn_cpu_s": round(used("workers"), 2),
            "gunicorn_share_of_machine": round(used("workers") / wall / cores, 3),
            "postgres_cpu_s": round(used("backends"), 2),
            "postgres_share_of_machine": round(used("backends") / wall / cores, 3),
            "machine_busy": round(busy / total, 3) if total else None,
            # share of the time at least one runnable task waited for a core: contention from any process
            "cpu_pressure": round((after["pressure"] - before["pressure"]) / 1e6 / wall, 3)
            if after["pressure"] is not None and before["pressure"] is not None
            else None,
            "cores": cores,
            "load_average_before": [round(x, 2) for x in before["load"]],
            "load_average_after": [round(x, 2) for x in after["load"]],
        }


def server_cost(cpu: dict, requests: int) -> dict:
    """Server CPU (gunicorn + PostgreSQL) per request, and the throughput it would allow with every core to
    itself: a figure that holds even when other jobs share the machine, unlike the measured req/s."""
    if not requests:
        return {}
    per_request_ms = (cpu["gunicorn_cpu_s"] + cpu["postgres_cpu_s"]) * 1000 / requests
    return {
        "server_cpu_ms_per_request": round(per_request_ms, 2),
        "client_cpu_ms_per_request": round(cpu["client_cpu_s"] * 1000 / requests, 2),
        "capacity_estimate_rps": round(cpu["cores"] * 1000 / per_request_ms, 1) if per_request_ms else None,
    }


class LoopLag:
    """How late the client's event loop wakes up: a late loop delays every request it sends or reads."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.task: asyncio.Task | None = None

    async def _watch(self, interval: float = 0.05) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(interval)
            self.lags.append((time.perf_counter() - started - interval) * 1000)

    def start(self) -> None:
        self.lags = []
        self.task = asyncio.create_task(self._watch())

    async def stop(self) -> dict:
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        lags = sorted(self.lags)
        return {
            "p50_ms": round(percentile(lags, 50), 1),
            "p99_ms": round(percentile(lags, 99), 1),
            "max_ms": round(lags[-1], 1) if lags else 0.0,
        }


# --- figures -------------------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return 0.0
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


def summary(latencies: list[float], outcomes, in_window: int | None = None, window: float | None = None) -> dict:
    values = sorted(latencies)
    result = {
        "requests": len(values),
        "ok": outcomes.get(OK, 0),
        "refused": outcomes.get(REFUSED, 0),
        "errors": outcomes.get(ERROR, 0),
        "p50_ms": round(percentile(values, 50), 1),
        "p95_ms": round(percentile(values, 95), 1),
        "p99_ms": round(percentile(values, 99), 1),
        "max_ms": round(values[-1], 1) if values else 0.0,
        "mean_ms": round(sum(values) / len(values), 1) if values else 0.0,
    }
    if window:
        result["throughput_rps"] = round((in_window or 0) / window, 1)
    return result


def phase_report(stats: Stats) -> dict:
    """Latencies and outcomes of every request of the phase, including those still running at the end of the
    window (they finish, and count); the throughput counts only the requests completed within the window."""
    window = min(stats.deadline, stats.finished) - stats.started
    every = [ms for values in stats.latencies.values() for ms in values]
    outcomes: dict[str, int] = {}
    for counter in stats.outcomes.values():
        for key, count in counter.items():
            outcomes[key] = outcomes.get(key, 0) + count
    return {
        "window_s": round(window, 2),
        "elapsed_s": round(stats.finished - stats.started, 2),
        "total": summary(every, outcomes, sum(stats.in_window.values()), window),
        "kinds": {
            kind: {
                **summary(stats.latencies[kind], stats.outcomes[kind], stats.in_window[kind], window),
                "statuses": {str(k): v for k, v in stats.statuses[kind].items()},
            }
            for kind in sorted(stats.latencies, key=lambda k: -len(stats.latencies[k]))
        },
        "refusals": [{"kind": k, "reason": r, "count": n} for (k, r), n in stats.refusals.most_common()],
        "errors": [{"kind": k, "reason": r, "count": n} for (k, r), n in stats.errors.most_common()],
    }


# --- discovery -----------------------------------------------------------------------------------------------

ROUND_ROW = re.compile(r'href="/rounds/(\d+)">[^<]*</a></td>\s*<td>(\d{4})</td>\s*<td><span class="badge text-bg-(\w+)"')


async def _api_list(user: User, path: str) -> list[dict]:
    items, page = [], 1
    while True:
        response = await user.get("discovery", f"{path}?per_page=100&page={page}", headers={"Accept": "application/json"})
        if response is None or response.status_code != 200:
            raise SystemExit(f"discovery failed: GET {path} answered {response.status_code if response else 'nothing'}")
        body = response.json()
        items += body["data"]
        if page >= body["meta"]["pages"]:
            return items
        page += 1


async def discover(client: httpx.AsyncClient) -> Site:
    stats, rng = Stats(), random.Random(0)
    anonymous = User(client, stats, rng)
    challenges = await _api_list(anonymous, "/api/v1/challenges")
    pilots = await _api_list(anonymous, "/api/v1/pilots")
    rounds = await _api_list(anonymous, "/api/v1/rounds")
    cities = await _api_list(anonymous, "/api/v1/cities")
    steering = User(client, stats, rng, "steering@demo.local")
    if not await steering.sign_in():
        raise SystemExit("discovery failed: steering@demo.local could not sign in")
    workspaces = []  # pilots with milestones to keep up to date (the committee sees every status form)
    for pilot in pilots:
        response = await steering.get("discovery", f"/pilots/{pilot['id']}")
        if response is not None and STATUS_FORM.search(response.text):
            workspaces.append(pilot["id"])
    page = await steering.get("discovery", "/rounds")
    open_rounds = [(int(r), int(y)) for r, y, badge in ROUND_ROW.findall(page.text if page else "") if badge == "primary"]
    if not open_rounds:
        raise SystemExit("discovery failed: no round open for voting in the demo data")
    voting_round, voting_year = max(open_rounds, key=lambda pair: pair[1])
    slugs = [c["slug"] for c in cities]

    async def editable(slug: str) -> bool:
        voter = User(client, stats, rng, f"{slug}@demo.local")
        if not await voter.sign_in():
            return False
        response = await voter.get("discovery", f"/rounds/{voting_round}/ballots/{slug}")
        return response is not None and response.status_code == 200 and ballot_form(response.text) is not None

    drafts = [slug for slug, ok in zip(slugs, await asyncio.gather(*(editable(s) for s in slugs)), strict=True) if ok]
    participating = sorted({c["city"]["slug"] for p in pilots for c in p.get("cities", [])} & set(slugs))
    if stats.errors:
        raise SystemExit(f"discovery failed: {dict(stats.errors)}")
    return Site(
        challenge_ids=[c["id"] for c in challenges],
        challenge_years=sorted({c["year"] for c in challenges}),
        pilot_ids=[p["id"] for p in pilots],
        workspace_pilot_ids=workspaces,
        published_round_ids=[r["id"] for r in rounds],
        city_slugs=slugs,
        voting_round_id=voting_round,
        voting_year=voting_year,
        editable_ballots=drafts,
        editor_accounts=["lead@demo.local", "steering@demo.local", *(f"{s}@demo.local" for s in participating)],
    )


# --- the phases ----------------------------------------------------------------------------------------------


def make_users(client: httpx.AsyncClient, site: Site, count: int, seed: int) -> tuple[list[User], dict[str, int]]:
    stats = Stats()
    voters = round(count * SHARES["voters"]) if site.editable_ballots else 0
    editors = round(count * SHARES["editors"])
    anonymous = round(count * SHARES["anonymous"])
    browsers = count - voters - editors - anonymous
    accounts = [*PROGRAMME_ACCOUNTS, *(f"{s}@demo.local" for s in site.city_slugs)]
    users: list[User] = []
    for i in range(count):
        rng = random.Random(seed * 100_000 + i)
        if i < anonymous:
            users.append(Visitor(client, stats, rng, mix=ANONYMOUS_MIX))
        elif i < anonymous + browsers:
            users.append(Visitor(client, stats, rng, accounts[i % len(accounts)], mix=SIGNED_IN_MIX))
        elif i < anonymous + browsers + voters:
            city = site.editable_ballots[i % len(site.editable_ballots)]
            users.append(Voter(client, stats, rng, f"{city}@demo.local", city=city))
        else:
            users.append(Editor(client, stats, rng, site.editor_accounts[i % len(site.editor_accounts)]))
    return users, {"anonymous": anonymous, "signed-in browsing": browsers, "voters": voters, "workspace editors": editors}


async def sign_in_all(users: list[User], stats: Stats, concurrency: int = 8) -> int:
    """Every signed-in user signs in once; returns how many failed."""
    gate = asyncio.Semaphore(concurrency)

    async def one(user: User) -> bool:
        async with gate:
            return await user.sign_in()

    signing = [u for u in users if u.email]
    for user in signing:
        user.stats = stats
    stats.started = time.perf_counter()
    results = await asyncio.gather(*(one(u) for u in signing))
    stats.finished = time.perf_counter()
    return results.count(False)


async def run_mix(users: list[User], site: Site, stats: Stats, duration: float, think: float) -> None:
    for user in users:
        user.stats = stats
    stats.started = time.perf_counter()
    deadline = stats.deadline = stats.started + duration
    await asyncio.gather(*(run_user(u, site, deadline, think) for u in users))
    stats.finished = time.perf_counter()


async def run_trivial(client: httpx.AsyncClient, path: str, count: int, stats: Stats, duration: float) -> None:
    async def loop(user: User) -> None:
        while time.perf_counter() < deadline:
            await user.get(f"trivial {path}", path)

    stats.started = time.perf_counter()
    deadline = stats.deadline = stats.started + duration
    await asyncio.gather(*(loop(User(client, stats, random.Random(i))) for i in range(count)))
    stats.finished = time.perf_counter()


# --- printing ------------------------------------------------------------------------------------------------


def _row(cells: list, widths: list[int]) -> str:
    return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


def print_table(report: dict) -> None:
    widths = [20, 8, 6, 7, 6, 6, 8, 8, 8, 8, 8, 8]
    headings = [
        "kind",
        "requests",
        "ok",
        "refused",
        "errors",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "srv p50",
        "srv p99",
    ]
    print(_row(headings, widths))
    print("-" * (sum(widths) + 2 * (len(widths) - 1)))

    def line(name: str, s: dict) -> str:
        return _row(
            [
                name,
                s["requests"],
                s["ok"],
                s["refused"],
                s["errors"],
                s.get("throughput_rps", ""),
                s["p50_ms"],
                s["p95_ms"],
                s["p99_ms"],
                s["max_ms"],
                s.get("server_p50_ms", ""),
                s.get("server_p99_ms", ""),
            ],
            widths,
        )

    for kind, s in report["kinds"].items():
        print(line(kind, s))
    print("-" * (sum(widths) + 2 * (len(widths) - 1)))
    print(line("total", report["total"]))


def print_report(result: dict) -> None:
    config, mix, trivial = result["config"], result["mix"], result["trivial"]
    print()
    print(f"Datapilots load test, {result['measured_at']}")
    print(
        f"server: gunicorn {config['workers']} sync workers, production settings, {config['database']}, demo data; "
        f"raised for the run: {', '.join(f'{k}={v}' for k, v in RAISED_LIMITS.items())}"
    )
    print(
        f"users: {config['users']} ({', '.join(f'{n} {k}' for k, n in config['personas'].items())}); "
        f"think time {config['think_time']}; {config['duration_s']:.0f} s"
    )
    print(
        f"voting round {config['voting_round']} ({config['voting_year']}): draft ballots of "
        f"{', '.join(config['draft_ballots']) or 'no city'}; editors sign in as {', '.join(a.split('@')[0] for a in config['editor_accounts'])}"
    )
    sign_in = result["sign_in"]
    print(
        f"\nsign-in (before the mix, not in its figures): {sign_in['signed_in']} users in {sign_in['elapsed_s']} s, "
        f"sign-in p50 {sign_in['kinds'].get('sign-in', {}).get('p50_ms', 0)} ms, failed {sign_in['failed']}, "
        f"errors {sign_in['total']['errors']}"
    )
    print(
        "\nlatency: measured by the client, from sending to having read the answer; srv: the time the worker spent on it "
        "(gunicorn's access log); the difference is waiting, mostly in the listen queue"
    )
    print(
        f"mix: {mix['total']['requests']} requests ({mix['elapsed_s']} s with the last ones finishing); "
        f"throughput {mix['total']['throughput_rps']} req/s (completed within the {mix['window_s']} s window)\n"
    )
    print_table(mix)
    for title, entries in (("refused (expected)", mix["refusals"]), ("errors", mix["errors"])):
        for entry in entries[:10]:
            print(f"  {title}: {entry['kind']}: {entry['reason']} × {entry['count']}")
    print(
        f"\ntrivial endpoint {config['trivial_path']} ({config['users']} users, no think time, {config['trivial_duration_s']:.0f} s): "
        f"{trivial['total']['requests']} requests = {trivial['total']['throughput_rps']} req/s, "
        f"p50 {trivial['total']['p50_ms']} ms, p99 {trivial['total']['p99_ms']} ms "
        f"(in the worker: p50 {trivial['total'].get('server_p50_ms', '?')} ms, p99 {trivial['total'].get('server_p99_ms', '?')} ms), "
        f"errors {trivial['total']['errors']}"
    )
    paced = " (paced by the think time: headroom, not a limit)" if config["think_time"] != "none" else ""
    print(f"the mix reached {result['mix_vs_trivial']:.0%} of the trivial endpoint's throughput{paced}")
    mix_cpu, trivial_cpu = result["cpu"]["mix"], result["cpu"]["trivial"]
    if mix_cpu.get("server_cpu_ms_per_request") and trivial_cpu.get("server_cpu_ms_per_request"):
        print(
            f"server CPU (gunicorn + PostgreSQL) per request: mix {mix_cpu['server_cpu_ms_per_request']} ms, "
            f"{config['trivial_path']} {trivial_cpu['server_cpu_ms_per_request']} ms "
            f"({mix_cpu['server_cpu_ms_per_request'] / trivial_cpu['server_cpu_ms_per_request']:.0f}×; the client spent "
            f"{mix_cpu['client_cpu_ms_per_request']} and {trivial_cpu['client_cpu_ms_per_request']} ms); with the "
            f"{mix_cpu['cores']} cores to themselves that allows ≈{mix_cpu['capacity_estimate_rps']} req/s of the mix, "
            f"≈{trivial_cpu['capacity_estimate_rps']} req/s of {config['trivial_path']}"
        )
    for name in ("mix", "trivial"):
        cpu, lag = result["cpu"][name], result["loop_lag"][name]
        print(
            f"{name:7}: limit: {limit_of(cpu)}; gunicorn workers busy {cpu.get('workers_busy', 0):.0%} of the time; client {cpu['client_share_of_one_core']:.0%} of one core (loop lag p99 {lag['p99_ms']} ms, max {lag['max_ms']} ms); "
            f"gunicorn {cpu['gunicorn_share_of_machine']:.0%} and PostgreSQL {cpu['postgres_share_of_machine']:.0%} of the "
            f"{cpu['cores']} cores; machine busy {cpu['machine_busy']:.0%}, CPU pressure {cpu['cpu_pressure'] or 0:.0%}; load average {cpu['load_average_before'][0]} → {cpu['load_average_after'][0]}"
        )
    verdict = result["verdict"]
    print(
        f"\nerrors: {verdict['errors']} ({'none: pass' if verdict['errors'] == 0 else 'FAIL'}); "
        f"p99 {mix['total']['p99_ms']} ms: target < {P99_TARGET_MS:.0f} ms {'met' if verdict['p99_target_met'] else 'MISSED'} "
        f"(slowest kind at p99: {verdict['slowest_kind_p99']})"
    )


#: gunicorn's access log: the request's kind (our header), its status and the time the worker spent on it (µs).
ACCESS_FORMAT = f"%({{{KIND_HEADER.lower()}}}i)s|%(s)s|%(D)s"


def add_server_times(result: dict, access_log: Path) -> None:
    """Add the server-side time per kind (from accepting the request in a worker to the response written):
    the client's latency minus this is the time the request waited, in the listen queue or the network."""
    if not access_log.exists():
        return
    times: dict[str, list[float]] = {}
    for line in access_log.read_text(errors="replace").splitlines():
        fields = line.rsplit("|", 2)  # kind|status|µs
        if len(fields) == 3 and fields[2].isdigit():
            times.setdefault(fields[0], []).append(int(fields[2]) / 1000)
    for phase in ("mix", "trivial", "sign_in"):
        every: list[float] = []
        for kind, entry in result[phase]["kinds"].items():
            values = sorted(times.get(kind, []))
            every += values
            entry["server_p50_ms"] = round(percentile(values, 50), 1)
            entry["server_p99_ms"] = round(percentile(values, 99), 1)
        every.sort()
        result[phase]["total"]["server_p50_ms"] = round(percentile(every, 50), 1)
        result[phase]["total"]["server_p99_ms"] = round(percentile(every, 99), 1)
        elapsed = result[phase]["elapsed_s"]
        if phase in result["cpu"] and elapsed:
            # a sync worker serves one request at a time: near 100 % busy, the workers are the limit
            result["cpu"][phase]["workers_busy"] = round(sum(every) / 1000 / (elapsed * result["config"]["workers"]), 3)


def limit_of(cpu: dict) -> str:
    """What most likely bounded a phase's throughput, from the facts measured (printed after it)."""
    if cpu.get("workers_busy", 0) >= 0.85:
        return "the gunicorn sync workers"
    if cpu["client_share_of_one_core"] >= 0.75:
        return "the client (one core)"
    if (cpu.get("machine_busy") or 0) >= 0.9:
        return "the machine's cores (client, server and any other jobs together)"
    return "none reached"


EXCEPTION_LINE = re.compile(r"ERROR in app: Exception on (\S+) \[(\w+)\]")


def logged_exceptions(log: Path) -> list[dict]:
    """The unhandled exceptions gunicorn's log recorded during the run, by request and exception."""
    if not log.exists():
        return []
    found: dict[tuple[str, str], int] = {}
    lines = log.read_text(errors="replace").splitlines()
    for number, line in enumerate(lines):
        match = EXCEPTION_LINE.search(line)
        if not match:
            continue
        path = re.sub(r"/\d+", "/<id>", match.group(1))
        exception = next((later for later in lines[number + 1 :] if re.match(r"^\w+(\.\w+)*(Error|Exception)\b", later)), "?")
        key = (f"{match.group(2)} {path}", exception[:160])
        found[key] = found.get(key, 0) + 1
    return [{"request": r, "exception": e, "count": n} for (r, e), n in sorted(found.items(), key=lambda item: -item[1])]


# --- main ----------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=proof_database_url(), help="PostgreSQL URL, wiped and seeded (loopback only)")
    parser.add_argument("--users", type=int, default=200, help="concurrent virtual users (default 200)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of the mix (default 60)")
    parser.add_argument("--think", type=float, default=10.0, help="mean think time between steps, s (default 10; 0: none)")
    parser.add_argument("--trivial-path", default="/healthz", help="the trivial endpoint (default /healthz)")
    parser.add_argument("--trivial-duration", type=float, default=15, help="seconds on the trivial endpoint (default 15)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the users' random choices")
    parser.add_argument(
        "--output", type=Path, default=RESULTS / "load.json", help="JSON results (default bench/results/load.json)"
    )
    args = parser.parse_args(argv)
    if args.users < 1 or args.duration <= 0 or args.trivial_duration <= 0 or args.think < 0:
        parser.error("--users, --duration and --trivial-duration must be positive, --think not negative")
    if not args.trivial_path.startswith("/") or args.trivial_path.startswith("//"):
        parser.error("--trivial-path is a path on the server started here, such as /healthz")
    return args


async def measure(server: Gunicorn, args: argparse.Namespace) -> dict:
    database = sa.make_url(args.database).database
    limits = httpx.Limits(max_connections=args.users + 20, max_keepalive_connections=args.users + 20)
    timeout = httpx.Timeout(CLIENT_TIMEOUT_S, connect=10.0)
    async with httpx.AsyncClient(base_url=server.base, limits=limits, timeout=timeout, headers=HEADERS) as client:
        site = await discover(client)
        users, personas = make_users(client, site, args.users, args.seed)
        sign_in_stats = Stats()
        failed = await sign_in_all(users, sign_in_stats)
        if failed:
            print(f"warning: {failed} users could not sign in (counted as errors)", file=sys.stderr)

        meter, lag = CpuMeter(server, database), LoopLag()
        mix_stats = Stats()
        meter.start()
        lag.start()
        await run_mix(users, site, mix_stats, args.duration, args.think)
        mix_lag, mix_cpu = await lag.stop(), meter.stop()

        trivial_stats = Stats()
        meter.start()
        lag.start()
        await run_trivial(client, args.trivial_path, args.users, trivial_stats, args.trivial_duration)
        trivial_lag, trivial_cpu = await lag.stop(), meter.stop()

    for cpu, phase in ((mix_cpu, mix_stats), (trivial_cpu, trivial_stats)):
        cpu.update(server_cost(cpu, sum(len(v) for v in phase.latencies.values())))
    sign_in = {**phase_report(sign_in_stats), "signed_in": sum(1 for u in users if u.email) - failed, "failed": failed}
    mix, trivial = phase_report(mix_stats), phase_report(trivial_stats)
    errors = mix["total"]["errors"] + trivial["total"]["errors"] + sign_in["total"]["errors"] + failed
    slowest = max(mix["kinds"].items(), key=lambda item: item[1]["p99_ms"], default=("none", {"p99_ms": 0}))
    return {
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": {"python": platform.python_version(), "cores": os.cpu_count(), "platform": platform.platform()},
        "config": {
            "users": args.users,
            "personas": personas,
            "duration_s": args.duration,
            "think_time": f"uniform 0.5–1.5 × {args.think} s" if args.think else "none",
            "trivial_path": args.trivial_path,
            "trivial_duration_s": args.trivial_duration,
            "seed": args.seed,
            "database": sa.make_url(args.database).render_as_string(hide_password=True),
            "redis": proof_redis_url(),
            "workers": server.workers,
            "raised_limits": RAISED_LIMITS,
            "client_timeout_s": CLIENT_TIMEOUT_S,
            "voting_round": site.voting_round_id,
            "voting_year": site.voting_year,
            "draft_ballots": site.editable_ballots,
            "editor_accounts": site.editor_accounts,
            "site": {k: (len(v) if isinstance(v, list) else v) for k, v in asdict(site).items()},
        },
        "sign_in": sign_in,
        "mix": mix,
        "trivial": trivial,
        "mix_vs_trivial": (mix["total"]["throughput_rps"] / trivial["total"]["throughput_rps"])
        if trivial["total"]["requests"]
        else 0.0,
        "cpu": {"mix": mix_cpu, "trivial": trivial_cpu},
        "loop_lag": {"mix": mix_lag, "trivial": trivial_lag},
        "verdict": {
            "errors": errors,
            "p99_target_ms": P99_TARGET_MS,
            "p99_target_met": mix["total"]["p99_ms"] < P99_TARGET_MS,
            "slowest_kind_p99": f"{slowest[0]} {slowest[1]['p99_ms']} ms",
        },
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    refuse_non_loopback(args.database, proof_redis_url())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    server = Gunicorn(database_url=args.database, log_dir=args.output.parent / "logs", env_overrides=dict(RAISED_LIMITS))
    access_log = server.log_dir / f"access-{server.port}.log"
    server.gunicorn_args = ["--access-logfile", str(access_log), "--access-logformat", ACCESS_FORMAT]
    started = time.perf_counter()
    print(f"preparing {sa.make_url(args.database).render_as_string(hide_password=True)} (migrations, demo data) ...", flush=True)
    server.prepare(seed=True)
    print(f"prepared in {time.perf_counter() - started:.1f} s; starting gunicorn ...", flush=True)
    server.start()
    try:
        refuse_non_loopback_target(server.base)
        print(
            f"serving on {server.base}; discovery, sign-in, {args.duration:.0f} s mix, {args.trivial_duration:.0f} s trivial ...",
            flush=True,
        )
        result = asyncio.run(measure(server, args))
    finally:
        server.stop()
    result["server_exceptions"] = logged_exceptions(server.log_path)
    add_server_times(result, access_log)
    result["total_run_s"] = round(time.perf_counter() - started, 1)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print_report(result)
    for entry in result["server_exceptions"][:5]:
        print(f"server log: {entry['request']}: {entry['exception']} × {entry['count']}")
    print(f"\nwhole run {result['total_run_s']} s; results in {args.output}; gunicorn log in {server.log_path}")
    return 1 if result["verdict"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
