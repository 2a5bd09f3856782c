"""Backup and restore of the whole database in a portable file: `flask export-data` and `flask import-data`.

The file is JSON Lines (UTF-8, one JSON value per line), gzip-compressed when its name ends in ``.gz``. It is
written and read one row at a time, so its size is bounded by the disk, not by memory. The format is described
in docs/operations.md; in short::

    {"format": "datapilots-backup", "version": 1, "alembic_revision": "0005", "created_at": "...", ...}
    {"table": "cities", "columns": ["id", "name", ...], "types": ["integer", "string", ...]}
    [1, "Aalst", ...]                       one array per row, in primary-key order
    ...                                     every table of the metadata, parents before children
    {"end": true, "rows": {"cities": 14, ...}}

Values are encoded per column type, losslessly: timestamps as ISO 8601 with their UTC offset, dates as ISO 8601,
decimals as strings, bytes as base64, non-finite floats as "NaN"/"Infinity"/"-Infinity", enums as the stored
value, and JSON columns as their stored JSON text (so a JSON ``null`` stays distinct from SQL ``NULL``).

Unlike the other services this one works with Core statements on a connection of its own, not the ORM session:
it moves every row of every table, loads no objects and runs no ORM events. A restore records no audit event
either: it puts back the audit log as it was, and an extra event would make the restored database differ from
the one that was backed up.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import math
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from pilots import __version__
from pilots.extensions import db

FORMAT = "datapilots-backup"
VERSION = 1
BATCH = 1000  # rows per INSERT (executemany) and per fetch


class BackupError(Exception):
    """The backup cannot be written or restored; the message says why, for the command line."""


@dataclass
class BackupSummary:
    """What an export wrote or an import restored: the migration revision and the rows per table."""

    path: Path
    alembic_revision: str
    rows: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)  # rows deleted first by ``replace=True``

    @property
    def total(self) -> int:
        return sum(self.rows.values())


# --- column types -------------------------------------------------------------------------------------------


def column_kind(column: sa.Column) -> str:
    """The backup's name for a column's type, which decides how its values are encoded."""
    type_ = column.type
    if isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    checks: list[tuple[type, str]] = [
        (sa.Enum, "enum"),
        (sa.JSON, "json"),
        (sa.Boolean, "boolean"),
        (sa.DateTime, "datetime"),
        (sa.Date, "date"),
        (sa.Time, "time"),
        (sa.Integer, "integer"),
        (sa.Float, "float"),
        (sa.Numeric, "decimal"),
        (sa.LargeBinary, "bytes"),
        (sa.String, "string"),
    ]
    for class_, kind in checks:
        if isinstance(type_, class_):
            return kind
    raise BackupError(f"column {column.table.name}.{column.name} has a type the backup does not know: {column.type!r}")


def _float_out(value: float) -> float:
    if not math.isfinite(value):  # the import refuses it: say so now rather than write a backup that cannot restore
        raise BackupError(f"The database holds a number that is not finite ({value}); a backup cannot restore it.")
    return value


def _float_in(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"expected a number, got {value!r}")
    number = float(value)  # strings such as "NaN" and "Infinity" too; other strings raise ValueError
    if not math.isfinite(number):  # no column of the platform holds one, and pages and exports cannot show it
        raise ValueError(f"expected a finite number, got {value!r}")
    return number


def _decimal_in(value: Any) -> Decimal:
    number = Decimal(_expect(str)(value))
    if not number.is_finite():
        raise ValueError(f"expected a finite number, got {value!r}")
    return number


def _json_in(value: Any) -> str:
    """The stored JSON text, which must be JSON (without NaN or infinities, which no JSON reader takes back)."""

    def refuse(constant: str) -> None:
        raise ValueError(f"JSON with {constant} is not allowed")

    def finite(text: str) -> float:
        number = float(text)
        if not math.isfinite(number):
            raise ValueError(f"JSON with the number {text}, which is not finite, is not allowed")
        return number

    json.loads(_expect(str)(value), parse_constant=refuse, parse_float=finite)
    return value


#: The range of each integer type on PostgreSQL (SQLite stores 64 bits whatever the type says).
INTEGER_RANGES: list[tuple[type, int]] = [(sa.SmallInteger, 15), (sa.BigInteger, 63), (sa.Integer, 31)]


def _limits(column: sa.Column, kind: str) -> Callable[[Any], Any] | None:
    """A check of a decoded value against what the column can hold (SQLite would store anything)."""
    type_ = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
    if kind == "integer":
        bits = next(bits for class_, bits in INTEGER_RANGES if isinstance(type_, class_))
        low, high = -(2**bits), 2**bits - 1

        def integer(value: int) -> int:
            if not low <= value <= high:
                raise ValueError(f"{value} is out of range for {column.name} ({low} to {high})")
            return value

        return integer
    if kind == "enum":
        allowed = set(type_.enums)

        def member(value: str) -> str:
            if value not in allowed:
                raise ValueError(f"{value!r} is not one of the values of {column.name}")
            return value

        return member
    if kind == "string" and getattr(type_, "length", None):
        length = type_.length

        def text(value: str) -> str:
            if len(value) > length:
                raise ValueError(f"a text of {len(value)} characters in {column.name}, which holds at most {length}")
            return value

        return text
    return None


def _expect(*types: type) -> Callable[[Any], Any]:
    """A decoder that passes values of ``types`` through and refuses the rest (SQLite would store anything)."""

    def check(value: Any) -> Any:
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            raise TypeError(f"expected {' or '.join(t.__name__ for t in types)}, got {value!r}")
        return value

    return check


def _datetime_out(value: datetime) -> str:
    return (value.astimezone(UTC) if value.tzinfo else value).isoformat()


ENCODERS: dict[str, Callable[[Any], Any]] = {
    "datetime": _datetime_out,
    "date": date.isoformat,
    "time": time.isoformat,
    "decimal": str,
    "float": _float_out,
    "bytes": lambda value: base64.b64encode(value).decode("ascii"),
}

DECODERS: dict[str, Callable[[Any], Any]] = {
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "time": time.fromisoformat,
    "decimal": _decimal_in,
    "float": _float_in,
    "bytes": lambda value: base64.b64decode(_expect(str)(value), validate=True),
    "integer": _expect(int),
    "boolean": _expect(bool),
    "string": _expect(str),
    "enum": _expect(str),
    "json": _json_in,  # the stored JSON text
}


def _read_expression(column: sa.Column, kind: str, dialect: str) -> sa.ColumnElement:
    """What to select for a column: enums and JSON as their stored text, everything else as typed values."""
    if kind == "enum":
        return sa.type_coerce(column, sa.String).label(column.name)
    if kind == "json":
        text = sa.cast(column, sa.Text) if dialect == "postgresql" else sa.type_coerce(column, sa.Text)
        return text.label(column.name)
    return column


def _write_expression(column: sa.Column, kind: str, name: str, dialect: str) -> sa.ColumnElement:
    """The value to insert for a column, bound to the parameter ``name``."""
    if kind == "enum":
        return sa.bindparam(name, type_=sa.String)
    if kind == "json":
        text = sa.bindparam(name, type_=sa.Text)
        return sa.cast(text, column.type) if dialect == "postgresql" else text
    return sa.bindparam(name, type_=column.type)


# --- transactions and the schema's revision ----------------------------------------------------------------


@contextlib.contextmanager
def _transaction(write: bool) -> Iterator[sa.Connection]:
    """One transaction on a connection of its own: a consistent snapshot to read, or the write lock to restore.

    PostgreSQL reads in a read-only REPEATABLE READ transaction, so rows written meanwhile by the running
    platform never half-appear in a backup. SQLite takes its locks up front with an explicit BEGIN.
    """
    engine = db.engine
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")  # we say BEGIN ourselves
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield connection
            except BaseException:
                connection.exec_driver_sql("ROLLBACK")
                raise
            connection.exec_driver_sql("COMMIT")
        return
    options: dict[str, Any] = {}
    if not write and engine.dialect.name == "postgresql":
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with engine.connect() as connection, connection.execution_options(**options).begin():
        yield connection


def migration_heads() -> str:
    """The migration revision this release of the code expects (the head of migrations/versions)."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    return ",".join(sorted(ScriptDirectory.from_config(config).get_heads()))


