"""Engine, sessions, SQLite pragmas and Alembic migrations.

This is the only module that knows it may be talking to SQLite. Opening a database:
- refuses, with a one-line reason, a missing (unless asked to create), unreadable, read-only, non-SQLite or
  corrupt file, and a database written by a newer version of the app; the file is left as it was;
- creates a new file owner-only (0600) inside an owner-only directory;
- backs the file up next to itself, then upgrades it to the current schema.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from coordinator_tui import clock
from coordinator_tui import db_file as _db_file
from coordinator_tui.config import ensure_private_dir
from coordinator_tui.errors import DatabaseBusyError as DatabaseBusyError
from coordinator_tui.errors import DatabaseError as DatabaseError
from coordinator_tui.errors import NewerDatabaseError as NewerDatabaseError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = _db_file.MIGRATIONS_DIR
SQLITE_HEADER = _db_file.SQLITE_HEADER
BUSY_TIMEOUT_MS = 5000


# Alembic is imported only when a migration has to run: a database already at the current schema opens without it,
# which keeps the app's start-up fast.


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def is_url(target: str) -> bool:
    return "://" in target


def create_private_file(path: Path) -> None:
    """Create an empty file readable and writable by the owner only."""
    ensure_private_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def _check_sqlite_file(path: Path, *, writable: bool) -> None:
    if path.is_dir():
        raise DatabaseError(f"{path} is a directory, not a database file")
    if not os.access(path, os.R_OK):
        raise DatabaseError(f"the database file {path} cannot be read (permission denied)")
    if writable and not os.access(path, os.W_OK):
        raise DatabaseError(f"the database file {path} is read-only; ask for write access or use a copy")
    try:
        header = _db_file.read_sqlite_header(path)
    except OSError as exc:
        raise DatabaseError(f"the database file {path} cannot be read ({exc.strerror})") from exc
    if header and header != SQLITE_HEADER:
        raise DatabaseError(f"{path} is not a Coordinator TUI database (not an SQLite file)")


#: Execution option marking a read-only unit of work (see ``Database.read_session``).
READ_ONLY_OPTION = "coordinator_read_only"


def _sqlite_engine(path: Path, *, writable: bool) -> Engine:
    if writable:
        url = f"sqlite:///{path}"
        connect_args: dict[str, object] = {"timeout": BUSY_TIMEOUT_MS / 1000}
    else:
        url = f"sqlite:///file:{path}?mode=ro&uri=true"
        connect_args = {"timeout": BUSY_TIMEOUT_MS / 1000}
    engine = sa.create_engine(url, connect_args=connect_args)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin (see _on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if writable:
            # WAL is switched on by open_database only once the schema is accepted (_enable_wal): setting it here
            # would rewrite the header of a refused file (a newer or foreign database) before it is refused.
            # FULL: a commit the user saw confirmed survives a crash or power cut, not just a killed process.
            cur.execute("PRAGMA synchronous = FULL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # IMMEDIATE takes the write lock up front, so two coordinators' writes queue (busy timeout) instead
        # of failing mid-transaction with "database is locked". A read (Database.read_session) takes no lock
        # (WAL: it neither waits for a save nor holds one up) and SQLite refuses any write in it (query_only).
        reading = not writable or bool(conn.get_execution_options().get(READ_ONLY_OPTION))
        if writable:
            conn.exec_driver_sql(f"PRAGMA query_only = {int(reading)}")
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine


def _enable_wal(engine: Engine) -> None:
    """Put an accepted SQLite file in WAL mode (persistent in the file; outside any transaction)."""
    raw = engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA journal_mode = WAL").fetchall()
    finally:
        raw.close()


def backup_sqlite_file(source: Path, dest: Path) -> Path:
    """A consistent copy of a live SQLite database (online backup API), written owner-only."""
    ensure_private_dir(dest.parent)
    tmp = dest.with_name(dest.name + ".part")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    create_private_file(tmp)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            dst.commit()
        finally:
            dst.close()
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    finally:
        src.close()
    os.replace(tmp, dest)
    return dest


def current_revision(connection: sa.Connection) -> str | None:
    """The schema revision stamped in the database (Alembic's table), or None for an empty database."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    if len(versions) > 1:
        raise DatabaseError("the database has more than one schema version stamped; restore it from a backup")
    return versions[0] if versions else None


@dataclass
class Database:
    """An open database: the engine, plus the file path when it is a local SQLite file."""

    engine: Engine
    path: Path | None = None
    writable: bool = True

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def location(self) -> str:
        """What to call this database in a message: its file path, or its URL without a password."""
        return str(self.path) if self.path is not None else self.url

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on error; busy/full databases get clear errors."""
        with translate_errors(), Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextlib.contextmanager
    def read_session(self) -> Iterator[Session]:
        """A unit of work that only reads (a screen loading what it shows): no write lock is taken, so it never
        waits behind another coordinator's save; a write attempted in it is refused by the database."""
        engine = self.engine.execution_options(**{READ_ONLY_OPTION: True})
        # Closing the session ends the transaction (rolled back: nothing to keep) and leaves what was read loaded.
        with translate_errors(), Session(engine, expire_on_commit=False, autoflush=False) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


@contextlib.contextmanager
def translate_errors() -> Iterator[None]:
    """Turn driver errors into one-line messages the user can act on."""
    try:
        yield
    except OperationalError as exc:
        text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
        if "locked" in text or "busy" in text:
            raise DatabaseBusyError(
                "the database is busy: another coordinator is saving. Please try again in a moment"
            ) from exc
        if "disk is full" in text or "disk i/o" in text:
            raise DatabaseError("the database could not be written: the disk is full or failing") from exc
        if "readonly" in text or "read-only" in text:
            raise DatabaseError("the database is read-only: nothing was saved") from exc
        raise DatabaseError(f"database error: {text.splitlines()[0][:200]}") from exc
    except SADatabaseError as exc:
        text = str(exc.orig).lower() if exc.orig is not None else ""
        if "malformed" in text or "not a database" in text:
            raise DatabaseError("the database file is damaged (corrupt); restore it from a backup") from exc
        raise


def open_database(target: str, *, create: bool = True, writable: bool = True, migrate: bool = True) -> Database:
    """Open (and, if allowed, create and upgrade) the database named by a file path or SQLAlchemy URL."""
    if "\x00" in target:
        raise DatabaseError("the database path contains a NUL character")
    if is_url(target):
        try:
            engine = sa.create_engine(target, pool_pre_ping=True)
        except (sa.exc.ArgumentError, ImportError) as exc:  # unknown dialect or driver, malformed URL
            scheme = target.split("://", 1)[0][:40]
            raise DatabaseError(f"'{scheme}://...' is not a database URL this app can use") from exc
        db = Database(engine=engine, path=None, writable=writable)
    else:
        try:
            path = Path(target).expanduser().resolve()
            if path.exists():
                _check_sqlite_file(path, writable=writable)
            elif create and writable:
                if path.parent.exists() and not os.access(path.parent, os.W_OK):
                    raise DatabaseError(f"cannot create a database in {path.parent} (permission denied)")
                create_private_file(path)
            else:
                raise DatabaseError(f"no database at {path}")
        except OSError as exc:  # e.g. a name too long, a parent that is a file
            raise DatabaseError(f"the database path cannot be used ({exc.strerror or type(exc).__name__})") from exc
        db = Database(engine=_sqlite_engine(path, writable=writable), path=path, writable=writable)
    try:
        with translate_errors():
            prepare_schema(db, migrate=migrate)
            if db.path is not None and writable:
                _enable_wal(db.engine)
    except BaseException:
        db.dispose()
        raise
    return db


def prepare_schema(db: Database, *, migrate: bool = True) -> None:
    """Refuse newer databases; back up, then upgrade older ones (or say they need upgrading)."""
    with translate_errors(), db.engine.connect() as conn:
        try:
            rev = current_revision(conn)
            # An empty alembic_version table (left by a downgrade to base) does not make a database foreign.
            has_tables = bool(set(sa.inspect(conn).get_table_names()) - {"alembic_version"})
        except OperationalError:
            raise  # locked/busy, disk errors: translate_errors says which (a lock is not corruption)
        except SADatabaseError as exc:
            raise DatabaseError("the database file is damaged (corrupt); restore it from a backup") from exc
        conn.rollback()
    if rev is not None and rev == _db_file.scanned_head_revision(MIGRATIONS_DIR):
        return  # the usual case: already current, decided without loading Alembic
    head = head_revision()
    if rev is not None and rev not in known_revisions():
        raise NewerDatabaseError(
            f"this database was written by a newer version of Coordinator TUI (schema {rev}); "
            "install the newer version to open it. The file was not changed"
        )
    if rev == head:
        return
    if rev is None and has_tables:
        raise DatabaseError("this SQLite file is not a Coordinator TUI database (it has no schema version)")
    if not migrate or not db.writable:
        raise DatabaseError(f"the database needs upgrading (schema {rev or 'empty'}); open it with the app first")
    if rev is not None and db.path is not None:
        stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
        backup_sqlite_file(db.path, db.path.with_name(f"{db.path.name}.pre-{head}-{stamp}.bak"))
    upgrade(db, head)


def upgrade(db: Database, revision: str = "head") -> None:
    from alembic import command

    cfg = alembic_config()
    with translate_errors(), db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(db: Database, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def integrity_report(db: Database) -> list[str]:
    """Problems found by the integrity check: empty means the database is sound."""
    problems: list[str] = []
    with translate_errors(), db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            for (line,) in conn.exec_driver_sql("PRAGMA integrity_check").fetchall():
                if line != "ok":
                    problems.append(f"integrity: {line}")
            for row in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall():
                problems.append(f"foreign key: table {row[0]} row {row[1]} refers to a missing {row[2]}")
        rev = current_revision(conn)
        if rev != head_revision():
            problems.append(f"schema version {rev} is not the current {head_revision()}")
        conn.rollback()
    return problems
