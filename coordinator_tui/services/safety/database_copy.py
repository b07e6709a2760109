"""Copy a whole SQLite database into a new, empty database (moving a service onto a PostgreSQL server).

Every table is copied, the audit log included, with its ids and versions kept, parents before children. The source
is opened read-only through ``open_database`` (nothing but SQLite reads a live SQLite file) and read in one read
transaction, so the copy is one consistent moment even while coordinators keep working. The target is opened with
``open_database`` too, which migrates it to the current schema first; the copy is then one transaction on the
target: all of it, or nothing. A target that already holds any row is refused before anything is written.

The audit log's append-only triggers stay in place: they refuse UPDATE and DELETE, and the copy only inserts.
On PostgreSQL each table's id sequence is moved past the copied ids, so the next record saved gets a fresh id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import SQLModel

from coordinator_tui import models as _models  # noqa: F401  (registers every table on SQLModel.metadata)
from coordinator_tui.db import Database, is_url, open_database, refresh_statistics, translate_errors
from coordinator_tui.errors import DatabaseError

#: Rows read from the source and inserted into the target per round trip.
BATCH = 1000


class CopyError(DatabaseError):
    """The copy was refused or failed; the target was left as it was (one line)."""


@dataclass(frozen=True)
class CopyResult:
    source: str
    target: str
    #: Rows per table, in the order they were copied (parents first).
    counts: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(count for _, count in self.counts)


def copied_tables() -> list[sa.Table]:
    """Every table of the app's schema, parents before children (the order inserts must follow)."""
    return list(SQLModel.metadata.sorted_tables)


def _is_server_url(target: str) -> bool:
    return is_url(target) and sa.engine.make_url(target).get_backend_name() != "sqlite"


def _check_columns(conn: sa.Connection, where: str) -> None:
    """Both ends are at the app's current schema, so each table has exactly the models' columns; say so if not."""
    inspector = sa.inspect(conn)
    for table in copied_tables():
        present = {column["name"] for column in inspector.get_columns(table.name)}
        expected = set(table.columns.keys())
        if present != expected:
            raise CopyError(f"the {where} database's table {table.name} does not have this version's columns")


def _counts(conn: sa.Connection) -> dict[str, int]:
    return {
        table.name: int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
        for table in copied_tables()
    }


def _reset_sequences(conn: sa.Connection) -> None:
    """PostgreSQL: move each id sequence past the largest copied id (explicit ids do not advance a sequence)."""
    for table in copied_tables():
        key = list(table.primary_key.columns)
        if len(key) != 1 or not isinstance(key[0].type, sa.Integer):
            continue
        column = key[0].name
        conn.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence(:table, :column), "
                f'COALESCE((SELECT MAX("{column}") FROM "{table.name}"), 0) + 1, false)'
            ),
            {"table": f'"{table.name}"', "column": column},
        )


def copy_database(source_target: str, target: str, *, progress: Callable[[str, int], None] | None = None) -> CopyResult:
    """Copy the SQLite database ``source_target`` (a path or ``sqlite:///PATH``) into the empty database ``target``
    (a server URL, or a new SQLite file). ``progress(table, rows)`` is called after each table is copied."""
    if _is_server_url(source_target):
        raise CopyError("--from must be an SQLite database file (a path); the copy moves a file's data to a server")
    source = open_database(source_target, create=False, writable=False, quick_check=True)
    try:
        if not _is_server_url(target):
            target_path = Path(target if not is_url(target) else sa.engine.make_url(target).database or "")
            if source.path is not None and target_path.expanduser().resolve() == source.path:
                raise CopyError("--from and --to are the same database file")
        destination = open_database(target, create=True)
        try:
            with translate_errors():
                result = _copy(source, destination, progress)
            refresh_statistics(destination)  # a server plans the first day's queries with what was copied
            return result
        except sa.exc.IntegrityError as exc:  # e.g. someone else wrote into the target at the same moment
            raise CopyError(
                f"the copy into {destination.location} was refused by the database (a record already there?); "
                "nothing was kept"
            ) from exc
        finally:
            destination.dispose()
    finally:
        source.dispose()


def _copy(source: Database, destination: Database, progress: Callable[[str, int], None] | None) -> CopyResult:
    counts: list[tuple[str, int]] = []
    with source.engine.connect() as reader, destination.engine.begin() as writer:
        _check_columns(reader, "source")
        _check_columns(writer, "target")
        held = {name: count for name, count in _counts(writer).items() if count}
        if held:
            raise CopyError(
                f"the target database {destination.location} is not empty ({sum(held.values())} rows in "
                f"{len(held)} tables); "
                "copy only into a new, empty database"
            )
        expected = _counts(reader)
        for table in copied_tables():
            order = list(table.primary_key.columns)
            result = reader.execute(sa.select(table).order_by(*order)).mappings()
            copied = 0
            while rows := result.fetchmany(BATCH):
                writer.execute(table.insert(), [dict(row) for row in rows])
                copied += len(rows)
            counts.append((table.name, copied))
            if progress is not None:
                progress(table.name, copied)
        if destination.engine.dialect.name == "postgresql":
            _reset_sequences(writer)
        after = _counts(writer)
        wrong = [name for name, count in expected.items() if after.get(name) != count]
        if wrong:
            raise CopyError(f"the copy's row counts do not match the source for {', '.join(wrong)}; nothing was kept")
    return CopyResult(source=source.location, target=destination.location, counts=counts)
