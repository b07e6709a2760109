"""Engine, sessions, SQLite pragmas and Alembic migrations.

This is the only module that knows it may be talking to SQLite. Opening a database:
- refuses, with a one-line reason, a missing (unless asked to create), empty, unreadable, read-only, non-SQLite,
  FIFO or device, or corrupt file, and a database written by a newer version of the app; the file is left as it was;
- creates a new database owner-only (0600) inside an owner-only directory, built whole in a hidden file first;
- checks the schema version with a read (no write lock: another coordinator's save never stops it); only an older
  schema takes the write lock, after the file is backed up next to itself, to upgrade it;
- never opens the file, its ``-wal`` or ``-shm`` with anything but SQLite (see ``db_file``).

``check_pages`` runs SQLite's quick check; a database that fails it refuses every save from then on (``damaged``).
A ``sqlite:///PATH`` URL is the file PATH, opened exactly like a path.

A server URL (``postgresql+psycopg://ROLE@HOST/DATABASE``): a driver that is not installed, a server that does not
answer, a refused login, a missing database, a refused TLS connection or a server certificate that cannot be verified
(sslmode=verify-full) is each refused with one line saying which
(a ``ServerConnectionError``), naming the URL without its password. On PostgreSQL a statement waits at most
``LOCK_TIMEOUT_MS`` for a lock another coordinator's save holds, then fails with the same busy message as SQLite.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from coordinator_tui import clock
from coordinator_tui import db_file as _db_file
from coordinator_tui.config import ensure_private_dir
from coordinator_tui.db_file import FileKind, file_kind
from coordinator_tui.errors import DamagedDatabaseError as DamagedDatabaseError
from coordinator_tui.errors import DatabaseBusyError as DatabaseBusyError
from coordinator_tui.errors import DatabaseError as DatabaseError
from coordinator_tui.errors import DriverMissingError as DriverMissingError
from coordinator_tui.errors import NewerDatabaseError as NewerDatabaseError
from coordinator_tui.errors import ServerConnectionError as ServerConnectionError
from coordinator_tui.errors import ServerDatabaseMissingError as ServerDatabaseMissingError
from coordinator_tui.errors import ServerLoginError as ServerLoginError
from coordinator_tui.errors import ServerTLSError as ServerTLSError
from coordinator_tui.errors import ServerUnreachableError as ServerUnreachableError
from coordinator_tui.temp_files import remove_leftovers, temp_name

if TYPE_CHECKING:
    from alembic.config import Config

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger(__name__)

MIGRATIONS_DIR = _db_file.MIGRATIONS_DIR
SQLITE_HEADER = _db_file.SQLITE_HEADER
BUSY_TIMEOUT_MS = 5000
BUSY_MESSAGE = "the database is busy: another coordinator is saving. Please try again in a moment"
#: PostgreSQL: the longest a statement waits for a row or table lock held by another coordinator's transaction
#: (then BUSY_MESSAGE), as SQLite's busy timeout bounds the wait for its write lock.
LOCK_TIMEOUT_MS = BUSY_TIMEOUT_MS
POSTGRES_EXTRA = "pip install -e '.[postgres]'"
#: PostgreSQL error codes that mean "another transaction is in the way": lock timeout, deadlock, serialization.
_BUSY_SQLSTATES = frozenset({"55P03", "40P01", "40001"})


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


def remove_with_sidecars(path: Path) -> None:
    """Remove a database file that is ours alone (a temporary copy) with SQLite's -wal, -shm and -journal."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            Path(f"{path}{suffix}").unlink()


