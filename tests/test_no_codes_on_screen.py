"""No internal code reaches a person: the demo's main pages, in Dutch and in English, for every demo role, show
no snake_case identifier (``lead_added``, ``rdf_parses``) and no dotted one (``challenge.created``) in their
visible text. Code elements (``<code>``, ``<pre>``, ``<kbd>``, ``<samp>``), scripts, styles, attributes and
URLs are not visible text in this sense: a technical detail may sit in a ``<code>`` on purpose."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import ThreadingHTTPServer

import pytest
from sqlalchemy import select

from pilots.demo import DEMO_PASSWORD
from pilots.models.base import utcnow
from tests.conformance.server import Server, make_handler

#: Elements whose content is code (shown as such) or not shown at all.
HIDDEN = frozenset({"code", "pre", "kbd", "samp", "script", "style", "template"})
#: Elements without an end tag.
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"})

URL = re.compile(r"\b(?:https?|mailto|ftp)://\S+|\bwww\.\S+", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
SNAKE = re.compile(r"(?<![\w.])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w])|(?<![\w.])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![\w])")
DOTTED = re.compile(r"(?<![\w.@/])[a-z][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+(?![\w])")
#: The last part of a host name (a host may be shown as text, as a link's label), or a file name's extension.
DOMAIN_ENDINGS = frozenset({"be", "brussels", "com", "eu", "gent", "invalid", "local", "net", "nl", "org", "vlaanderen"})
HOST = re.compile(
    r"(?<![\w.-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:" + "|".join(sorted(DOMAIN_ENDINGS)) + r")(?![\w-])", re.IGNORECASE
)
FILE_ENDINGS = frozenset({"csv", "html", "ics", "json", "jsonld", "md", "pdf", "rdf", "ttl", "xlsx", "xml"})


class VisibleText(HTMLParser):
    """The text a reader sees, outside code elements, scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not any(tag in HIDDEN for tag in self.stack):
            self.parts.append(data)

    def text(self) -> str:
        return " ".join(self.parts)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser.text()


def abbreviation(token: str) -> bool:
    """``e.g``, ``i.e``, ``o.a``, ``d.w.z``, ``m.b.t``: every part a letter or two, as in a written abbreviation."""
    return all(1 <= len(part) <= 2 for part in token.split("."))


def codes_in(text: str) -> list[str]:
    """The identifiers in ``text`` that look like code: snake_case and dotted ones (not hosts, files, abbreviations)."""
    text = HOST.sub(" ", EMAIL.sub(" ", URL.sub(" ", text)))
    found = [match.group(0) for match in SNAKE.finditer(text)]
    for match in DOTTED.finditer(text):
        token = match.group(0)
        last = token.rsplit(".", 1)[1]
        if last in DOMAIN_ENDINGS or last in FILE_ENDINGS or abbreviation(token):
            continue
        found.append(token)
    return found


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Lotte · lead_added · 2 november", ["lead_added"]),
        ("challenge.created door Ada", ["challenge.created"]),
        ("rdf_parses: asked for application/ld+json", ["rdf_parses"]),
        ("Formaat: RDF_TURTLE", ["RDF_TURTLE"]),
        ("bv. e.g. i.e. d.w.z. o.a.", []),
        ("data.stad.gent en example.org, versie 2026.1, 3.5 sterren", []),
        ("parkeren.stad-die-niet-bestaat.be kon niet worden gevonden", []),
        ("catalog.ttl en pilot-1.ics", []),
        ("schrijf naar admin@demo.local of https://data.stad.gent/parking_live.ttl", []),
        ("Einde van de zin.Volgende zin", []),
    ],
)
def test_the_detector(text, codes):
    assert codes_in(text) == codes


def test_code_elements_and_attributes_are_not_visible_text():
    html = '<p title="lead_added">Klaar <code>pilot.lead_added</code><script>var a_b = 1;</script> <br>nu</p>'
    assert codes_in(visible_text(html)) == []
    assert visible_text(html).split() == ["Klaar", "nu"]


# --- the demo's pages ---------------------------------------------------------------------------------------------

ROLES = (None, "admin@demo.local", "steering@demo.local", "lead@demo.local", "gent@demo.local", "hasselt@demo.local")


