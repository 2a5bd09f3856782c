"""The virtual users of ``bench/load.py``: what they request, how each answer is judged, and the figures kept.

One asyncio process drives every virtual user through one shared ``httpx.AsyncClient``; each user keeps its
own cookies (its own session), so the users are independent as far as the server can tell. gunicorn's sync
workers close the connection after every response, so a shared connection pool costs nothing in realism.

Cookies are kept by hand rather than by httpx's cookie jar: the production settings mark the session cookie
``Secure``, and httpx (like a browser) would not send it back over plain HTTP. On the loopback the load test
stands where the TLS-terminating proxy stands in production, so it sends the cookie back as that proxy would.
"""

from __future__ import annotations

import asyncio
import gettext
import html
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "pilot-demo"  # noqa: S105 - the demo accounts' published password
PROGRAMME_ACCOUNTS = ("admin@demo.local", "steering@demo.local", "lead@demo.local")
HEADERS = {
    "User-Agent": "datapilots-load/1 (bench/load.py)",
    "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
    "Accept-Language": "nl-BE,nl;q=0.9,en;q=0.5",
}

#: Each request names its kind in this header; gunicorn's access log (see ``bench/load.py``) records it.
KIND_HEADER = "X-Load-Kind"

# --- outcomes ------------------------------------------------------------------------------------------------

OK, REFUSED, ERROR = "ok", "refused", "error"


def _dutch(message: str) -> str:
    """The Dutch text the app shows for ``message`` (the users browse in Dutch), from the compiled catalogue."""
    catalogue = gettext.translation("messages", localedir=ROOT / "pilots" / "translations", languages=["nl"], fallback=True)
    return catalogue.gettext(message)


#: The app's two answers to a concurrent save of one ballot, both with status 400 and nothing overwritten:
#: the version check (``StaleEdit``), and the unique constraint that a save committed a moment earlier wins
#: (``unit_of_work`` turns the ``IntegrityError`` into this message).
STALE_MESSAGES = {
    "stale": _dutch("Somebody else saved this in the meantime. Reload the page and try again."),
    "conflict": _dutch("This conflicts with data saved in the meantime."),
}

CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
FLASH_DANGER = re.compile(r'<div class="alert alert-danger">(.*?)</div>', re.S)


def csrf_token(text: str) -> str | None:
    found = CSRF.search(text)
    return found.group(1) if found else None