def database_revision(connection: sa.Connection) -> str | None:
    """The migration revision the database is at (``alembic_version``), or None when it has no schema."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    return ",".join(sorted(rows)) or None


def _check_schema(connection: sa.Connection) -> str:
    revision = database_revision(connection)
    code = migration_heads()
    if revision is None:
        raise BackupError("The database has no schema: run `flask --app app db upgrade` first.")
    if revision != code:
        raise BackupError(
            f"The database is at migration {revision} but this release of Datapilots expects {code}: "
            "run `flask --app app db upgrade` first."
        )
    return revision


# --- export -------------------------------------------------------------------------------------------------


def _open_for_writing(path: Path, compress: bool) -> IO[str]:
    """A new file that only its owner may read (0600, whatever the umask): it holds password hashes and sessions."""
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # opening it again keeps its mode
    os.chmod(path, 0o600)
    if compress:
        return gzip.open(path, "wt", encoding="utf-8", newline="\n")  # type: ignore[return-value]
    return path.open("w", encoding="utf-8", newline="\n")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def export_data(path: str | os.PathLike[str]) -> BackupSummary:
    """Write every row of every table to ``path`` (gzip when it ends in ``.gz``); return what was written.

    The file appears only when complete: it is written next to its final name and renamed at the end.
    """
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    tables = db.metadata.sorted_tables
    kinds = {table.name: [column_kind(column) for column in table.columns] for table in tables}
    try:
        with _transaction(write=False) as connection, _open_for_writing(partial, compress=path.name.endswith(".gz")) as out:
            dialect = connection.dialect.name
            revision = _check_schema(connection)
            summary = BackupSummary(path, revision)
            header = {
                "format": FORMAT,
                "version": VERSION,
                "alembic_revision": revision,
                "created_at": datetime.now(UTC).isoformat(),
                "application_version": __version__,
                "database": dialect,
                "tables": [table.name for table in tables],
            }
            out.write(_dumps(header) + "\n")
            for table in tables:
                table_kinds = kinds[table.name]
                columns = [column.name for column in table.columns]
                out.write(_dumps({"table": table.name, "columns": columns, "types": table_kinds}) + "\n")
                encoders = [ENCODERS.get(kind) for kind in table_kinds]
                query = sa.select(
                    *(_read_expression(column, kind, dialect) for column, kind in zip(table.columns, table_kinds, strict=True))
                ).order_by(*table.primary_key.columns)
                count = 0
                for row in connection.execution_options(yield_per=BATCH).execute(query):
                    values = [
                        value if value is None or encode is None else encode(value)
                        for value, encode in zip(row, encoders, strict=True)
                    ]
                    out.write(_dumps(values) + "\n")
                    count += 1
                summary.rows[table.name] = count
            out.write(_dumps({"end": True, "rows": summary.rows}) + "\n")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return summary


# --- import -------------------------------------------------------------------------------------------------


def _open_for_reading(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8")  # type: ignore[return-value]
    return path.open("r", encoding="utf-8")


def _lines(stream: IO[str]) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON value) for every non-empty line; a line that is not JSON is refused."""
    try:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as error:
                    raise BackupError(f"Line {number} of the backup is not valid JSON ({error.msg}).") from None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:  # broken or cut-off gzip, not UTF-8
        raise BackupError(f"The backup cannot be read (is it cut off or damaged?): {error}") from None