def demo_pages(in_app) -> list[str]:
    """The main pages of the demo: lists and one of each detail page, with the objects that have the most on them."""
    from pilots.models import Challenge, ChallengeStatus, City, Pilot, PublishedDataset, Round, RoundPhase, User

    with in_app() as session:
        published = session.scalars(select(Round).where(Round.phase == RoundPhase.PUBLISHED).order_by(Round.year)).all()
        open_round = session.scalar(select(Round).where(Round.phase == RoundPhase.VOTING_OPEN))
        pilot = max(session.scalars(select(Pilot)).all(), key=lambda p: (len(p.datasets), -p.id))
        dataset = session.scalar(
            select(PublishedDataset).where(PublishedDataset.pilot_id == pilot.id).order_by(PublishedDataset.id)
        )
        failing = next((d for d in pilot.datasets if d.checks and not d.checks[0].passed), dataset)
        selected = session.scalar(select(Challenge).where(Challenge.status == ChallengeStatus.SELECTED).order_by(Challenge.id))
        draft = session.scalar(select(Challenge).where(Challenge.status == ChallengeStatus.DRAFT).order_by(Challenge.id))
        other_pilots = session.scalars(select(Pilot.id).where(Pilot.id != pilot.id)).all()
        gent = session.scalar(select(City).where(City.slug == "gent"))
        lead = session.scalar(select(User).where(User.email == "lead@demo.local"))
        pages = [
            "/",
            "/challenges",
            "/challenges/my-city",
            f"/challenges/{selected.id}",
            f"/challenges/{draft.id}",
            "/rounds",
            f"/rounds/{open_round.id}",
            f"/rounds/{open_round.id}/ballots/gent",
            f"/rounds/{published[-1].id}",
            f"/rounds/{published[-1].id}/results",
            f"/rounds/{published[0].id}/results",
            "/pilots",
            f"/pilots/{pilot.id}",
            *(f"/pilots/{other}" for other in other_pilots),
            f"/pilots/{pilot.id}/datasets/{dataset.id}/history",
            f"/pilots/{pilot.id}/datasets/{failing.id}/history",
            "/cities",
            f"/cities/{gent.slug}",
            "/cities/hasselt",
            "/dashboard",
            "/reports",
            "/reports/programme",
            f"/reports/cities/{gent.slug}",
            "/admin/",
            "/admin/audit",
            "/admin/audit?page=2",
            "/admin/users",
            "/admin/cities",
            # forms: their options are visible text too (formats, statuses, stages, roles, methods)
            "/challenges/new",
            f"/challenges/{draft.id}/edit",
            f"/challenges/{draft.id}/datasets/new",
            "/rounds/new",
            f"/rounds/{open_round.id}/edit",
            f"/pilots/{pilot.id}/edit",
            f"/pilots/{pilot.id}/milestones/new",
            f"/pilots/{pilot.id}/datasets/new",
            f"/pilots/{pilot.id}/datasets/{dataset.id}",
            "/admin/users/new",
            f"/admin/users/{lead.id}",
            f"/admin/cities/{gent.id}",
            f"/cities/{gent.slug}/charter",
        ]
    return list(dict.fromkeys(pages))


#: Pages every role must see (the others may be refused to some roles, and are checked for those who see them).
PUBLIC = ("/", "/challenges", "/pilots")


@pytest.fixture
def endpoint() -> Iterator[Server]:
    """The conformance tests' local server, with good and bad dataset endpoints."""
    state = Server(port=0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def real_reports(endpoint: Server, monkeypatch) -> list[dict]:
    """Reports of the real checker: a good endpoint (real-time, so that freshness is judged), one without CORS,
    a name that is not found, and a port where nothing listens (the errors of the network, as the system says
    them, are what must not reach a person as they are)."""
    import socket

    from pilots.conformance import addresses, check_url

    def not_found(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    reports = [
        check_url(endpoint.url("/good"), realtime=True, frequency="DAILY", policy=endpoint.policy()),
        check_url(endpoint.url("/no-cors"), frequency="WEEKLY", policy=endpoint.policy()),
        check_url(f"http://127.0.0.1:{closed}/parking.ttl", policy=endpoint.policy(allow=(f"127.0.0.1:{closed}",))),
    ]
    with monkeypatch.context() as patch:
        patch.setattr(addresses, "lookup", not_found)
        reports.append(check_url("https://parkeren.stad-die-niet-bestaat.be/live.ttl", policy=endpoint.policy()))
    assert "Name or service not known" in reports[-1].get("reachable").evidence  # as the system said it
    return [report.to_dict() for report in reports]


def add_checks(in_app, reports: list[dict]) -> None:
    """The reports as the latest check of the first datasets of the pilot with the most datasets."""
    from pilots.models import DatasetCheck, Pilot

    with in_app() as session:
        pilot = max(session.scalars(select(Pilot)).all(), key=lambda p: (len(p.datasets), -p.id))
        assert len(pilot.datasets) >= len(reports)
        for dataset, report in zip(sorted(pilot.datasets, key=lambda d: d.id), reports, strict=False):
            dataset.checks.append(DatasetCheck(checked_at=utcnow(), passed=report["passed"], report=report))
        session.commit()


def test_no_code_on_the_demo_pages(app, client, in_app, endpoint, monkeypatch):
    from pilots.demo import seed

    with in_app():
        seed()
    add_checks(in_app, real_reports(endpoint, monkeypatch))
    pages = demo_pages(in_app)
    offenders: dict[str, set[str]] = {}
    seen: set[str] = set()
    for role in ROLES:
        for language in ("nl", "en"):
            client.post("/logout")
            with client.session_transaction() as session:
                session.clear()
            if role is not None:
                assert client.login(role, DEMO_PASSWORD).status_code == 302, role
            client.post("/language", data={"language": language, "next": "/"})
            for page in pages:
                response = client.get(page)
                if response.status_code != 200 or response.mimetype != "text/html":
                    assert page not in PUBLIC, (page, role, response.status_code)
                    continue
                seen.add(page)
                for code in codes_in(visible_text(response.get_data(as_text=True))):
                    offenders.setdefault(f"{page} ({language}, {role or 'anonymous'})", set()).add(code)
    assert set(pages) - seen == set(), "pages no role could open"
    # The network's errors are sentences; the system's own words are only a technical detail, in a code element.
    client.post("/logout")
    client.post("/language", data={"language": "en", "next": "/"})
    page = client.get(pages[pages.index("/pilots") + 1]).get_data(as_text=True)
    visible = visible_text(page)
    assert "the server's name could not be found" in visible and "the server refused the connection" in visible
    assert "Errno" not in visible and "<code>[Errno -2] Name or service not known</code>" in page
    report = "\n".join(f"{page}: {', '.join(sorted(codes))}" for page, codes in sorted(offenders.items()))
    assert not offenders, "code on screen:\n" + report