@dataclass
class Stats:
    """Everything one phase measured: a latency per request, by kind, and the reasons of refusals and errors."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    outcomes: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    refusals: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    started: float = 0.0
    finished: float = 0.0
    #: requests completed by the end of the measured window (the throughput counts these only)
    deadline: float = float("inf")
    in_window: Counter = field(default_factory=Counter)

    def record(self, kind: str, ms: float, status: int | None, outcome: str, detail: str | None = None) -> None:
        self.latencies[kind].append(ms)
        if time.perf_counter() <= self.deadline:
            self.in_window[kind] += 1
        self.outcomes[kind][outcome] += 1
        self.statuses[kind][status if status is not None else "none"] += 1
        if outcome == REFUSED:
            self.refusals[(kind, detail)] += 1
        elif outcome == ERROR:
            self.errors[(kind, detail)] += 1


# --- what the users look at ----------------------------------------------------------------------------------


@dataclass
class Site:
    """What discovery found in the seeded demo: the ids and slugs the users pick from."""

    challenge_ids: list[int]
    challenge_years: list[int]
    pilot_ids: list[int]
    #: pilots with milestones whose status can be changed
    workspace_pilot_ids: list[int]
    published_round_ids: list[int]
    city_slugs: list[str]
    voting_round_id: int
    voting_year: int
    #: city slug -> whether its ballot in the voting round is an editable draft
    editable_ballots: list[str]
    #: accounts that may change something in a pilot workspace (leads, committee, participating cities)
    editor_accounts: list[str]


def _pick(rng: random.Random, weighted: dict[str, float]) -> str:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def challenge_list_url(site: Site, rng: random.Random) -> str:
    variant = rng.random()
    if variant < 0.4:
        return "/challenges"
    if variant < 0.6:
        return f"/challenges?page={rng.randint(2, 3)}"
    if variant < 0.8:
        return f"/challenges?year={rng.choice(site.challenge_years)}"
    if variant < 0.9:
        return f"/challenges?q={rng.choice(['data', 'parkeren', 'afval', 'fiets', 'energie'])}"
    return f"/challenges?sort={rng.choice(['oldest', 'title', 'city', 'cosponsors'])}"


def catalogue_request(rng: random.Random) -> tuple[str, dict[str, str]]:
    return rng.choice(
        [
            ("/catalog.ttl", {}),
            ("/catalog.jsonld", {}),
            ("/catalog.rdf", {}),
            ("/catalog", {"Accept": "text/turtle"}),
        ]
    )


def api_url(site: Site, rng: random.Random) -> str:
    return rng.choice(
        [
            f"/api/v1/challenges?page={rng.randint(1, 2)}",
            f"/api/v1/challenges/{rng.choice(site.challenge_ids)}",
            "/api/v1/pilots",
            f"/api/v1/pilots/{rng.choice(site.pilot_ids)}",
            "/api/v1/rounds",
            f"/api/v1/rounds/{rng.choice(site.published_round_ids)}",
            "/api/v1/cities",
            f"/api/v1/cities/{rng.choice(site.city_slugs)}",
            "/api/v1/datasets",
        ]
    )


#: Page views of an anonymous visitor, with their weights.
ANONYMOUS_MIX = {
    "home": 8,
    "challenge list": 20,
    "challenge detail": 25,
    "pilot list": 6,
    "pilot page": 12,
    "pilot calendar": 2,
    "catalogue": 7,
    "api": 20,
}
#: Page views of a signed-in user browsing (also between the voters' and editors' saves).
SIGNED_IN_MIX = {
    "home": 4,
    "dashboard": 14,
    "challenge list": 14,
    "challenge detail": 18,
    "results": 12,
    "rounds list": 5,
    "pilot list": 3,
    "pilot page": 10,
    "city profile": 12,
    "catalogue": 3,
    "api": 5,
}


# --- a virtual user ------------------------------------------------------------------------------------------


class User:
    """One virtual user: its own cookies and random stream, the shared client and statistics."""

    def __init__(self, client: httpx.AsyncClient, stats: Stats, rng: random.Random, email: str | None = None) -> None:
        self.client = client
        self.stats = stats
        self.rng = rng
        self.email = email
        self.cookies: dict[str, str] = {}

    # -- HTTP ------------------------------------------------------------------------------------------------

    def _keep_cookies(self, response: httpx.Response) -> None:
        for line in response.headers.get_list("set-cookie"):
            jar = SimpleCookie()
            jar.load(line)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    async def request(
        self,
        kind: str,
        method: str,
        url: str,
        *,
        expect: tuple[int, ...] = (200,),
        judge: Callable[[httpx.Response], tuple[str, str | None]] | None = None,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response | None:
        """Send one request, time it and judge it. Returns the response, or None after a transport error.

        ``judge`` decides the outcome of an answer that is not a 5xx; by default any status outside
        ``expect`` is an error.
        """
        sent = dict(headers or {})
        sent[KIND_HEADER] = kind  # gunicorn's access log records it with the server-side time
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        started = time.perf_counter()
        try:
            response = await self.client.request(method, url, data=data, headers=sent)
        except httpx.TimeoutException as error:
            self.stats.record(kind, (time.perf_counter() - started) * 1000, None, ERROR, f"timeout ({type(error).__name__})")
            return None
        except httpx.HTTPError as error:
            self.stats.record(kind, (time.perf_counter() - started) * 1000, None, ERROR, f"transport: {type(error).__name__}")
            return None
        ms = (time.perf_counter() - started) * 1000
        self._keep_cookies(response)
        status = response.status_code
        if status >= 500:
            outcome, detail = ERROR, f"status {status}"
        elif judge is not None:
            outcome, detail = judge(response)
        elif status in expect:
            outcome, detail = OK, None
        else:
            outcome, detail = ERROR, f"status {status} (expected {'/'.join(map(str, expect))})"
        self.stats.record(kind, ms, status, outcome, detail)
        return response

    async def get(self, kind: str, url: str, **options) -> httpx.Response | None:
        return await self.request(kind, "GET", url, **options)

    async def follow(self, kind: str, response: httpx.Response, judge=None) -> httpx.Response | None:
        """What a browser does after a post: request the page the redirect names."""
        location = httpx.URL(response.headers.get("location", "/"))
        return await self.get(kind, location.raw_path.decode(), judge=judge)

    # -- signing in ------------------------------------------------------------------------------------------

    async def sign_in(self) -> bool:
        assert self.email is not None
        page = await self.get("sign-in form", "/login")
        token = csrf_token(page.text) if page is not None and page.status_code == 200 else None
        if token is None:
            return False
        response = await self.request(
            "sign-in",
            "POST",
            "/login",
            expect=(302,),
            data={"csrf_token": token, "email": self.email, "password": PASSWORD, "next": ""},
        )
        return response is not None and response.status_code == 302 and "session" in self.cookies

    # -- browsing --------------------------------------------------------------------------------------------

    async def browse(self, site: Site, mix: dict[str, float]) -> None:
        """One page view, picked by weight from ``mix``."""
        rng = self.rng
        kind = _pick(rng, mix)
        if kind == "home":
            await self.get(kind, "/")
        elif kind == "dashboard":
            await self.get(kind, "/dashboard")
        elif kind == "challenge list":
            await self.get(kind, challenge_list_url(site, rng))
        elif kind == "challenge detail":
            await self.get(kind, f"/challenges/{rng.choice(site.challenge_ids)}")
        elif kind == "results":
            await self.get(kind, f"/rounds/{rng.choice(site.published_round_ids)}/results")
        elif kind == "rounds list":
            await self.get(kind, "/rounds")
        elif kind == "pilot list":
            await self.get(kind, "/pilots")
        elif kind == "pilot page":
            await self.get(kind, f"/pilots/{rng.choice(site.pilot_ids)}")
        elif kind == "pilot calendar":
            await self.get(kind, f"/pilots/{rng.choice(site.pilot_ids)}/milestones.ics")
        elif kind == "city profile":
            await self.get(kind, f"/cities/{rng.choice(site.city_slugs)}")
        elif kind == "catalogue":
            url, headers = catalogue_request(rng)
            await self.get(kind, url, headers=headers)
        elif kind == "api":
            await self.get(kind, api_url(site, rng), headers={"Accept": "application/json"})
        else:  # pragma: no cover - a typo in a mix
            raise ValueError(kind)


# --- voting --------------------------------------------------------------------------------------------------

SCORE_INPUT = re.compile(r'name="(score-(\d+)-(\d+))"')
NOTE_INPUT = re.compile(r'name="(note-\d+)"')
VERSION_INPUT = re.compile(r'name="version" value="(\d+)"')
CRITERION_SCALE = re.compile(r'id="crit-(\d+)">.*?<span class="d-block small fw-normal">([\d.]+)–([\d.]+)', re.S)
NOTES = ("Belangrijk voor onze stad.", "Data is er al gedeeltelijk.", "Twijfel over de haalbaarheid dit jaar.")


def ballot_form(page: str) -> tuple[dict[str, str], list[tuple[str, int]], list[str], dict[int, tuple[float, float]]] | None:
    """The hidden fields, score inputs (name, criterion id), note inputs and criterion scales of an editable ballot."""
    token, version = csrf_token(page), VERSION_INPUT.search(page)
    cells = [(name, int(criterion)) for name, _challenge, criterion in SCORE_INPUT.findall(page)]
    if token is None or version is None or not cells:
        return None
    scales = {int(c): (float(low), float(high)) for c, low, high in CRITERION_SCALE.findall(page)}
    return {"csrf_token": token, "version": version.group(1)}, cells, NOTE_INPUT.findall(page), scales


def judge_ballot_save(response: httpx.Response) -> tuple[str, str | None]:
    """302: saved. 400 with the app's concurrent-save message: an expected refusal. Anything else: an error."""
    if response.status_code == 302:
        return OK, None
    if response.status_code == 400:
        text = html.unescape(response.text)
        for name, message in STALE_MESSAGES.items():
            if message in text:
                return REFUSED, name
        flashed = FLASH_DANGER.search(response.text)
        return ERROR, f"status 400: {html.unescape(flashed.group(1)).strip()[:120] if flashed else 'no message'}"
    return ERROR, f"status {response.status_code} (expected 302, or 400 for a stale save)"