def _check_header(header: Any) -> dict[str, Any]:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError("The file is not a Datapilots backup (made by `flask --app app export-data`).")
    if header.get("version") != VERSION:
        raise BackupError(
            f"The backup is in format version {header.get('version')!r}; this release of Datapilots reads version {VERSION}."
        )
    if not isinstance(header.get("alembic_revision"), str):
        raise BackupError("The backup does not say which migration revision it was made at.")
    return header


def _rows_present(connection: sa.Connection, tables: list[sa.Table]) -> dict[str, int]:
    counts = {}
    for table in tables:
        count = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        if count:
            counts[table.name] = count
    return counts


def _check_references(connection: sa.Connection) -> None:
    """SQLite does not enforce foreign keys here: refuse rows referring to missing rows, as PostgreSQL would."""
    problem = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
    if problem is not None:
        table, rowid, parent = problem[0], problem[1], problem[2]
        raise BackupError(
            f"The rows of {table} cannot be restored: row {rowid} refers to a row of {parent} that the backup lacks."
        )


def _reset_sequences(connection: sa.Connection, tables: list[sa.Table]) -> None:
    """PostgreSQL: move every serial/identity sequence past the largest id restored, so new rows get new ids."""
    preparer = connection.dialect.identifier_preparer
    for table in tables:
        for column in table.columns:
            if column_kind(column) != "integer":
                continue
            sequence = connection.execute(
                sa.select(sa.func.pg_get_serial_sequence(preparer.format_table(table), column.name))
            ).scalar_one()
            if sequence is None:
                continue
            highest = connection.execute(sa.select(sa.func.max(column))).scalar_one()
            connection.execute(sa.select(sa.func.setval(sequence, highest or 1, highest is not None)))


