"""The nightly monitoring pass: every published dataset checked for real by ``flask worker`` (checks/s).

The datasets are those of the large programme (``bench.large``: 5,000 published datasets at scale 1 over 60
pilots of different sizes, each with one stored check). Their access URLs are pointed at an HTTP server on a
loopback port, in a process of its own, that answers each with a realistic open-data page: a DCAT dataset with
its distribution, licence, publisher, ``prov:generatedAtTime`` (the moment of the request), a ``hydra:next`` link
and 100 parking observations from 20 sensors: 672 triples, 38 kB of Turtle or 44 kB of JSON-LD with an inline
context. A third of the endpoints prefer JSON-LD, the others Turtle; each answers the other format when asked
for it alone (content negotiation), with CORS, Cache-Control, an ETag and Last-Modified. Every check therefore
passes except HTTPS (plain HTTP on loopback; the checker trusts only certifi's authorities): each stored verdict
is "failed: https", and the run asserts exactly that.

The pass is the real one minus its delays: a real ``flask --app app worker`` (2 threads, its default) on the
benchmark's database, with a Huey queue on SQLite of its own, takes ``check_dataset(dataset_id, None)`` jobs,
queued in the order ``pacing.spread`` plans (as ``recheck_datasets`` does, but without the delays that spread the
pass over DATASET_MONITORING_WINDOW_HOURS by design: this measures how fast the checks themselves go). Each job
is ``workspaces.run_requested_check`` with the real checker ``pilots.jobs.tasks.run_checker``: a child of the
forkserver per check, under the CONFORMANCE_* budget and memory cap, the allow-list (CONFORMANCE_ALLOW)
permitting the endpoint's address and port only. The worker runs in production settings with notification
e-mails off and its periodic jobs off. The pass ends when every check is stored; the job times are Huey's own
("executed in") from the worker's log.

One pass is timed (``repeat=1``, no warm-up run: setup has the worker check three datasets first, which starts its
forkserver); another pass would find one more stored check per dataset. Below scale 1 (CI's short run,
``--scale 0.2``) the pass checks the first fifth of the plan (200 of the 1,000 datasets), and the facts say so
(``checked``). The facts also give what ``pacing.spread`` plans for all the datasets over the default window:
on their own hosts (one per city, as the large programme stores them) and all on one host.

Registered after every other benchmark (it rewrites the datasets' URLs and adds a check to each): this module
imports bench.large and bench.notifications first.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import rdflib
from rdflib.namespace import DCAT, DCTERMS, PROV, RDF, XSD
from sqlalchemy import bindparam, func, select, update

from bench import large, notifications  # noqa: F401  (registered first: this benchmark changes their data)
from bench.harness import Context, benchmark
from pilots import create_app, jobs
from pilots.conformance.pacing import host_of, spread
from pilots.extensions import db
from pilots.models import AuditEvent, DatasetCheck, Notification, PublishedDataset
from pilots.services import workspaces

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NAME = "monitoring-pass-5000"
THREADS = 2  # like `flask worker` (its --workers default)
OBSERVATIONS = 100  # per page
URL = "http://placeholder.invalid/dataset"  # replaced by each dataset's own URL when served
GENERATED = "2000-01-01T00:00:00+00:00"  # replaced by the moment of the request
LICENCE = "https://data.vlaanderen.be/id/licentie/modellicentie-gratis-hergebruik/v1.0"
HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
SOSA = rdflib.Namespace("http://www.w3.org/ns/sosa/")
EX = rdflib.Namespace("https://data.example.org/ns/parking#")
CONTEXT = {"dcat": str(DCAT), "dct": str(DCTERMS), "prov": str(PROV), "hydra": str(HYDRA), "sosa": str(SOSA),
           "xsd": str(XSD), "ex": str(EX)}  # fmt: skip


# --- the endpoint ----------------------------------------------------------------------------------------------


def documents() -> dict[str, bytes]:
    """The page in Turtle and JSON-LD, with placeholders for its URL and generation time."""
    graph = rdflib.Graph()
    for prefix, namespace in CONTEXT.items():
        graph.bind(prefix, namespace)
    page = rdflib.URIRef(URL)
    distribution = rdflib.URIRef(URL + "#distribution")
    graph.add((page, RDF.type, DCAT.Dataset))
    graph.add((page, DCTERMS.title, rdflib.Literal("Bezetting van de parkings", lang="nl")))
    graph.add((page, DCTERMS.title, rdflib.Literal("Occupancy of the car parks", lang="en")))
    graph.add((page, DCTERMS.description, rdflib.Literal("Vrije en bezette plaatsen per parking, elke minuut.", lang="nl")))
    graph.add((page, DCTERMS.license, rdflib.URIRef(LICENCE)))
    graph.add((page, DCTERMS.publisher, rdflib.URIRef("https://data.vlaanderen.be/id/organisatie/OVO002949")))
    graph.add((page, PROV.generatedAtTime, rdflib.Literal(GENERATED, datatype=XSD.dateTime)))
    graph.add((page, DCAT.distribution, distribution))
    graph.add((page, HYDRA.next, rdflib.URIRef(URL + "?page=2")))
    graph.add((distribution, RDF.type, DCAT.Distribution))
    graph.add((distribution, DCAT.accessURL, page))
    graph.add((distribution, DCAT.mediaType, rdflib.URIRef("https://www.iana.org/assignments/media-types/text/turtle")))
    for n in range(OBSERVATIONS):
        observation = rdflib.URIRef(f"{URL}#observation-{n}")
        sensor = rdflib.URIRef(f"{URL}#parking-{n % 20}")
        graph.add((observation, RDF.type, SOSA.Observation))
        graph.add((observation, SOSA.madeBySensor, sensor))
        graph.add((observation, SOSA.observedProperty, EX.availableSpaces))
        graph.add((observation, SOSA.hasSimpleResult, rdflib.Literal((n * 37) % 450, datatype=XSD.integer)))
        graph.add((observation, SOSA.resultTime, rdflib.Literal(GENERATED, datatype=XSD.dateTime)))
        graph.add((observation, DCTERMS.isPartOf, page))
        if n < 20:
            graph.add((sensor, RDF.type, SOSA.Sensor))
            graph.add((sensor, DCTERMS.title, rdflib.Literal(f"Parking {n + 1}", lang="nl")))
            graph.add((sensor, EX.capacity, rdflib.Literal(450, datatype=XSD.integer)))
    return {
        "text/turtle": graph.serialize(format="turtle").encode(),
        "application/ld+json": graph.serialize(format="json-ld", context=CONTEXT, indent=None).encode(),
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Endpoint

    def do_GET(self) -> None:
        self.answer(body=True)

    def do_HEAD(self) -> None:
        self.answer(body=False)

    def answer(self, body: bool) -> None:
        path = self.path.split("?", 1)[0]
        if not path.startswith("/data/"):
            self.send_error(404)
            return
        accept = self.headers.get("Accept", "")
        number = path.rsplit("/", 1)[-1]
        preferred = "application/ld+json" if number.isdigit() and int(number) % 3 == 0 else "text/turtle"
        offered = [media_type for media_type in ("application/ld+json", "text/turtle") if media_type in accept]
        media_type = offered[0] if len(offered) == 1 else preferred  # one format asked for alone: that one
        now = datetime.now(UTC).replace(microsecond=0)
        url = f"http://{self.headers.get('Host')}{path}"
        data = self.server.documents[media_type].replace(URL.encode(), url.encode())
        data = data.replace(GENERATED.encode(), now.isoformat().encode())
        self.send_response(200)
        self.send_header("Content-Type", media_type + ("; charset=utf-8" if media_type == "text/turtle" else ""))
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "public, max-age=60")
        self.send_header("ETag", f'"{hash(data) & 0xFFFFFFFF:08x}"')
        self.send_header("Last-Modified", format_datetime(now, usegmt=True))
        self.send_header("Vary", "Accept")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, format, *args) -> None:
        pass


class _Endpoint(ThreadingHTTPServer):
    daemon_threads = True
    documents: dict[str, bytes]

    def handle_error(self, request, client_address) -> None:
        """Quiet: the checker closes the connection of its content-negotiation request without reading the body."""


def _serve(ready) -> None:
    """The endpoint's process: serve until killed; send the port through ``ready`` first."""
    server = _Endpoint(("127.0.0.1", 0), _Handler)
    server.documents = documents()
    ready.send(server.server_port)
    ready.close()
    server.serve_forever()


