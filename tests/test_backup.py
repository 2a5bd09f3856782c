"""Backup and restore: `flask export-data` and `flask import-data` round-trip the demo with nothing lost."""

from __future__ import annotations

import gzip
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from pilots import ranking
from pilots.extensions import db
from pilots.models import AuditEvent, Challenge, City, Milestone, Round, RoundPhase, RoundSnapshot, User
from pilots.services import accounts, backup
from pilots.services import challenges as challenge_service
from pilots.services.accounts import UserData
from pilots.services.challenges import ChallengeData
from tests.conftest import empty_tables

Dump = dict[str, list[tuple]]


def dump(app) -> Dump:
    """Every row of every table in primary-key order; JSON columns as their stored text (JSON null is not NULL)."""
    with app.app_context(), db.engine.connect() as connection:
        tables = {}
        for table in db.metadata.sorted_tables:
            columns = [sa.cast(c, sa.Text).label(c.name) if isinstance(c.type, sa.JSON) else c for c in table.columns]
            query = select(*columns).order_by(*table.primary_key.columns)
            tables[table.name] = [tuple(row) for row in connection.execute(query)]
        return tables


@dataclass(frozen=True)
class Backup:
    path: Path
    rows: Dump  # the database it was made from


@pytest.fixture(scope="module")
def demo_backup(app, tmp_path_factory) -> Backup:
    """The demo, seeded once for this module, exported; each test then starts from empty tables again."""
    from pilots.demo import seed

    empty_tables(app)
    with app.app_context():
        seed()
    rows = dump(app)
    path = tmp_path_factory.mktemp("backup") / "demo.jsonl"
    result = app.test_cli_runner().invoke(args=["export-data", str(path)])
    assert result.exit_code == 0, result.output
    assert "Exported" in result.output and "migration" in result.output
    return Backup(path, rows)


def restore(runner, path: Path, *options: str):
    return runner.invoke(args=["import-data", *options, str(path)])


def rewrite(source: Path, target: Path, edit) -> Path:
    """Copy a backup, passing its lines (parsed) through ``edit``, which returns the new list of lines."""
    lines = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    target.write_text("".join(json.dumps(line) + "\n" for line in edit(lines)), encoding="utf-8")
    return target


def test_round_trip_restores_every_row(app, runner, demo_backup):
    assert all(rows == [] for rows in dump(app).values())  # the tables were emptied after the export
    result = restore(runner, demo_backup.path)
    assert result.exit_code == 0, result.output
    assert dump(app) == demo_backup.rows  # every table, every column, every row: nothing lost, nothing added
    counts = {name: len(rows) for name, rows in demo_backup.rows.items()}
    assert counts["cities"] == 14 and counts["audit_events"] > 100 and counts["round_snapshots"] > 0
    for name, count in counts.items():
        assert f"  {name}: {count}\n" in result.output  # what was imported, per table
    assert f"Imported {sum(counts.values())} rows of {len(counts)} tables" in result.output


def test_the_backup_describes_itself(app, demo_backup):
    lines = demo_backup.path.read_text(encoding="utf-8").splitlines()
    header, end = json.loads(lines[0]), json.loads(lines[-1])
    assert header["format"] == "datapilots-backup" and header["version"] == 1
    with app.app_context():
        assert header["alembic_revision"] == backup.migration_heads()
    assert header["created_at"].endswith("+00:00")
    assert header["tables"] == [table.name for table in db.metadata.sorted_tables]
    assert end == {"end": True, "rows": {name: len(rows) for name, rows in demo_backup.rows.items()}}
    tables = {json.loads(line)["table"]: json.loads(line) for line in lines if line.startswith('{"table"')}
    rounds = tables["rounds"]
    assert rounds["columns"][:2] == ["id", "title"]
    kinds = dict(zip(rounds["columns"], rounds["types"], strict=True))
    assert kinds["created_at"] == "datetime" and kinds["voting_deadline"] == "date" and kinds["phase"] == "enum"
    assert kinds["ahp_judgements"] == "json" and kinds["perturbation"] == "float" and kinds["allow_self_scoring"] == "boolean"


