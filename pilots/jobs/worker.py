"""``flask --app app worker``: the Huey consumer that runs the background jobs and starts the periodic ones (see pilots.jobs.Periodic)."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from pilots.jobs import jobs, queue_url

log = logging.getLogger(__name__)


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Jobs run at the same time (threads).")
@with_appcontext
def worker(workers: int) -> None:
    """Run background jobs until stopped: SIGTERM (systemd, Docker) lets the jobs under way finish; Ctrl-C stops at once.

    On start, and every few minutes, the jobs of a worker that died during them (older than JOB_LEASE_SECONDS)
    are put back on the queue."""
    registry = jobs()
    huey = registry.huey
    if huey.immediate:
        raise click.ClickException("TASK_QUEUE_URL=memory:// runs jobs when they are enqueued: there is nothing to consume")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    url = queue_url(current_app.config, current_app.instance_path)
    click.echo(f"Worker: {workers} thread(s) on {url.split('@')[-1]}")
    try:
        recovered = registry.recover()
    except Exception:  # the queue is down: the consumer waits for it, and the periodic recovery tries again
        log.exception("could not look for interrupted jobs")
    else:
        click.echo(f"Worker: {recovered} interrupted job(s) put back on the queue")
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True, graceful_signal="TERM")
    consumer.run()
