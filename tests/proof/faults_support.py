"""Helpers for the concurrency and fault proofs: a small signed-in HTTP client, the ballot form as the page
shows it, direct reads of the database, the link from a PostgreSQL backend to the gunicorn worker that owns
it, and a private PostgreSQL server that a test may stop and start without disturbing anyone else."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa

from tests.proof.server import free_port

PASSWORD = "pilot-demo"
CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(-?\d+)"')
SCORE = re.compile(r'name="score-(\d+)-(\d+)"')
NOTE = re.compile(r'name="note-(\d+)"')
ALERT = re.compile(r'<div class="alert alert-[a-z]+">(.*?)</div>', re.S)
TEST_APPLICATION = "datapilots-proof-test"  # how the tests' own connections name themselves to PostgreSQL
#: The refusal of a stale save, in Dutch (the demo accounts' language) and English.
STALE_MESSAGES = (
    "Iemand anders heeft dit intussen bewaard. Laad de pagina opnieuw en probeer het nog eens.",
    "Somebody else saved this in the meantime. Reload the page and try again.",
)


def alerts(html: str) -> list[str]:
    """The flashed messages on a page."""
    return [message.strip() for message in ALERT.findall(html)]


class Browser:
    """One visitor: keeps its cookies (the session cookie is ``Secure``, so it is kept by hand over loopback
    HTTP), never follows redirects, and gives up on a request after ``timeout`` seconds."""

    def __init__(self, base: str, timeout: float = 10) -> None:
        self.client = httpx.Client(base_url=base, timeout=timeout, follow_redirects=False, headers={"Accept-Language": "en"})
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None) -> httpx.Response:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        try:
            response = self.client.request(method, path, data=data, headers=headers)
        finally:
            self.client.cookies.clear()  # only our own jar, which also keeps the Secure cookie
        for raw in response.headers.get_list("set-cookie"):
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0]
            if value and "max-age=0" not in raw.lower() and "expires=thu, 01 jan 1970" not in raw.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return response

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict) -> httpx.Response:
        return self.request("POST", path, data)

    def csrf(self, path: str = "/account") -> str:
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return CSRF.search(response.text).group(1)

    def login(self, email: str, password: str = PASSWORD) -> None:
        token = self.csrf("/login")
        response = self.post("/login", {"csrf_token": token, "email": email, "password": password, "next": ""})
        assert response.status_code == 302, f"sign-in of {email} failed: {response.status_code}\n{response.text[:2000]}"

    def close(self) -> None:
        self.client.close()


@dataclass
class BallotForm:
    """The ballot page as a voter sees it: the version it was opened at, its CSRF token and its cells."""

    csrf: str
    version: int
    cells: list[tuple[int, int]]
    notes: list[int]
    editable: bool

    def data(self, scores: dict[tuple[int, int], int], notes: dict[int, str] | None = None, action: str = "save") -> dict:
        data = {"csrf_token": self.csrf, "version": str(self.version), "action": action}
        data.update({f"score-{a}-{c}": str(value) for (a, c), value in scores.items()})
        data.update({f"note-{a}": text for a, text in (notes or {}).items()})
        return data


def ballot_path(round_id: int, city: str) -> str:
    return f"/rounds/{round_id}/ballots/{city}"


def parse_ballot(html: str) -> BallotForm:
    cells = [(int(a), int(c)) for a, c in SCORE.findall(html)]
    return BallotForm(
        csrf=CSRF.search(html).group(1),
        version=int(VERSION.search(html).group(1)),
        cells=cells,
        notes=[int(a) for a in NOTE.findall(html)],
        editable=bool(cells),
    )


def open_ballot(browser: Browser, round_id: int, city: str) -> BallotForm:
    """The city's ballot, reopened first (through the page's own button) if it was submitted."""
    response = browser.get(ballot_path(round_id, city))
    assert response.status_code == 200, response.status_code
    form = parse_ballot(response.text)
    if not form.editable:
        reopened = browser.post(ballot_path(round_id, city) + "/reopen", {"csrf_token": form.csrf, "version": str(form.version)})
        assert reopened.status_code == 302, reopened.status_code
        response = browser.get(ballot_path(round_id, city))
        form = parse_ballot(response.text)
    assert form.editable, f"the ballot of {city} cannot be edited"
    return form


# --- the database, read directly -------------------------------------------------------------------------------


class Database:
    """Direct SQL on the proof database, not through the app."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sa.create_engine(url, pool_pre_ping=True, connect_args={"application_name": TEST_APPLICATION})

    def scalar(self, sql: str, **params):
        with self.engine.connect() as connection:
            return connection.execute(sa.text(sql), params).scalar()

    def rows(self, sql: str, **params) -> list:
        with self.engine.connect() as connection:
            return list(connection.execute(sa.text(sql), params))

    def open_round(self) -> int:
        return self.scalar("SELECT id FROM rounds WHERE phase = 'voting_open' ORDER BY year DESC LIMIT 1")

    def ballot(self, round_id: int, city: str):
        return self.rows(
            "SELECT b.id, b.status, b.version FROM ballots b JOIN cities c ON c.id = b.city_id "
            "WHERE b.round_id = :r AND c.slug = :city",
            r=round_id,
            city=city,
        )[0]

    def scores(self, ballot_id: int) -> dict[tuple[int, int], float]:
        return {
            (a, c): v
            for a, c, v in self.rows("SELECT challenge_id, criterion_id, value FROM scores WHERE ballot_id = :b", b=ballot_id)
        }

    def notes(self, ballot_id: int) -> dict[int, str]:
        return dict(self.rows("SELECT challenge_id, text FROM ballot_notes WHERE ballot_id = :b", b=ballot_id))

    def last_audit_id(self) -> int:
        return self.scalar("SELECT coalesce(max(id), 0) FROM audit_events")

    def audit_events(self, since: int, action_prefix: str) -> list:
        return self.rows(
            "SELECT id, action, object_id, details FROM audit_events WHERE id > :since AND action LIKE :prefix ORDER BY id",
            since=since,
            prefix=action_prefix + "%",
        )

    def app_backends(self) -> list:
        """The app's connections to the database (every one but this test's own)."""
        return self.rows(
            "SELECT pid, client_port, state, wait_event_type, query FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_type = 'client backend' AND application_name <> :me",
            me=TEST_APPLICATION,
        )

    def dispose(self) -> None:
        self.engine.dispose()


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# --- which gunicorn worker owns a database connection -----------------------------------------------------------