@pytest.mark.parametrize("name", ["plain.jsonl", "packed.jsonl.gz"])
def test_the_backup_is_readable_by_its_owner_only(app, runner, tmp_path, name):
    """Regression (issue 11): the file holds password hashes and live session tokens, and was written 0644."""
    import os
    import stat

    path = tmp_path / name
    path.write_text("an older file of the same name, world-readable")
    path.chmod(0o644)
    previous = os.umask(0o022)
    try:
        result = runner.invoke(args=["export-data", str(path)])
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert restore(runner, path).exit_code == 0  # and it still restores


def test_gzip_round_trip(app, runner, demo_backup, tmp_path):
    assert restore(runner, demo_backup.path).exit_code == 0
    compressed = tmp_path / "demo.jsonl.gz"
    result = runner.invoke(args=["export-data", str(compressed)])
    assert result.exit_code == 0, result.output
    assert compressed.read_bytes()[:2] == b"\x1f\x8b"
    assert compressed.stat().st_size < demo_backup.path.stat().st_size / 3
    plain = gzip.decompress(compressed.read_bytes()).decode("utf-8").splitlines()
    assert plain[1:] == demo_backup.path.read_text(encoding="utf-8").splitlines()[1:]  # the same rows, byte for byte
    empty_tables(app)
    result = restore(runner, compressed)
    assert result.exit_code == 0, result.output
    assert dump(app) == demo_backup.rows


def test_restore_records_no_audit_event(app, runner, demo_backup, in_app):
    restore(runner, demo_backup.path)
    with in_app() as session:
        assert session.scalar(select(func.count(AuditEvent.id))) == len(demo_backup.rows["audit_events"])
        assert session.scalar(select(func.max(AuditEvent.id))) == max(row[0] for row in demo_backup.rows["audit_events"])