class Voter(User):
    """A city's voter filling in its draft ballot in the round open for voting, browsing in between."""

    def __init__(self, *args, city: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.city = city
        self.page: str | None = None

    async def step(self, site: Site) -> None:
        ballot_url = f"/rounds/{site.voting_round_id}/ballots/{self.city}"
        if self.page is None or self.rng.random() < 0.15:  # opens the ballot (again)
            response = await self.get("ballot page", ballot_url)
            self.page = response.text if response is not None and response.status_code == 200 else None
            return
        if self.rng.random() < 0.3:  # looks something up before scoring on
            await self.browse(site, SIGNED_IN_MIX)
            return
        form = ballot_form(self.page)
        self.page = None
        if form is None:
            return
        hidden, cells, notes, scales = form
        data = dict(hidden, action="save")
        for name, criterion in cells:
            if self.rng.random() < 0.1:
                continue  # abstains on this cell
            low, high = scales.get(criterion, (1.0, 5.0))
            data[name] = str(self.rng.randint(int(low), int(high)))
        for name in notes:
            data[name] = self.rng.choice(NOTES) if self.rng.random() < 0.1 else ""
        response = await self.request("ballot save", "POST", ballot_url, judge=judge_ballot_save, data=data)
        if response is not None and response.status_code == 302:
            follow = await self.follow("ballot page", response)
            self.page = follow.text if follow is not None and follow.status_code == 200 else None
        # after a refusal the page says "reload": the next step reloads it


# --- pilot workspaces ----------------------------------------------------------------------------------------

STATUS_FORM = re.compile(r'<form method="post" action="(/pilots/\d+/milestones/\d+/status)"[^>]*>(.*?)</form>', re.S)
CITY_ID = re.compile(r'name="city_id" value="(\d+)"')
SELECTED = re.compile(r'<option value="(\w+)" selected>')
UPDATE_FORM = re.compile(r'action="(/pilots/\d+/updates)"')
STATUS_WEIGHTS = {"planned": 1, "in_progress": 4, "done": 3, "blocked": 1}
UPDATES = (
    "Stand van zaken: de **datasets** van drie steden zijn gevalideerd.",
    "Werkgroep gepland; agenda volgt. Zie ook de [handleiding](https://example.org/handleiding).",
    "Mijlpaal bijgesteld na overleg met de leverancier.",
)


def judge_workspace_post(response: httpx.Response) -> tuple[str, str | None]:
    """The workspace forms answer 302 on success and on a refusal (flashed): the followed page tells which."""
    if response.status_code == 302:
        return OK, None
    return ERROR, f"status {response.status_code} (expected 302)"


def judge_followed_page(response: httpx.Response) -> tuple[str, str | None]:
    """The page after a workspace post: a flashed ``danger`` message means the app refused a valid change."""
    if response.status_code != 200:
        return ERROR, f"status {response.status_code} (expected 200)"
    flashed = FLASH_DANGER.search(response.text)
    if flashed:
        return ERROR, f"refused a valid change: {html.unescape(flashed.group(1)).strip()[:120]}"
    return OK, None


class Editor(User):
    """A pilot lead, committee member or participating city's staff keeping a workspace up to date."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.page: tuple[int, str] | None = None
        self.useless: set[int] = set()  # pilots where this account has nothing to change

    async def step(self, site: Site) -> None:
        candidates = [p for p in site.workspace_pilot_ids if p not in self.useless]
        if not candidates or self.rng.random() < 0.3:
            await self.browse(site, SIGNED_IN_MIX)
            return
        if self.page is None:
            pilot = self.rng.choice(candidates)
            response = await self.get("pilot page", f"/pilots/{pilot}")
            if response is not None and response.status_code == 200:
                self.page = (pilot, response.text)
            return
        pilot, page = self.page
        self.page = None
        forms = STATUS_FORM.findall(page)
        update = UPDATE_FORM.search(page)
        if not forms and not update:
            self.useless.add(pilot)
            return
        if update and (not forms or self.rng.random() < 0.15):
            token = csrf_token(page)
            response = await self.request(
                "pilot update",
                "POST",
                update.group(1),
                judge=judge_workspace_post,
                data={"csrf_token": token or "", "body": self.rng.choice(UPDATES)},
            )
        else:
            action, body = self.rng.choice(forms)
            current = SELECTED.search(body)
            options = {s: w for s, w in STATUS_WEIGHTS.items() if not current or s != current.group(1)}
            status = _pick(self.rng, options)
            city = CITY_ID.search(body)
            data = {
                "csrf_token": csrf_token(body) or "",
                "status": status,
                "reason": "Wacht op gegevens van de leverancier." if status == "blocked" else "",
            }
            if city:
                data["city_id"] = city.group(1)
            response = await self.request("milestone status", "POST", action, judge=judge_workspace_post, data=data)
        if response is not None and response.status_code == 302:
            followed = await self.follow("pilot page", response, judge=judge_followed_page)
            if followed is not None and followed.status_code == 200:
                self.page = (pilot, followed.text)


class Visitor(User):
    """Anonymous or signed-in browsing."""

    def __init__(self, *args, mix: dict[str, float], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mix = mix

    async def step(self, site: Site) -> None:
        await self.browse(site, self.mix)


async def run_user(user: User, site: Site, deadline: float, think: float) -> None:
    """Steps with a think time between them (uniform 0.5–1.5 × ``think``), until the deadline."""
    pause = user.rng.uniform(0, think)  # users do not all click at the same instant
    while True:
        await asyncio.sleep(max(0.0, min(pause, deadline - time.perf_counter())))
        if time.perf_counter() >= deadline:
            return
        await user.step(site)  # type: ignore[attr-defined]
        pause = user.rng.uniform(0.5, 1.5) * think