def _checked(decode: Callable[[Any], Any], limit: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    if limit is None:
        return decode
    return lambda value: limit(decode(value))


class _TableLoader:
    """Inserts the rows of one table, in batches, after checking the backup's columns against the schema."""

    def __init__(self, connection: sa.Connection, table: sa.Table, record: dict[str, Any], number: int) -> None:
        columns, types = record.get("columns"), record.get("types")
        expected = [column.name for column in table.columns]
        if (
            not isinstance(columns, list)
            or not all(isinstance(name, str) for name in columns)
            or sorted(columns) != sorted(expected)
            or len(set(columns)) != len(columns)
        ):
            raise BackupError(
                f"Line {number}: the backup's columns of {table.name} ({columns}) differ from the database's ({expected})."
            )
        if not isinstance(types, list) or len(types) != len(columns):
            raise BackupError(f"Line {number}: the backup does not give a type for every column of {table.name}.")
        for name, kind in zip(columns, types, strict=True):
            if kind != column_kind(table.c[name]):
                raise BackupError(
                    f"Line {number}: column {table.name}.{name} is {kind!r} in the backup but {column_kind(table.c[name])!r} here."
                )
        dialect = connection.dialect.name
        self.connection = connection
        self.table = table
        self.width = len(columns)
        self.decoders = [
            _checked(DECODERS[kind], _limits(table.c[name], kind)) for name, kind in zip(columns, types, strict=True)
        ]
        self.statement = sa.insert(table).values(
            {
                name: _write_expression(table.c[name], kind, f"p{i}", dialect)
                for i, (name, kind) in enumerate(zip(columns, types, strict=True))
            }
        )
        self.batch: list[dict[str, Any]] = []
        self.count = 0

    def add(self, row: list[Any], number: int) -> None:
        if len(row) != self.width:
            raise BackupError(f"Line {number}: a row of {self.table.name} with {len(row)} values instead of {self.width}.")
        try:
            self.batch.append(
                {
                    f"p{i}": value if value is None else decode(value)
                    for i, (value, decode) in enumerate(zip(row, self.decoders, strict=True))
                }
            )
        except (ValueError, TypeError, ArithmeticError) as error:
            raise BackupError(f"Line {number}: a value of {self.table.name} cannot be read: {error}") from None
        self.count += 1
        if len(self.batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        try:
            self.connection.execute(self.statement, self.batch)
        except (sa.exc.StatementError, sa.exc.DBAPIError) as error:
            reason = str(getattr(error, "orig", None) or error).splitlines()[0]
            raise BackupError(f"The rows of {self.table.name} cannot be restored: {reason}") from None
        self.batch.clear()


def import_data(path: str | os.PathLike[str], replace: bool = False) -> BackupSummary:
    """Restore a backup into this database, in one transaction: every row, or nothing.

    The backup must have been made at this release's migration revision, the database must be at that revision
    too, and empty, unless ``replace`` is true: then every row is deleted first, in the same transaction, the
    audit log included. On PostgreSQL the sequences are moved past the restored ids. Nothing else is written.
    """
    path = Path(path)
    tables = db.metadata.sorted_tables
    with _open_for_reading(path) as stream:
        lines = _lines(stream)
        try:
            first = next(lines, (0, None))[1]
        except BackupError:
            first = None
        header = _check_header(first)
        code = migration_heads()
        if header["alembic_revision"] != code:
            raise BackupError(
                f"The backup was made at migration {header['alembic_revision']}; this release of Datapilots is at {code}. "
                "Restore it with the release that made it, then run `flask --app app db upgrade`."
            )
        with _transaction(write=True) as connection:
            revision = database_revision(connection)
            if revision != code:
                raise BackupError(
                    f"The database is at migration {revision or '(none: no schema)'}, the backup at {code}: "
                    "run `flask --app app db upgrade` on the empty database first."
                )
            if connection.dialect.name == "postgresql":  # nobody writes in between
                names = ", ".join(connection.dialect.identifier_preparer.format_table(table) for table in tables)
                connection.exec_driver_sql(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")
            summary = BackupSummary(path, revision)
            present = _rows_present(connection, tables)
            if present and not replace:
                tables_named = ", ".join(f"{name} ({count})" for name, count in list(present.items())[:3])
                raise BackupError(
                    f"The database already holds data: {sum(present.values())} rows in {len(present)} tables "
                    f"({tables_named}{', ...' if len(present) > 3 else ''}). Restore into an empty database, "
                    "or pass --replace to delete everything in it first."
                )
            if present:
                for table in reversed(tables):
                    connection.execute(table.delete())  # Core: the audit log's append-only rule guards the ORM
                summary.replaced = present
            _restore_rows(connection, lines, tables, summary)
            if connection.dialect.name == "sqlite":
                _check_references(connection)
            if connection.dialect.name == "postgresql":
                _reset_sequences(connection, tables)
    return summary


def _restore_rows(
    connection: sa.Connection, lines: Iterator[tuple[int, Any]], tables: list[sa.Table], summary: BackupSummary
) -> None:
    """Insert every table's rows as they come; check the end line's row counts and that no table is missing."""
    by_name = {table.name: table for table in tables}
    loader: _TableLoader | None = None
    for number, value in lines:
        if isinstance(value, list):
            if loader is None:
                raise BackupError(f"Line {number}: a row before any table.")
            loader.add(value, number)
            continue
        if not isinstance(value, dict):
            raise BackupError(f"Line {number}: expected a row or a table, found {type(value).__name__}.")
        if loader is not None:
            loader.flush()
            summary.rows[loader.table.name] = loader.count
            loader = None
        if value.get("end") is True:
            if value.get("rows") != summary.rows:
                raise BackupError(
                    f"The backup is inconsistent: its last line counts {value.get('rows')} rows, but it holds {summary.rows}."
                )
            missing = [name for name in by_name if name not in summary.rows]
            if missing:
                raise BackupError(f"The backup lacks the tables {', '.join(missing)}.")
            return
        name = value.get("table")
        if not isinstance(name, str) or name not in by_name:
            raise BackupError(f"Line {number}: table {name!r} does not exist in this database.")
        if name in summary.rows:
            raise BackupError(f"Line {number}: table {name} appears twice.")
        table = by_name[name]
        parents = {key.column.table.name for key in table.foreign_keys} - {name} - set(summary.rows)
        if parents:
            raise BackupError(f"Line {number}: table {name} comes before {', '.join(sorted(parents))}, which it refers to.")
        loader = _TableLoader(connection, table, value, number)
    raise BackupError("The backup is incomplete: it ends before its last line (was it cut off?).")