def test_new_objects_after_a_restore(app, runner, demo_backup, in_app):
    """The sequences move past the restored ids (PostgreSQL), so the platform keeps working."""
    assert restore(runner, demo_backup.path).exit_code == 0
    with in_app() as session:
        user = accounts.create_user(None, UserData(email="nieuw@gent.be", name="Nieuw"), "long-enough-pw")
        assert user.id > max(row[0] for row in demo_backup.rows["users"])
        gent = session.scalar(select(City).where(City.slug == "gent"))
        lead = session.scalar(select(User).where(User.email == "lead@demo.local"))
        challenge = challenge_service.create_challenge(
            lead,
            gent.id,
            ChallengeData("Na de restore", "Een nieuwe uitdaging.", "", "TRAN", "", challenge_service.year_range()[-1]),
        )
        assert challenge.id > max(row[0] for row in demo_backup.rows["challenges"])
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.action == "challenge.created"
        assert event.id > max(row[0] for row in demo_backup.rows["audit_events"])
    result = runner.invoke(args=["create-user", "--email", "x@leuven.be", "--name", "X", "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output


def test_restored_snapshots_still_verify(app, runner, demo_backup, in_app, tmp_path):
    """Each round's frozen snapshot keeps its SHA-256, and `flask rank` on it prints the published result."""
    assert restore(runner, demo_backup.path).exit_code == 0
    with in_app() as session:
        snapshots = session.scalars(select(RoundSnapshot).order_by(RoundSnapshot.id)).all()
        assert snapshots
        for snapshot in snapshots:
            assert ranking.sha256(json.loads(snapshot.document)) == snapshot.sha256
        published = session.scalars(
            select(RoundSnapshot).join(Round).where(Round.phase == RoundPhase.PUBLISHED).order_by(Round.year.desc())
        ).first()
        document, expected = published.document, published.result
    path = tmp_path / "snapshot.json"
    path.write_text(document, encoding="utf-8")
    result = runner.invoke(args=["rank", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == expected


def test_values_survive_exactly(app, runner, demo_backup, in_app, tmp_path):
    """Awkward values: JSON null beside SQL NULL, floats without a short decimal form, non-ASCII text."""
    assert restore(runner, demo_backup.path).exit_code == 0
    with in_app() as session:
        rounds = session.scalars(select(Round).order_by(Round.id)).all()
        json_null, sql_null = rounds[0].id, rounds[2].id
        session.execute(  # JSON null (what the ORM stores when judgements are cleared), while the others are SQL NULL
            sa.update(Round.__table__).where(Round.id == json_null).values(ahp_judgements=sa.JSON.NULL)
        )
        rounds[1].ahp_judgements = {"1:2": 1 / 3, "note": "‘quoted’ ünïcode 🚲"}
        milestone = session.scalars(select(Milestone)).first()
        milestone.weight = 0.1 + 0.2
        city = session.scalar(select(City).where(City.slug == "vgc"))
        city.province = "Brussel — Hoofdstad 🏙"
        challenge = session.scalars(select(Challenge)).first()
        challenge.description = 'Line one\nline two\t"quoted" \\ back\u2028slash'
        session.commit()
    before = dump(app)
    raw = {row[0]: row[list(Round.__table__.columns.keys()).index("ahp_judgements")] for row in before["rounds"]}
    assert raw[json_null] == "null" and raw[sql_null] is None
    path = tmp_path / "edited.jsonl"
    assert runner.invoke(args=["export-data", str(path)]).exit_code == 0
    empty_tables(app)
    assert restore(runner, path).exit_code == 0
    assert dump(app) == before


# --- refusals: exit status 1, a clear message, nothing changed -------------------------------------------------


def test_refuses_a_database_that_holds_data(app, runner, demo_backup):
    assert restore(runner, demo_backup.path).exit_code == 0
    result = restore(runner, demo_backup.path)
    assert result.exit_code == 1
    assert "already holds data" in result.output and "--replace" in result.output
    assert dump(app) == demo_backup.rows


def test_refuses_a_database_with_a_single_account(app, runner, demo_backup, make_user):
    make_user("only@example.org")
    before = dump(app)
    result = restore(runner, demo_backup.path)
    assert result.exit_code == 1 and "already holds data" in result.output
    assert dump(app) == before


def test_replace_deletes_everything_first(app, runner, demo_backup, in_app):
    assert restore(runner, demo_backup.path).exit_code == 0
    with in_app():  # the database moves on after the backup
        accounts.create_user(None, UserData(email="later@gent.be", name="Later"), "long-enough-pw")
    assert dump(app) != demo_backup.rows
    result = restore(runner, demo_backup.path, "--replace")
    assert result.exit_code == 0, result.output
    assert "Deleted the" in result.output
    assert dump(app) == demo_backup.rows  # the later account and its audit event are gone: exactly the backup
    with in_app():  # and ids continue after the restored ones
        user = accounts.create_user(None, UserData(email="again@gent.be", name="Again"), "long-enough-pw")
        assert user.id == max(row[0] for row in demo_backup.rows["users"]) + 1


def test_replace_on_an_empty_database_is_a_plain_restore(app, runner, demo_backup):
    result = restore(runner, demo_backup.path, "--replace")
    assert result.exit_code == 0, result.output
    assert "Deleted" not in result.output
    assert dump(app) == demo_backup.rows


def test_refuses_a_backup_of_another_revision(app, runner, demo_backup, tmp_path):
    def older(lines):
        lines[0]["alembic_revision"] = "0004"
        return lines

    result = restore(runner, rewrite(demo_backup.path, tmp_path / "old.jsonl", older))
    assert result.exit_code == 1
    assert "made at migration 0004" in result.output and "db upgrade" in result.output
    assert all(rows == [] for rows in dump(app).values())


def test_refuses_a_database_at_another_revision(app, runner, demo_backup, tmp_path):
    with app.app_context():
        head = backup.migration_heads()
        with db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = '0004'"))
    try:
        result = restore(runner, demo_backup.path)
        assert result.exit_code == 1
        assert "database is at migration 0004" in result.output
        exported = runner.invoke(args=["export-data", str(tmp_path / "never.jsonl")])
        assert exported.exit_code == 1 and "db upgrade" in exported.output
        assert not list(tmp_path.iterdir())  # no file, not even a partial one
    finally:
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    assert all(rows == [] for rows in dump(app).values())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a Datapilots backup"),
        (b"\x00\xff\xfe garbage \x81", "not a Datapilots backup"),
        (b"id,name\n1,Gent\n", "not a Datapilots backup"),
        (b'{"alternatives": ["1"], "criteria": []}\n', "not a Datapilots backup"),
        (b"[1, 2, 3]\n", "not a Datapilots backup"),
        (gzip.compress(b"not json at all\n"), "not a Datapilots backup"),
        (b"\x1f\x8b\x08\x00 truncated gzip", "not a Datapilots backup"),
    ],
    ids=["empty", "binary", "csv", "other-json", "json-array", "gzip-text", "broken-gzip"],
)
def test_refuses_a_file_that_is_not_a_backup(app, runner, tmp_path, content, message):
    path = tmp_path / "garbage.jsonl"
    path.write_bytes(content)
    result = restore(runner, path)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert all(rows == [] for rows in dump(app).values())


def test_refuses_an_unknown_format_version(app, runner, demo_backup, tmp_path):
    def newer(lines):
        lines[0]["version"] = 2
        return lines

    result = restore(runner, rewrite(demo_backup.path, tmp_path / "v2.jsonl", newer))
    assert result.exit_code == 1
    assert "format version 2" in result.output and "reads version 1" in result.output
    assert all(rows == [] for rows in dump(app).values())


def test_a_cut_off_backup_restores_nothing(app, runner, demo_backup, tmp_path):
    """All or nothing: thousands of rows were inserted before the end was missed; they are rolled back."""
    result = restore(runner, rewrite(demo_backup.path, tmp_path / "cut.jsonl", lambda lines: lines[:-30]))
    assert result.exit_code == 1
    assert "incomplete" in result.output
    assert all(rows == [] for rows in dump(app).values())


def test_a_bad_row_restores_nothing(app, runner, demo_backup, tmp_path):
    def dangling(lines):
        start = next(i for i, line in enumerate(lines) if isinstance(line, dict) and line.get("table") == "stage_changes")
        lines[start + 1][1] = 999_999  # a participation that does not exist
        return lines

    def bad_date(lines):
        start = next(i for i, line in enumerate(lines) if isinstance(line, dict) and line.get("table") == "stage_changes")
        lines[start + 1][3] = "the first of May"
        return lines

    def text_for_a_number(lines):  # SQLite would store it in an INTEGER column without a word
        start = next(i for i, line in enumerate(lines) if isinstance(line, dict) and line.get("table") == "stage_changes")
        lines[start + 1][1] = "1"
        return lines

    for name, edit in (("dangling", dangling), ("date", bad_date), ("text", text_for_a_number)):
        result = restore(runner, rewrite(demo_backup.path, tmp_path / f"{name}.jsonl", edit))
        assert result.exit_code == 1, name
        assert "stage_changes" in result.output, result.output
        assert all(rows == [] for rows in dump(app).values())


def _set_value(table: str, column: str, value):
    """An edit for ``rewrite``: the first row of ``table`` gets ``value`` in ``column``."""

    def edit(lines):
        start = next(i for i, line in enumerate(lines) if isinstance(line, dict) and line.get("table") == table)
        lines[start + 1][lines[start]["columns"].index(column)] = value
        return lines

    return edit


@pytest.mark.parametrize(
    ("table", "column", "value", "message"),
    [
        ("scores", "value", 1e400, "finite"),  # json.dumps writes Infinity; a hand-edited 1e400 reads as the same
        ("scores", "value", "NaN", "finite"),
        ("scores", "value", "-Infinity", "finite"),
        ("scores", "id", 2**31, "out of range"),
        ("cities", "id", -(2**63), "out of range"),
        ("cities", "slug", "x" * 500, "at most"),
        ("rounds", "phase", "HACKED", "not one of the values"),
        ("audit_events", "details", '{"n": 1e400}', "not finite"),
        ("audit_events", "details", '{"n": NaN}', "NaN"),
        ("audit_events", "details", "{not json", "cannot be read"),
    ],
)
def test_refuses_values_the_column_cannot_hold(app, runner, demo_backup, tmp_path, table, column, value, message):
    """Regression (issue 11): a backup with 1e400 in a score imported, then the ballot page answered 500."""
    result = restore(runner, rewrite(demo_backup.path, tmp_path / "tampered.jsonl", _set_value(table, column, value)))
    assert result.exit_code == 1, result.output
    assert table in result.output and message in result.output, result.output
    assert all(rows == [] for rows in dump(app).values())


def test_a_number_that_is_not_finite_is_not_exported():
    """A backup that could not be restored is refused when it is made, not when it is needed."""
    encode = backup.ENCODERS["float"]
    for value in (float("inf"), float("-inf"), float("nan")):
        with pytest.raises(backup.BackupError, match="not finite"):
            encode(value)
    assert encode(1.5) == 1.5


def test_refuses_rows_that_do_not_match_the_schema(app, runner, demo_backup, tmp_path):
    def renamed(lines):
        table = next(line for line in lines if isinstance(line, dict) and line.get("table") == "cities")
        table["columns"][1] = "naam"
        return lines

    def reordered(lines):  # memberships (which refer to users and cities) before the cities
        starts = {line["table"]: i for i, line in enumerate(lines) if isinstance(line, dict) and "table" in line}
        begin = starts["memberships"]
        end = min(i for i in starts.values() if i > begin)
        block = lines[begin:end]
        rest = lines[:begin] + lines[end:]
        return rest[: starts["cities"]] + block + rest[starts["cities"] :]

    for name, edit, message in (("renamed", renamed, "differ"), ("reordered", reordered, "refers to")):
        result = restore(runner, rewrite(demo_backup.path, tmp_path / f"{name}.jsonl", edit))
        assert result.exit_code == 1, name
        assert message in result.output, result.output
        assert all(rows == [] for rows in dump(app).values())


def test_the_columns_may_come_in_any_order(app, runner, demo_backup, tmp_path):
    def shuffled(lines):
        out, order = [], None
        for line in lines:
            if isinstance(line, dict) and "table" in line:
                order = list(reversed(range(len(line["columns"]))))
                line = {**line, "columns": [line["columns"][i] for i in order], "types": [line["types"][i] for i in order]}
            elif isinstance(line, list):
                line = [line[i] for i in order]
            out.append(line)
        return out

    result = restore(runner, rewrite(demo_backup.path, tmp_path / "shuffled.jsonl", shuffled))
    assert result.exit_code == 0, result.output
    assert dump(app) == demo_backup.rows


# --- the schema stays restorable ----------------------------------------------------------------------------


def test_every_column_has_a_known_type():
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            assert backup.column_kind(column) in backup.DECODERS


def test_the_tables_have_no_foreign_key_cycle():
    """A cycle would leave no order to insert in; sorted_tables warns about one."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tables = db.metadata.sorted_tables
    seen: set[str] = set()
    for table in tables:
        parents = {key.column.table.name for key in table.foreign_keys} - {table.name}
        assert parents <= seen, table.name
        seen.add(table.name)