def create_private_file(path: Path) -> None:
    """Create an empty file readable and writable by the owner only."""
    ensure_private_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def _check_sqlite_file(path: Path, *, writable: bool, kind: FileKind) -> bool:
    """Refuse what is not a usable database file, learnt through ``os.stat`` and SQLite only (never ``open()``).

    Returns True when the file can only be read as immutable (a read-only folder, see ``_can_read_immutable``)."""
    if kind is FileKind.DIRECTORY:
        raise DatabaseError(f"{path} is a directory, not a database file")
    if kind is FileKind.SPECIAL:
        raise DatabaseError(f"{path} is not a regular file (a pipe, device or socket), not a database file")
    if kind is FileKind.EMPTY:
        raise DatabaseError(
            f"the database file {path} is empty (0 bytes), so it is not a Coordinator TUI database; "
            "remove it to start a new database there"
        )
    if not os.access(path, os.R_OK):
        raise DatabaseError(f"the database file {path} cannot be read (permission denied)")
    if writable and not os.access(path, os.W_OK):
        raise DatabaseError(f"the database file {path} is read-only; ask for write access or use a copy")
    immutable = False
    try:
        is_sqlite = _db_file.is_sqlite_file(path, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            raise DatabaseBusyError(BUSY_MESSAGE) from exc
        if not writable and _can_read_immutable(path):
            # SQLite cannot make the -shm file in a read-only folder; with every commit in the file (no -wal)
            # and nobody able to write there, the file is read as it is.
            immutable = True
            is_sqlite = _db_file.is_sqlite_file(path, timeout=BUSY_TIMEOUT_MS / 1000, immutable=True)
        elif not os.access(path.parent, os.W_OK):
            raise DatabaseError(_read_only_folder_message(path)) from exc
        else:
            raise DatabaseError(f"the database file {path} cannot be read ({text.splitlines()[0][:200]})") from exc
    if not is_sqlite:
        raise DatabaseError(f"{path} is damaged (corrupt) or not an SQLite file: SQLite cannot read it")
    return immutable


def _wal_file(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def _read_only_folder_message(path: Path) -> str:
    if _wal_file(path).exists():
        return (
            f"the database {path} cannot be read here: its folder is read-only and it holds saves not yet merged "
            "into the file (its -wal file); open it once where the folder can be written, or copy the folder"
        )
    return f"the database {path} cannot be opened: its folder is read-only"


def _can_read_immutable(path: Path) -> bool:
    """A WAL database in a folder that cannot be written is read as immutable (SQLite cannot make its -shm there).

    Only when there is no -wal file (so every commit is in the file itself) and the folder is read-only (so no one
    is writing to it: a writer must be able to create the -wal and -shm files beside it)."""
    return not _wal_file(path).exists() and not os.access(path.parent, os.W_OK)


#: Execution option marking a read-only unit of work (see ``Database.read_session``).
READ_ONLY_OPTION = "coordinator_read_only"


def _sqlite_engine(path: Path, *, writable: bool, immutable: bool = False) -> Engine:
    if writable:
        uri = _db_file.sqlite_uri(path, mode="rw")
    elif immutable:
        uri = _db_file.sqlite_uri(path, mode="ro", immutable="1")
    else:
        uri = _db_file.sqlite_uri(path, mode="ro")

    def connect() -> sqlite3.Connection:
        # check_same_thread: a screen's worker thread may use a pooled connection (SQLAlchemy's pool serialises).
        return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)

    # QueuePool, as SQLAlchemy uses for a file database (with a creator it would assume an in-memory one).
    engine = sa.create_engine("sqlite://", creator=connect, poolclass=sa.pool.QueuePool)

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
    """Put an accepted SQLite file in WAL mode (persistent in the file; outside any transaction).

    A file already in WAL mode (every file after its first opening) is left alone: the change needs the only
    connection to the file, and the question is a read."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        mode = cursor.execute("PRAGMA journal_mode").fetchone()
        if mode is None or str(mode[0]).lower() != "wal":
            cursor.execute("PRAGMA journal_mode = WAL").fetchall()
    finally:
        raw.close()


def backup_sqlite_file(source: Path, dest: Path) -> Path:
    """A consistent copy of a live SQLite database (online backup API), written owner-only.

    The copy is written to a hidden temporary file beside ``dest`` first (removed on failure, and by the next run
    if this process is killed: ``temp_files``), then renamed into place."""
    ensure_private_dir(dest.parent)
    remove_leftovers(dest.parent)
    tmp = dest.with_name(temp_name(dest.name, "part"))
    create_private_file(tmp)
    try:
        src = sqlite3.connect(_db_file.sqlite_uri(source, mode="ro"), uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
                dst.commit()
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(tmp, dest)
    except BaseException:
        remove_with_sidecars(tmp)
        raise
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
    #: Why no save is allowed (SQLite's quick check found damaged pages, see ``check_pages``); None when sound.
    damaged: str | None = None
    #: The schema this opening upgraded from (None: no upgrade was needed; "": an empty database got its tables)
    #: and the backup made first, if any.
    upgraded_from: str | None = None
    upgrade_backup: Path | None = None

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def location(self) -> str:
        """What to call this database in a message: its file path, or its URL without a password."""
        return str(self.path) if self.path is not None else self.url

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on error; busy/full databases get clear errors.

        Refused at once, with one line, when the database failed its quick check (``damaged``)."""
        if self.damaged is not None:
            raise DamagedDatabaseError(self.damaged)
        with translate_errors(self.url), Session(self.engine, expire_on_commit=False) as session:
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
        with translate_errors(self.url), Session(engine, expire_on_commit=False, autoflush=False) as session:
            yield session

    def read(self, query: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``query(session, ...)`` in a read-only unit of work (``read_session``): how a use case reads."""
        with self.read_session() as session:
            return query(session, *args, **kwargs)

    def write(self, change: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``change(session, ...)`` in one unit of work, committed if it returns (``session``): how a use case
        saves."""
        with self.session() as session:
            return change(session, *args, **kwargs)

    def dispose(self) -> None:
        self.engine.dispose()


@contextlib.contextmanager
def translate_errors(url: str | None = None) -> Iterator[None]:
    """Turn driver errors into one-line messages the user can act on.

    ``url``: the database's URL without its password, named in a server's connection errors."""
    try:
        yield
    except OperationalError as exc:
        text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
        if "locked" in text or "busy" in text or getattr(exc.orig, "sqlstate", None) in _BUSY_SQLSTATES:
            raise DatabaseBusyError(BUSY_MESSAGE) from exc
        if "lock timeout" in text or "deadlock detected" in text:
            raise DatabaseBusyError(BUSY_MESSAGE) from exc
        original = str(exc.orig) if exc.orig is not None else str(exc)
        server_error = _server_connection_error(text, url or "the database server", original)
        if server_error is not None:
            raise server_error from exc
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


def _server_connection_error(text: str, url: str, original: str = "") -> ServerConnectionError | None:
    """What a driver's (libpq's) connection failure means, as one line naming ``url``; None if not one of these.

    ``text``: the driver's message in lower case; ``original``: as it was (a file name keeps its case)."""
    tls_error = _server_certificate_error(original or text, url)
    if tls_error is not None:
        return tls_error
    if "ssl" in text and ("not support" in text or "required" in text or "sslmode" in text or "handshake" in text):
        return ServerTLSError(
            f"the database server at {url} refused an encrypted (TLS) connection, which the URL requires "
            "(sslmode): ask its administrator to enable TLS on the server"
        )
    if "password authentication failed" in text or ("role " in text and "does not exist" in text):
        return ServerLoginError(
            f"the database server refused the login for {url}: a wrong password or a role it does not know"
        )
    if "no password supplied" in text or "authentication failed" in text or "pg_hba.conf" in text:
        return ServerLoginError(f"the database server refused the login for {url} (no password, or not allowed)")
    if "database " in text and "does not exist" in text:
        return ServerDatabaseMissingError(
            f"the database server has no such database: {url}; create it first (see the README's Team setup)"
        )
    if "resolve host" in text or "translate host name" in text or "name or service not known" in text:
        return ServerUnreachableError(f"the database server's host name cannot be found: {url}")
    unreachable = (
        "connection refused",
        "no such file or directory",
        "is the server running",
        "could not connect",
        "timeout expired",
        "network is unreachable",
        "no route to host",
        "server closed the connection",
        "the database system is starting up",
        "the database system is shutting down",
        "connection is bad",
    )
    if any(phrase in text for phrase in unreachable):
        return ServerUnreachableError(
            f"no database server answers at {url}: is it running, and are the host, port or socket right?"
        )
    return None


def _server_certificate_error(text: str, url: str) -> ServerTLSError | None:
    """The server's certificate could not be checked (``sslmode=verify-ca`` / ``verify-full``), as one line."""
    missing_root = re.search(r'root certificate file "([^"\n]*)" does not exist', text, re.IGNORECASE)
    if missing_root is not None:
        return ServerTLSError(
            f"the database server's certificate cannot be checked for {url}: the URL asks to verify it (sslmode) but "
            f"the certificate authority's file {missing_root.group(1)} does not exist: put the server's CA "
            "certificate there or name it with sslrootcert=PATH"
        )
    if "certificate verify failed" in text.lower():
        return ServerTLSError(
            f"the database server at {url} presented a certificate not signed by the trusted certificate authority "
            "(sslrootcert, or ~/.postgresql/root.crt): it may not be the right server; ask its administrator for "
            "the server's CA certificate"
        )
    wrong_name = re.search(
        r'server certificate for "([^"\n]*)".* does not match host name "([^"\n]*)"', text, re.IGNORECASE
    )
    if wrong_name is not None:
        return ServerTLSError(
            f"the database server at {url} presented a certificate for another host name ({wrong_name.group(1)}): "
            "it may not be the right server; use the host name its certificate names"
        )
    return None


def _driver_missing_message(url: sa.engine.URL, exc: ImportError) -> str:
    shown = url.render_as_string(hide_password=True)
    module = exc.name or "its driver"
    if url.get_backend_name() == "postgresql":
        return (
            f"the database driver for {url.drivername}:// ({module}) is not installed: install psycopg 3 with "
            f"{POSTGRES_EXTRA} and write the URL as postgresql+psycopg://... ({shown})"
        )
    return f"the database driver for {url.drivername}:// ({module}) is not installed ({shown})"


def _server_engine(target: str) -> Engine:
    """The engine for a server URL: the driver must be installed; PostgreSQL connections get ``lock_timeout``."""
    scheme = target.split("://", 1)[0][:40]
    try:
        url = sa.engine.make_url(target)
    except sa.exc.ArgumentError as exc:  # malformed URL (never echoed: it may hold a password)
        raise DatabaseError(f"'{scheme}://...' is not a database URL this app can use") from exc
    try:
        engine = sa.create_engine(url, pool_pre_ping=True)
    except ImportError as exc:  # the dialect is known, its driver module is not installed
        raise DriverMissingError(_driver_missing_message(url, exc)) from exc
    except sa.exc.ArgumentError as exc:  # unknown dialect or driver name
        raise DatabaseError(f"'{scheme}://...' is not a database URL this app can use") from exc
    if engine.dialect.name == "postgresql":

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: object) -> None:
            # Every statement waits at most LOCK_TIMEOUT_MS behind another transaction's locks (a save never
            # waits forever behind a colleague's); translate_errors turns the timeout into BUSY_MESSAGE.
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute(f"SET lock_timeout = {int(LOCK_TIMEOUT_MS)}")
            finally:
                cursor.close()
            dbapi_conn.commit()

    return engine


def _sqlite_path_of_url(target: str) -> Path | None:
    """The file behind a ``sqlite:///PATH`` URL (opened as that path, with every check and setting); else None."""
    try:
        url = sa.engine.make_url(target)
    except sa.exc.ArgumentError:
        return None
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise DatabaseError("a sqlite:// URL must name a database file (sqlite:///PATH); or give the path itself")
    return Path(url.database)


def open_database(
    target: str,
    *,
    create: bool = True,
    writable: bool = True,
    migrate: bool = True,
    empty_ok: bool = False,
    quick_check: bool = False,
    server_backup: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Database:
    """Open (and, if allowed, create and upgrade) the database named by a file path or SQLAlchemy URL.

    ``create``: a path with nothing there becomes a new database (the app's first run, ``demo``); commands never
    create one. An existing empty (0-byte) file is refused unless ``empty_ok`` (``demo`` writing into a file made
    for it). Nothing here writes to an existing database unless its schema must be upgraded (or switched to WAL).
    ``quick_check`` (the commands): SQLite's quick check runs first, before anything is written, and a damaged
    database is refused (DamagedDatabaseError); the app runs it in the background instead (``check_pages``).
    ``server_backup``: see ``prepare_schema`` (False only when the user chose to upgrade a server database without
    the automatic pg_dump). ``progress``: told, in a line, of each slow step of an upgrade as it starts (the
    commands print it; the app's own background opening gives none)."""
    if "\x00" in target:
        raise DatabaseError("the database path contains a NUL character")
    file_target = _sqlite_path_of_url(target) if is_url(target) else Path(target)
    if file_target is None:
        db = Database(engine=_server_engine(target), path=None, writable=writable)
    else:
        db = _open_sqlite_file(file_target, create=create, writable=writable, empty_ok=empty_ok)
    try:
        if quick_check:
            problem = check_pages(db)
            if problem:
                raise DamagedDatabaseError(problem)
        with translate_errors(db.url):
            prepare_schema(db, migrate=migrate, server_backup=server_backup, progress=progress)
            if db.path is not None and writable:
                _enable_wal(db.engine)
    except BaseException:
        db.dispose()
        raise
    return db


def _open_sqlite_file(target: Path, *, create: bool, writable: bool, empty_ok: bool) -> Database:
    """The engine for a database file, once the file itself is checked (or created whole)."""
    immutable = False
    try:
        path = target.expanduser().resolve()
        kind = file_kind(path)
        if kind is FileKind.EMPTY and empty_ok and writable:
            pass  # demo: a file made for it, to be filled now
        elif kind is not FileKind.MISSING:
            immutable = _check_sqlite_file(path, writable=writable, kind=kind)
        elif create and writable:
            _create_database_file(path)
        else:
            raise DatabaseError(f"no database at {path}")
    except OSError as exc:  # e.g. a name too long, a parent that is a file
        raise DatabaseError(f"the database path cannot be used ({exc.strerror or type(exc).__name__})") from exc
    return Database(engine=_sqlite_engine(path, writable=writable, immutable=immutable), path=path, writable=writable)


def _refuse_orphan_sidecars(path: Path) -> None:
    """Refuse to make a new database where a removed one left its write-ahead log (``-wal``) or rollback journal:
    SQLite would replay that database's saves into the new one, so the "new, empty" database would show another
    database's records (or be damaged)."""
    for suffix in ("-wal", "-journal"):
        sidecar = Path(f"{path}{suffix}")
        if sidecar.exists() or sidecar.is_symlink():
            raise DatabaseError(
                f"no database at {path}, but {sidecar.name} is there: saves of a database that was removed or moved. "
                "Put that database back, or move the leftover file away to start a new database there"
            )


def _create_database_file(path: Path) -> None:
    """Make a new database at ``path`` whole: the schema is built in a hidden file beside it, which is then linked
    into place, so a killed or failed creation never leaves an empty or half-made "database" at ``path``."""
    if path.parent.exists() and not os.access(path.parent, os.W_OK):
        raise DatabaseError(f"cannot create a database in {path.parent} (permission denied)")
    _refuse_orphan_sidecars(path)
    ensure_private_dir(path.parent)
    remove_leftovers(path.parent)
    tmp = path.with_name(temp_name(path.name))
    create_private_file(tmp)
    try:
        building = Database(engine=_sqlite_engine(tmp, writable=True), path=tmp)
        try:
            upgrade(building, head_revision())
        finally:
            building.dispose()
        try:
            os.link(tmp, path)  # never replaces: if another process made the database meanwhile, theirs is kept
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(tmp, path)
    finally:
        remove_with_sidecars(tmp)


def prepare_schema(
    db: Database, *, migrate: bool = True, server_backup: bool = True, progress: Callable[[str], None] | None = None
) -> None:
    """Refuse newer databases; back up, then upgrade older ones (or say they need upgrading).

    The version is read in a read transaction: opening a database at the current schema takes no write lock, so
    it neither waits behind another coordinator's save nor a long job. Only an upgrade takes the write lock.

    The backup before an upgrade: an SQLite file is copied beside itself; a database on a server is dumped with
    ``pg_dump -Fc`` into the workstation's backup folder (``server_dump``), and the upgrade is refused, nothing
    changed, when that fails, unless ``server_backup`` is False (``coordinator-tui upgrade --no-server-backup``,
    after a backup by hand). ``progress`` is told when the server's dump and the upgrade start."""
    reader = db.engine.execution_options(**{READ_ONLY_OPTION: True})
    with translate_errors(db.url), reader.connect() as conn:
        try:
            rev = current_revision(conn)
            # An empty alembic_version table (left by a downgrade to base) does not make a database foreign.
            has_tables = bool(set(sa.inspect(conn).get_table_names()) - {"alembic_version"})
        except OperationalError:
            raise  # locked/busy, disk errors: translate_errors says which (a lock is not corruption)
        except SADatabaseError as exc:
            if db.path is None:  # a server: e.g. the role may not read the schema version
                reason = str(exc.orig or exc).splitlines()[0][:200]
                raise DatabaseError(f"the database {db.url} cannot be read ({reason})") from exc
            raise DatabaseError("the database file is damaged (corrupt); restore it from a backup") from exc
        conn.rollback()
    if rev is not None and rev == _db_file.scanned_head_revision(MIGRATIONS_DIR):
        return  # the usual case: already current, decided without loading Alembic
    head = head_revision()
    if rev is not None and rev not in known_revisions():
        raise NewerDatabaseError(
            f"this database was written by a newer version of Coordinator TUI (schema {rev}); "
            f"install the newer version to open it. The {'file' if db.path is not None else 'database'} was not changed"
        )
    if rev == head:
        return
    if rev is None and has_tables:
        if db.path is None:
            raise DatabaseError(
                f"the database {db.url} is not a Coordinator TUI database: it has tables but no schema version"
            )
        raise DatabaseError("this SQLite file is not a Coordinator TUI database (it has no schema version)")
    if not migrate or not db.writable:
        raise DatabaseError(f"the database needs upgrading (schema {rev or 'empty'}); open it with the app first")
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    if rev is not None and db.path is not None:
        db.upgrade_backup = backup_sqlite_file(db.path, db.path.with_name(f"{db.path.name}.pre-{head}-{stamp}.bak"))
    elif rev is not None and server_backup:
        db.upgrade_backup = _dump_before_upgrade(db, rev, head, stamp, progress)
    if progress is not None and rev is not None:  # a new database's tables are made in a moment: nothing to say
        progress(f"upgrading the database (schema {rev} to {head})…")
    upgrade(db, head)
    db.upgraded_from = rev or ""


def _dump_before_upgrade(
    db: Database, rev: str, head: str, stamp: str, progress: Callable[[str], None] | None = None
) -> Path:
    """``pg_dump -Fc`` of a server database about to be upgraded, into the workstation's backup folder; one line
    (nothing changed) if it cannot be made, saying how to back up by hand and upgrade without it."""
    from coordinator_tui import server_dump
    from coordinator_tui.config import load_settings

    url = db.engine.url
    folder = load_settings().backup_path()
    dest = server_dump.free_name(folder, f"{url.database or 'database'}.pre-{head}-{stamp}", ".dump")

    def started() -> None:
        if progress is not None:
            progress(f"backing up the database before upgrading it (schema {rev} to {head}): pg_dump writes {dest}…")

    try:
        return server_dump.dump_database(url, dest, started)
    except server_dump.ServerDumpError as exc:
        without_password = server_dump.without_password(url).render_as_string(hide_password=False)
        raise server_dump.ServerDumpError(
            f"the database {db.url} needs upgrading (schema {rev} to {head}) and is backed up first, but the backup "
            f"failed: {exc}. Nothing was changed. Back it up by hand ({server_dump.HAND_BACKUP} "
            f"--dbname='{server_dump.libpq_uri(url)}'), then upgrade without the automatic backup: coordinator-tui "
            f"upgrade --no-server-backup --db '{without_password}'"
        ) from exc


def upgrade(db: Database, revision: str = "head") -> None:
    from alembic import command

    cfg = alembic_config()
    with translate_errors(db.url), db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(db: Database, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def refresh_statistics(db: Database) -> None:
    """After filling a database on a server in bulk (``demo``, ``copy`` from SQLite): bring PostgreSQL's planner
    statistics of the app's tables up to date (``ANALYZE``), as its autovacuum would only some time later.

    Without them the server plans every query as if the tables were nearly empty: on the 10,000-patient demo,
    opening a patient record read all 192,156 appointment-professional links to find one patient's (60-75 ms
    instead of about 7). A role that does not own a table is skipped by the server with a warning. SQLite: nothing
    (the app's queries are planned well there without statistics, and none are kept)."""
    if db.engine.dialect.name != "postgresql":
        return
    with translate_errors(db.url), db.engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            conn.exec_driver_sql(f'ANALYZE "{name}"')


def check_pages(db: Database) -> str | None:
    """SQLite's quick check of every page (not the slower index-to-table cross-check of ``integrity_report``).

    When it fails, ``db.damaged`` is set and every later save is refused with the one line returned. Reading goes
    on (the coordinator can still look things up, and export through a backup). Databases on a server: None."""
    if db.path is None:
        return None
    try:
        with db.read_session() as session:
            lines = [str(row[0]) for row in session.connection().exec_driver_sql("PRAGMA quick_check").fetchall()]
    except DatabaseBusyError:
        raise
    except DatabaseError:
        lines = ["unreadable"]
    if lines == ["ok"]:
        return None
    db.damaged = (
        f"the database {db.path} is damaged (SQLite's quick check found {len(lines)} problem(s)); nothing will be "
        "saved. Restore it from a backup (coordinator-tui restore) and run coordinator-tui check"
    )
    log.warning("database.damaged", extra={"fields": {"problems": len(lines)}})
    return db.damaged


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
