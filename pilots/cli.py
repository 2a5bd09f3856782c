"""Command-line commands: `flask --app app seed-demo`, `flask --app app create-user`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from pilots.extensions import db
from pilots.models import CityRole, User
from pilots.services import accounts, cities
from pilots.services.accounts import UserData
from pilots.services.errors import ServiceError


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(rank)
    app.cli.add_command(check_url)
    app.cli.add_command(check_datasets)
    app.cli.add_command(export_dcat)
    app.cli.add_command(export_data)
    app.cli.add_command(import_data)
    from pilots.jobs.worker import worker

    app.cli.add_command(worker)


@click.command("seed-demo")
@with_appcontext
@click.option("--first-run", is_flag=True, help="Do nothing if the database already has accounts.")
def seed_demo(first_run: bool) -> None:
    """Add the demo cities, accounts and content. Running it again adds only what is missing."""
    from pilots.demo import DEMO_PASSWORD, seed

    if first_run and db.session.scalar(select(func.count(User.id))):
        click.echo("The database already has accounts; demo data not added.")
        return
    created = seed()
    summary = ", ".join(f"{name}: {count}" for name, count in created.items())
    click.echo(f"Demo data ready ({summary} created). Every demo account uses the password {DEMO_PASSWORD!r}.")


@click.command("create-user")
@with_appcontext
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", "is_admin", is_flag=True, help="Make the account an administrator.")
@click.option("--steering", "is_steering", is_flag=True, help="Make the account a steering-committee member.")
@click.option("--city", "city_slug", help="Slug of the city the account works for (e.g. gent).")
@click.option(
    "--role",
    type=click.Choice([role.value for role in CityRole]),
    default=CityRole.STAFF.value,
    show_default=True,
    help="Role in that city.",
)
@click.option("--locale", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
def create_user(
    email: str, name: str, password: str, is_admin: bool, is_steering: bool, city_slug: str | None, role: str, locale: str
) -> None:
    """Create an account, for real deployments."""
    memberships: tuple[tuple[int, CityRole], ...] = ()
    if city_slug:
        city = cities.get_city_by_slug(city_slug)
        if city is None:
            raise click.BadParameter(f"no city with slug {city_slug!r}", param_hint="--city")
        memberships = ((city.id, CityRole(role)),)
    try:
        user = accounts.create_user(
            None,
            UserData(email=email, name=name, locale=locale, is_admin=is_admin, is_steering=is_steering),
            password,
            current_app.config["PASSWORD_MIN_LENGTH"],
            memberships,
        )
    except ServiceError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(f"Created {user.email} (id {user.id}).")


@click.command("rank")
@click.argument("snapshot", type=click.File("r", encoding="utf-8"))
def rank(snapshot) -> None:
    """Rank a snapshot (the JSON contract in docs/ranking.md) and print the result as JSON.

    Use a round's downloaded snapshot to recompute exactly the published result. Bad input: a message on
    stderr and exit status 2. Needs no database.
    """
    import json
    import sys

    from pilots import ranking

    try:
        document = json.load(snapshot)
    except json.JSONDecodeError as error:
        click.echo(f"error: not valid JSON: {error}", err=True)
        sys.exit(2)
    try:
        result = ranking.run(document)
    except ranking.RankingInputError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    click.echo(ranking.canonical_json(result))


@click.command("check-url")
@click.argument("url")
@click.option("--realtime", is_flag=True, help="The data is real-time: require prov:generatedAtTime.")
@with_appcontext
def check_url(url: str, realtime: bool) -> None:
    """Check URL against the programme's technical principles and print the checklist as JSON.

    Uses the same address rules and allow-list (CONFORMANCE_ALLOW) as the platform. Exit status 0 when every
    applicable check passes, 1 when some fail, 2 when the URL is refused.
    """
    import sys

    from pilots.conformance.cli import main

    sys.exit(main([url, *(["--realtime"] if realtime else [])], config=current_app.config))


@click.command("check-datasets")
@with_appcontext
def check_datasets() -> None:
    """Check every published dataset and keep the results (for a scheduler, e.g. cron every night)."""
    from pilots.jobs.tasks import run_checker
    from pilots.services import workspaces

    passed = failed = 0
    for pilot_id, dataset_id in workspaces.all_dataset_ids():
        check = workspaces.check_dataset(None, pilot_id, dataset_id, run_checker)
        passed, failed = passed + check.passed, failed + (not check.passed)
        click.echo(f"dataset {dataset_id}: {'pass' if check.passed else 'fail'}")
    click.echo(f"{passed} passed, {failed} failed")


@click.command("export-dcat")
@click.option(
    "--format", "format_", type=click.Choice(["turtle", "json-ld", "rdf/xml", "n-triples"]), default="turtle", show_default=True
)
@click.option("--output", type=click.File("wb"), default="-", help="File to write (default: standard output).")
@with_appcontext
def export_dcat(format_: str, output) -> None:
    """Write the DCAT-AP catalogue of the published datasets (the same as GET /catalog)."""
    from pilots.services import catalogue

    body, _media_type, skipped = catalogue.render_reporting(current_app.config["BASE_URL"], format_)
    output.write(body)
    for item in skipped:
        click.echo(f"Left out dataset {item.dataset_id} ({item.title}): {'; '.join(item.problems)}", err=True)


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return ""  # pragma: no cover


@click.command("export-data")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_data(file) -> None:
    """Back up every table to FILE (JSON Lines; gzip when FILE ends in .gz), for `import-data`.

    Reads one consistent snapshot; the platform may keep running. See docs/operations.md.
    """
    import time

    from sqlalchemy.exc import SQLAlchemyError

    from pilots.services import backup

    started = time.perf_counter()
    try:
        summary = backup.export_data(file)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    except SQLAlchemyError as error:
        raise click.ClickException(f"database error: {str(error).splitlines()[0]}") from None
    click.echo(
        f"Exported {summary.total} rows of {len(summary.rows)} tables at migration {summary.alembic_revision} "
        f"to {file} ({_size(file)}) in {time.perf_counter() - started:.1f} s."
    )


@click.command("import-data")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Delete every row in the database first (in the same transaction).")
@with_appcontext
def import_data(file, replace: bool) -> None:
    """Restore a backup made by `export-data` into an empty database at the same migration revision.

    One transaction: everything is restored, or nothing. Refused (exit status 1) when the database already
    holds data, unless --replace. See docs/operations.md.
    """
    import time

    from sqlalchemy.exc import SQLAlchemyError

    from pilots.services import backup

    started = time.perf_counter()
    try:
        summary = backup.import_data(file, replace=replace)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    except SQLAlchemyError as error:
        raise click.ClickException(f"database error: {str(error).splitlines()[0]}") from None
    if summary.replaced:
        click.echo(f"Deleted the {sum(summary.replaced.values())} rows that were in the database.")
    for table, count in summary.rows.items():
        click.echo(f"  {table}: {count}")
    click.echo(
        f"Imported {summary.total} rows of {len(summary.rows)} tables at migration {summary.alembic_revision} "
        f"from {file} in {time.perf_counter() - started:.1f} s."
    )