def start_endpoint() -> tuple[multiprocessing.Process, int]:
    """The endpoint in a process of its own (so that serving does not compete with the pass for one GIL)."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_serve, args=(sender,), daemon=True, name="bench-dataset-endpoint")
    process.start()
    sender.close()
    if not receiver.poll(60):
        process.kill()
        raise RuntimeError("the dataset endpoint did not start")
    port = receiver.recv()
    receiver.close()
    return process, port


# --- the pass ----------------------------------------------------------------------------------------------------

EXECUTED = re.compile(r"pilots\.jobs\.check_dataset: \S+ executed in ([0-9.]+)s")
STALL = 120  # seconds without a new stored check before the benchmark gives up


def _median(values) -> float:
    return round(statistics.median(list(values)), 1)


def _p95(values) -> float:
    ordered = sorted(values)
    return round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 1)


def _plan_facts(targets: list[tuple[int, str]], window: float, gap: float) -> dict[str, object]:
    """What pacing.spread plans for ``targets`` over ``window`` seconds: when the last check starts, whether the
    pass fits the window, and how many hosts share it."""
    plan = spread(targets, window, gap)
    last = max((start for _, start in plan), default=0.0)
    hosts = Counter(host_of(url) for _, url in targets)
    return {"hosts": len(hosts), "busiest_host": max(hosts.values(), default=0), "last_start_h": round(last / 3600, 2),
            "fits": last <= window}  # fmt: skip


class Worker:
    """``flask --app app worker`` on the benchmark's database and a queue of its own (Huey on SQLite, in a
    temporary folder), the periodic jobs off, the checker allowed to reach the endpoint only."""

    def __init__(self, database_url: str, allow: str) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="bench-monitoring-"))
        self.queue_url = f"sqlite:///{self.folder / 'tasks.sqlite'}"
        self.log_path = self.folder / "worker.log"
        self.env = {
            **os.environ,
            "PILOTS_ENV": "production",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-production",
            "DATABASE_URL": database_url,
            "TASK_QUEUE_URL": self.queue_url,
            "CONFORMANCE_ALLOW": allow,
            "NOTIFICATION_EMAILS": "false",  # notifications stay in the app: no mail server here
            "DATASET_MONITORING_HOUR": "off",
            "DIGEST_HOUR": "off",
            "REMINDER_HOUR": "off",
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(  # noqa: S603 - the project's own flask command
                [str(BIN / "flask"), "--app", "app", "worker", "--workers", str(THREADS)],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        atexit.register(self.remove)
        self.wait(lambda: "Huey consumer started" in self.log(), 60, "the worker to start")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the worker stopped while waiting for {what}:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out after {timeout} s waiting for {what}:\n{self.log()[-3000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM: the jobs under way finish (and log that they did)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _count_checks(app, after: int) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count(DatasetCheck.id)).where(DatasetCheck.id > after))
        db.session.remove()
    return count


@benchmark(
    NAME,
    "a full monitoring pass: every published dataset (5,000 at scale 1) checked for real by `flask worker` (2 threads)",
    repeat=1,
    warmup=False,
)
def monitoring_pass(context: Context):
    state = large._large(context)
    app = context.app
    endpoint, port = start_endpoint()
    atexit.register(endpoint.kill)
    allow = f"127.0.0.1:{port}"
    window = float(app.config["DATASET_MONITORING_WINDOW_HOURS"]) * 3600
    gap = float(app.config["CONFORMANCE_TOTAL_TIMEOUT"]) + 1  # as recheck_datasets
    with app.app_context():
        stored = workspaces.monitoring_targets()
        on_their_hosts = _plan_facts(stored, window, gap)
        # Point every dataset at the endpoint, keeping its own host and number in the path.
        table = PublishedDataset.__table__
        db.session.connection().execute(  # Core: the rows' versions stay as they are
            update(table).where(table.c.id == bindparam("b_id")).values(access_url=bindparam("b_url")),
            [{"b_id": dataset_id, "b_url": f"http://{allow}/data/{host_of(url)}/{dataset_id}"} for dataset_id, url in stored],
        )
        db.session.commit()
        on_one_host = _plan_facts(workspaces.monitoring_targets(), window, gap)
    # The order recheck_datasets queues them in (without its delays); below scale 1 a fifth of them (CI: 200).
    order = [dataset_id for dataset_id, _ in sorted(spread(stored, window, gap), key=lambda item: item[1])]
    if context.scale < 1:
        order = order[: max(1, len(order) // 5)]
    print(
        f"{NAME}: {len(stored):,} published datasets ({len(order):,} checked); pacing.spread over {window / 3600:g} h, "
        f"{gap:g} s apart on a host, starts the last check after {on_their_hosts['last_start_h']} h on their "
        f"{on_their_hosts['hosts']} hosts ({'fits' if on_their_hosts['fits'] else 'does not fit'}), after "
        f"{on_one_host['last_start_h']} h on one host ({'fits' if on_one_host['fits'] else 'does not fit'})"
    )

    worker = Worker(app.config["SQLALCHEMY_DATABASE_URI"], allow)
    worker.start()
    queue = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TASK_QUEUE_URL": worker.queue_url}
    )
    with queue.app_context():
        mark = db.session.scalar(select(func.max(DatasetCheck.id))) or 0
        # Warm-up: the worker's first checks start its forkserver (which imports rdflib and httpx).
        for dataset_id in order[-3:]:
            jobs.enqueue("check_dataset", dataset_id, None)
    worker.wait(lambda: _count_checks(app, mark) == 3, 120, "the three warm-up checks")
    with app.app_context():
        mark = {
            "check": db.session.scalar(select(func.max(DatasetCheck.id))),
            "notification": db.session.scalar(select(func.max(Notification.id))) or 0,
            "audit": db.session.scalar(select(func.max(AuditEvent.id))) or 0,
            "log": len(worker.log()),
        }

    def run():
        try:
            started = time.perf_counter()
            with queue.app_context():
                for dataset_id in order:
                    jobs.enqueue("check_dataset", dataset_id, None)
            enqueued = time.perf_counter() - started
            progress = {"count": 0, "at": time.monotonic()}

            def done() -> bool:
                count = _count_checks(app, mark["check"])
                if count != progress["count"]:
                    progress.update(count=count, at=time.monotonic())
                elif time.monotonic() - progress["at"] > STALL:
                    raise RuntimeError(f"no check stored for {STALL} s ({count} of {len(order)}):\n{worker.log()[-3000:]}")
                return count >= len(order)

            worker.wait(done, float("inf"), "every check to be stored")
            seconds = time.perf_counter() - started
        finally:
            worker.stop()
        log = worker.log()[mark["log"] :]
        worker.remove()
        durations = [float(value) * 1000 for value in EXECUTED.findall(log)]
        with app.app_context():
            reports = db.session.scalars(select(DatasetCheck.report).where(DatasetCheck.id > mark["check"])).all()
            added = db.session.scalar(select(func.count(Notification.id)).where(Notification.id > mark["notification"]))
            audited = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.id > mark["audit"]))
        verdicts = Counter(",".join(c["id"] for c in report["checks"] if c["result"] == "fail") or "none" for report in reports)
        assert len(reports) == len(order), (len(reports), len(order))
        assert verdicts == {"https": len(order)}, verdicts
        context.facts_by_bench[NAME] = {
            "datasets": len(stored),
            "checked": len(order),
            "pilots": len(state["programme"].pilot_ids),
            "threads": THREADS,
            "pass_s": round(seconds, 1),
            "checks_per_s": round(len(order) / seconds, 2),
            "enqueue_s": round(enqueued, 1),
            "job_ms_median": _median(durations),
            "job_ms_p95": _p95(durations),
            "jobs_logged": len(durations),
            "verdicts": dict(verdicts),
            "notifications": added,
            "audit_events": audited,
            "plan_own_hosts": on_their_hosts,
            "plan_one_host": on_one_host,
            "window_h": window / 3600,
            "build_s": state["build_s"],
        }

    return run