def _socket_inodes_by_local_port() -> dict[int, str]:
    inodes = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local_port = int(parts[1].rsplit(":", 1)[1], 16)
            inodes[local_port] = parts[9]
    return inodes


def process_owning_port(pids: list[int], local_port: int) -> int | None:
    """The process (among ``pids``) holding the TCP socket whose local port is ``local_port``."""
    inode = _socket_inodes_by_local_port().get(local_port)
    if inode is None:
        return None
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


# --- a private PostgreSQL server ------------------------------------------------------------------------------


def postgres_bindir() -> Path | None:
    """The newest PostgreSQL server binaries installed (Debian layout), or those next to ``pg_config``."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = Path(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True).stdout.strip())
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class PrivatePostgres:
    """A throw-away PostgreSQL cluster on its own port with trust authentication. PostgreSQL refuses to run as
    root, so as root its commands run as the ``postgres`` user, who owns the cluster's directory."""

    bindir: Path
    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="proof-pg-")))

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}\n{self._log_tail()}")
        return result

    def _log_tail(self) -> str:
        try:
            return self.log.read_text()[-3000:]
        except OSError:
            return ""

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale", "C")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=40"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def restart(self, mode: str = "fast") -> None:
        # Not `pg_ctl restart`: it forgets the log file, and the server would then hold our output pipes open.
        self.stop(mode)
        self.start()

    def running(self) -> bool:
        command = [str(self.bindir / "pg_ctl"), "-D", str(self.data), "status"]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, check=False).returncode == 0

    def destroy(self) -> None:
        try:
            if self.data.exists() and self.running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
