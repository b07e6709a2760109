"""Opening databases: created at head, upgraded (with a backup first), newer and damaged files refused untouched.

There is one real revision (0001). To prove an *upgrade* keeps data and writes a backup, these tests add a second,
test-only revision in a copy of the migrations directory and point ``coordinator_tui.db`` at it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import shutil
import sqlite3
import stat
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel, select

from coordinator_tui import db as dbmod
from coordinator_tui.db import (
    Database,
    DatabaseBusyError,
    DatabaseError,
    NewerDatabaseError,
    current_revision,
    downgrade,
    head_revision,
    integrity_report,
    open_database,
    upgrade,
)
from coordinator_tui.models import Patient
from coordinator_tui.services.people import contacts, patients
from tests.postgres_server import both_databases

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
STAMP = "20261125T100000Z"  # conftest's fixed clock


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def revision_of(path: Path) -> str | None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    finally:
        conn.close()
    return rows[0][0] if rows else None


def table_names(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def tables_of(database: Database) -> set[str]:
    """The tables in the database: read from the file with sqlite3, or from the server's catalogue."""
    if database.path is not None:
        return table_names(database.path)
    with database.engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def revision_in(database: Database) -> str | None:
    if database.path is not None:
        return revision_of(database.path)
    with database.engine.connect() as conn:
        return current_revision(conn)


def add_patient(db: Database, nhs: str = "9434765919", family: str = "Applewhistle") -> int:
    with db.session() as session:
        patient = patients.create_patient(
            session,
            {
                "nhs_number": nhs,
                "hospital_number": "EXH1",
                "given_name": "Pip",
                "family_name": family,
                "date_of_birth": dt.date(2012, 5, 17),
            },
        )
        assert patient.id is not None
        return patient.id


@contextlib.contextmanager
def disposed(database: Database) -> Iterator[Database]:
    try:
        yield database
    finally:
        database.dispose()


# The real head: the test-only revision below is stacked on it.
CURRENT = head_revision()


SECOND_REVISION = '''
"""test-only second revision: a nickname column and a table"""

import sqlalchemy as sa
from alembic import op

revision = "0002test"
down_revision = "{current}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patient") as batch_op:
        batch_op.add_column(sa.Column("nickname", sa.String(40), nullable=False, server_default="none"))
    op.create_table("test_marker", sa.Column("id", sa.Integer(), primary_key=True))
    {fail}


def downgrade() -> None:
    op.drop_table("test_marker")
    with op.batch_alter_table("patient") as batch_op:
        batch_op.drop_column("nickname")
'''


def migrations_with_second_revision(tmp_path: Path, *, fail: bool = False) -> Path:
    target = tmp_path / "migrations-plus"
    shutil.copytree(dbmod.MIGRATIONS_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    failure = 'raise RuntimeError("migration failed half way")' if fail else "pass"
    body = SECOND_REVISION.replace("{current}", CURRENT).replace("{fail}", failure)
    (target / "versions" / "0002_test_only.py").write_text(textwrap.dedent(body), encoding="utf-8")
    return target


# ------------------------------------------------------------------------------------------------------------
# A new database
# ------------------------------------------------------------------------------------------------------------


def test_new_database_is_created_at_head_with_every_table(tmp_path: Path) -> None:
    path = tmp_path / "new" / "coordinator.db"
    with disposed(open_database(str(path))) as database:
        assert database.path == path
        with database.engine.connect() as conn:
            assert current_revision(conn) == head_revision() == CURRENT
            # The migrations build exactly the schema the models describe (a model change without a
            # migration fails here).
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
            assert diff == []
        assert integrity_report(database) == []
    assert set(SQLModel.metadata.tables) <= table_names(path)
    assert not list(path.parent.glob("*.bak"))  # nothing to back up in a new file


@both_databases
def test_migrations_build_exactly_the_models_schema(db: Database) -> None:
    with db.engine.connect() as conn:
        assert current_revision(conn) == head_revision() == CURRENT
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
        assert diff == []
    assert integrity_report(db) == []
    assert set(SQLModel.metadata.tables) <= tables_of(db)


def test_engine_settings(db: Database) -> None:
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == dbmod.BUSY_TIMEOUT_MS
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


@both_databases
def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sa.exc.IntegrityError), db.session() as session:
        session.execute(
            sa.text("INSERT INTO contact (patient_id, name, relationship, phone, email, address, preferred_method, "
                    "receives_itinerary, version) VALUES (999, 'x', 'PARENT', '', '', '', 'PHONE', TRUE, 1)")
        )  # fmt: skip


def test_sessions_begin_immediate_so_writers_queue(db: Database) -> None:
    assert db.path is not None
    with db.session() as session:
        session.exec(select(Patient)).all()  # a read, yet the write lock is already taken
        other = sqlite3.connect(db.path, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


def test_busy_database_gives_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_MS", 50)
    path = tmp_path / "busy.db"
    with disposed(open_database(str(path))) as database:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(DatabaseBusyError, match="busy"), database.session() as session:
                session.exec(select(Patient)).all()
        finally:
            holder.rollback()
            holder.close()


def test_a_sqlite_url_is_opened_as_its_file(tmp_path: Path) -> None:
    """sqlite:///PATH gets every check and setting a path gets (foreign keys on, WAL, owner-only, no silent create)."""
    path = tmp_path / "by-url.db"
    with pytest.raises(DatabaseError, match="no database at"):
        open_database(f"sqlite:///{path}", create=False)
    assert not path.exists()
    with disposed(open_database(f"sqlite:///{path}")) as database:
        assert database.path == path
        assert database.location == str(path)
        with database.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            conn.rollback()
    for url in ("sqlite://", "sqlite:///:memory:"):
        with pytest.raises(DatabaseError, match="must name a database file"):
            open_database(url)


# ------------------------------------------------------------------------------------------------------------
# Upgrades
# ------------------------------------------------------------------------------------------------------------


@both_databases
def test_downgrade_to_base_then_upgrade_recreates_the_schema(db: Database) -> None:
    downgrade(db, "base")
    assert tables_of(db) == {"alembic_version"}
    assert revision_in(db) is None
    upgrade(db)
    assert revision_in(db) == head_revision()
    add_patient(db)


@both_databases
def test_database_downgraded_to_base_is_upgraded_when_opened(tmp_path: Path, db_url: str) -> None:
    with disposed(open_database(db_url)) as database:
        downgrade(database, "base")
    with disposed(open_database(db_url)) as database:
        assert revision_in(database) == head_revision()
        add_patient(database)
    assert not list(tmp_path.glob("*.bak"))  # an empty schema has nothing to back up


@both_databases
def test_0004_fills_the_search_key_of_existing_patients_and_keeps_their_records(db_url: str) -> None:
    """Patients saved before the search key existed are found by their folded names once the database is upgraded;
    the column is added in place, so no contact is lost to a table copy (foreign keys cascade)."""
    with disposed(open_database(db_url)) as database:
        first = add_patient(database, family="Applewhistle")
        with database.session() as session:
            contacts.create_contact(session, first, {"name": "Parent Applewhistle"})
        downgrade(database, "0003")
        with database.engine.begin() as conn:
            assert "search_key" not in {c["name"] for c in sa.inspect(conn).get_columns("patient")}
            conn.exec_driver_sql(
                "INSERT INTO patient (nhs_number, hospital_number, given_name, family_name, date_of_birth, condition, "
                "school, has_ehcp, large_print, bsl_interpreter, wheelchair, interpreter_language, "
                "review_interval_months, registered_on, internal_notes, archived, version) VALUES ('9990000018', "
                "'EXH-9', 'Élodie', 'Ødegård', '2012-05-17', '', '', FALSE, FALSE, FALSE, FALSE, '', 12, "
                "'2020-01-01', '', FALSE, 1)"
            )
    with disposed(open_database(db_url)) as database:  # upgraded to head on opening
        assert revision_in(database) == head_revision()
        with database.engine.connect() as conn:
            keys = dict(conn.exec_driver_sql("SELECT family_name, search_key FROM patient").all())
            assert conn.exec_driver_sql("SELECT count(*) FROM contact").scalar() == 1
            indexes = {ix["name"]: ix["column_names"] for ix in sa.inspect(conn).get_indexes("patient")}
            columns = indexes["ix_patient_list"]
        assert keys == {"Applewhistle": "pip applewhistle exh1", "Ødegård": "elodie odegard exh-9"}
        assert columns[-1] == "search_key"
        with database.session() as session:
            for typed in ("odegard", "ØDEGÅRD", "élodie", "ELODIE", "exh-9"):
                assert [p.family_name for p in patients.search_patients(session, typed)] == ["Ødegård"], typed


def test_upgrade_from_the_first_revision_keeps_data_and_backs_up_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    with disposed(open_database(str(path))) as database:
        patient_id = add_patient(database)
    before = digest(path)
    assert revision_of(path) == CURRENT

    monkeypatch.setattr(dbmod, "MIGRATIONS_DIR", migrations_with_second_revision(tmp_path))
    assert head_revision() == "0002test"
    with disposed(open_database(str(path))) as database:
        with database.engine.connect() as conn:
            assert current_revision(conn) == "0002test"
            row = conn.exec_driver_sql(
                "SELECT nhs_number, family_name, nickname, version FROM patient WHERE id = ?", (patient_id,)
            ).one()
        assert tuple(row) == ("9434765919", "Applewhistle", "none", 1)
        assert "test_marker" in table_names(path)

    backup = tmp_path / f"old.db.pre-0002test-{STAMP}.bak"
    assert sorted(p.name for p in tmp_path.glob("*.bak")) == [backup.name]
    assert mode(backup) == 0o600
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary copy left behind"
    # The backup is the database as it was before the upgrade, data included.
    assert revision_of(backup) == CURRENT
    assert "test_marker" not in table_names(backup)
    conn = sqlite3.connect(backup)
    try:
        assert conn.execute("SELECT nhs_number FROM patient").fetchall() == [("9434765919",)]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()
    assert digest(path) != before

    # Opened again at the new head: no second backup.
    with disposed(open_database(str(path))):
        pass
    assert len(list(tmp_path.glob("*.bak"))) == 1


def test_failed_migration_leaves_the_database_at_its_old_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    with disposed(open_database(str(path))) as database:
        add_patient(database)
    monkeypatch.setattr(dbmod, "MIGRATIONS_DIR", migrations_with_second_revision(tmp_path, fail=True))
    with pytest.raises(RuntimeError, match="half way"):
        open_database(str(path))
    assert revision_of(path) == CURRENT
    assert "test_marker" not in table_names(path)
    assert len(list(tmp_path.glob(f"old.db.pre-0002test-{STAMP}.bak"))) == 1
    monkeypatch.setattr(dbmod, "MIGRATIONS_DIR", migrations_with_second_revision(tmp_path / "ok"))
    with disposed(open_database(str(path))) as database, database.session() as session:
        assert [p.family_name for p in session.exec(select(Patient)).all()] == ["Applewhistle"]


def test_old_database_is_not_upgraded_when_opened_read_only_or_without_migrating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    with disposed(open_database(str(path))):
        pass
    before = digest(path)
    monkeypatch.setattr(dbmod, "MIGRATIONS_DIR", migrations_with_second_revision(tmp_path))
    with pytest.raises(DatabaseError, match="needs upgrading"):
        open_database(str(path), writable=False)
    with pytest.raises(DatabaseError, match="needs upgrading"):
        open_database(str(path), migrate=False)
    assert digest(path) == before
    assert revision_of(path) == CURRENT
    assert not list(tmp_path.glob("*.bak"))


# ------------------------------------------------------------------------------------------------------------
# Newer databases
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_newer_database_is_refused_and_left_untouched(tmp_path: Path, journal: str) -> None:
    path = tmp_path / "newer.db"
    with disposed(open_database(str(path))) as database:
        add_patient(database)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.execute("UPDATE alembic_version SET version_num = 'f00dfeed9999'")
    conn.commit()
    conn.close()
    before = digest(path)
    names_before = sorted(p.name for p in tmp_path.iterdir())

    for kwargs in ({}, {"writable": False}, {"create": False}):
        with pytest.raises(NewerDatabaseError) as exc:
            open_database(str(path), **kwargs)  # type: ignore[arg-type]
        message = str(exc.value)
        assert "newer version" in message and "f00dfeed9999" in message and "\n" not in message
    assert isinstance(exc.value, DatabaseError)
    assert digest(path) == before
    assert revision_of(path) == "f00dfeed9999"
    assert not list(tmp_path.glob("*.bak"))
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        n for n in names_before if not n.endswith(("-wal", "-shm"))
    ]


@both_databases
def test_a_newer_schema_is_refused_however_the_database_is_opened(db_url: str) -> None:
    with disposed(open_database(db_url)) as database:
        add_patient(database)
        with database.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00dfeed9999'")
    for kwargs in ({}, {"writable": False}, {"create": False}):
        with pytest.raises(NewerDatabaseError) as exc:
            open_database(db_url, **kwargs)  # type: ignore[arg-type]
        message = str(exc.value)
        assert "newer version" in message and "f00dfeed9999" in message and "\n" not in message
    engine = sa.create_engine(db_url if "://" in db_url else f"sqlite:///{db_url}", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:  # left as it was: still the newer revision, the patient still there
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == ["f00dfeed9999"]
            assert conn.exec_driver_sql("SELECT count(*) FROM patient").scalar() == 1
    finally:
        engine.dispose()


def test_database_from_a_later_revision_is_newer_to_this_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database upgraded by a later app (here the test-only revision) is refused by this one."""
    path = tmp_path / "later.db"
    real_dir = dbmod.MIGRATIONS_DIR
    monkeypatch.setattr(dbmod, "MIGRATIONS_DIR", migrations_with_second_revision(tmp_path))
    with disposed(open_database(str(path))):
        pass
    monkeypatch.setattr(dbmod, "MIGRATIONS_DIR", real_dir)
    before = digest(path)
    with pytest.raises(NewerDatabaseError, match="0002test"):
        open_database(str(path))
    assert digest(path) == before


# ------------------------------------------------------------------------------------------------------------
# Files that are not (sound) databases
# ------------------------------------------------------------------------------------------------------------


def test_non_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("Dear diary, this is not a database.\n" * 50, encoding="utf-8")
    before = digest(path)
    with pytest.raises(DatabaseError, match="not an SQLite file") as exc:
        open_database(str(path))
    assert "\n" not in str(exc.value)
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_foreign_sqlite_database_is_refused_untouched(tmp_path: Path, journal: str) -> None:
    path = tmp_path / "other-app.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.execute("CREATE TABLE bookmarks (id INTEGER PRIMARY KEY, url TEXT)")
    conn.execute("INSERT INTO bookmarks (url) VALUES ('https://example.org')")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(DatabaseError, match="not a Coordinator TUI database"):
        open_database(str(path))
    assert digest(path) == before
    assert table_names(path) == {"bookmarks"}


def test_header_then_random_bytes_is_refused_as_corrupt(tmp_path: Path) -> None:
    import random

    path = tmp_path / "corrupt.db"
    path.write_bytes(dbmod.SQLITE_HEADER + random.Random(3).randbytes(8192))
    before = digest(path)
    with pytest.raises(DatabaseError, match="damaged") as exc:
        open_database(str(path))
    assert not isinstance(exc.value, NewerDatabaseError)
    assert "\n" not in str(exc.value)
    with pytest.raises(DatabaseError, match="damaged"):
        open_database(str(path), writable=False)
    assert digest(path) == before


def test_damaged_schema_page_is_refused_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    with disposed(open_database(str(path))) as database:
        add_patient(database)
    data = bytearray(path.read_bytes())
    data[100:1100] = bytes(range(256)) * 3 + bytes(232)  # page 1 after the header: the schema b-tree
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseError, match="damaged"):
        open_database(str(path))


def test_inconsistent_index_is_found_by_the_integrity_check(existing_db: Path) -> None:
    conn = sqlite3.connect(existing_db)
    conn.execute("PRAGMA writable_schema = ON")  # the index now claims a column its entries were not built from
    conn.execute(
        "UPDATE sqlite_master SET sql = replace(sql, '(nhs_number)', '(hospital_number)') "
        "WHERE name = 'ix_patient_nhs_number'"
    )
    conn.commit()
    conn.close()
    with disposed(open_database(str(existing_db), writable=False)) as database:
        assert integrity_report(database) == ["integrity: row 1 missing from index ix_patient_nhs_number"]


def test_badly_damaged_data_pages_give_a_clear_error_or_a_report(existing_db: Path) -> None:
    with disposed(open_database(str(existing_db))) as database, database.session() as session:
        for n in range(40):
            session.execute(
                sa.text(
                    "INSERT INTO auditevent (at, user, action, entity, entity_id, before, after) "
                    "VALUES ('2026-11-25 10:00:00', 'u', 'CREATE', 'x', :n, :blob, '')"
                ),
                {"n": str(n), "blob": "x" * 3000},
            )
    page_size = 4096
    data = bytearray(existing_db.read_bytes())
    pages = len(data) // page_size
    assert pages > 20
    for page in range(pages - 6, pages - 1):
        data[page * page_size : page * page_size + 64] = b"\xff" * 64
    existing_db.write_bytes(bytes(data))
    try:
        with disposed(open_database(str(existing_db), writable=False)) as database:
            problems = integrity_report(database)
    except DatabaseError as exc:  # SQLite may stop the check itself on a malformed page
        assert str(exc) == "the database file is damaged (corrupt); restore it from a backup"
    else:
        assert problems and all(p.startswith("integrity:") for p in problems)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="is a directory"):
        open_database(str(tmp_path))


def test_missing_file_without_create_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    path = tmp_path / "absent" / "coordinator.db"
    for kwargs in ({"create": False}, {"writable": False}):
        with pytest.raises(DatabaseError, match="no database at"):
            open_database(str(path), **kwargs)  # type: ignore[arg-type]
    assert not path.parent.exists()
    assert list(tmp_path.iterdir()) == []


def test_an_empty_file_is_refused_not_turned_into_a_database(tmp_path: Path) -> None:
    """Only a path with nothing there becomes a new database (the app's first run); an empty file is a mistake."""
    path = tmp_path / "empty.db"
    path.touch()
    for create in (True, False):
        with pytest.raises(DatabaseError, match=r"is empty \(0 bytes\)"):
            open_database(str(path), create=create)
        assert path.stat().st_size == 0
        assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]
    # demo writes into an empty file made for it.
    with disposed(open_database(str(path), empty_ok=True)):
        assert revision_of(path) == head_revision()


# --- permissions: the test suite runs as root in CI, where os.access() ignores mode bits ----------------------


def deny(monkeypatch: pytest.MonkeyPatch, path: Path, denied: int) -> None:
    """Make os.access report ``denied`` for ``path``: simulates file modes that root would bypass."""
    real_access = os.access

    def fake_access(target: object, wanted: int, *args: object, **kwargs: object) -> bool:
        if Path(str(target)).resolve() == path.resolve() and wanted & denied:
            return False
        return real_access(target, wanted, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", fake_access)


@pytest.fixture
def existing_db(tmp_path: Path) -> Path:
    path = tmp_path / "existing.db"
    with disposed(open_database(str(path))) as database:
        add_patient(database)
    return path


def test_read_only_file_is_refused_for_writing_but_opens_read_only(
    existing_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = digest(existing_db)
    deny(monkeypatch, existing_db, os.W_OK)
    with pytest.raises(DatabaseError, match="read-only") as exc:
        open_database(str(existing_db))
    assert "\n" not in str(exc.value)
    with disposed(open_database(str(existing_db), writable=False)) as database:
        with database.session() as session:
            assert len(session.exec(select(Patient)).all()) == 1
        with pytest.raises(DatabaseError, match="read-only"), database.session() as session:
            session.execute(sa.text("UPDATE patient SET given_name = 'Changed'"))
    assert digest(existing_db) == before


def test_unreadable_file_is_refused(existing_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = digest(existing_db)
    deny(monkeypatch, existing_db, os.R_OK)
    for writable in (True, False):
        with pytest.raises(DatabaseError, match="cannot be read") as exc:
            open_database(str(existing_db), writable=writable)
        assert "permission denied" in str(exc.value)
    assert digest(existing_db) == before


def test_cannot_create_in_a_read_only_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    deny(monkeypatch, folder, os.W_OK)
    with pytest.raises(DatabaseError, match="permission denied"):
        open_database(str(folder / "new.db"))
    assert list(folder.iterdir()) == []


@pytest.mark.skipif(IS_ROOT, reason="root bypasses file modes; the monkeypatched tests above cover this case")
def test_real_file_modes_read_only_and_unreadable(existing_db: Path) -> None:
    before = digest(existing_db)
    existing_db.chmod(0o400)
    try:
        with pytest.raises(DatabaseError, match="read-only"):
            open_database(str(existing_db))
        existing_db.chmod(0o000)
        with pytest.raises(DatabaseError, match="cannot be read"):
            open_database(str(existing_db), writable=False)
    finally:
        existing_db.chmod(0o600)
    assert digest(existing_db) == before


# ------------------------------------------------------------------------------------------------------------
# Integrity report
# ------------------------------------------------------------------------------------------------------------


def test_integrity_report_finds_broken_foreign_keys_and_wrong_schema(existing_db: Path) -> None:
    conn = sqlite3.connect(existing_db)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(
        "INSERT INTO contact (patient_id, name, relationship, phone, email, address, preferred_method, "
        "receives_itinerary, version) VALUES (4242, 'Orphan', 'PARENT', '', '', '', 'PHONE', 1, 1)"
    )
    conn.commit()
    conn.close()
    with disposed(open_database(str(existing_db), writable=False)) as database:
        problems = integrity_report(database)
    assert problems == ["foreign key: table contact row 1 refers to a missing patient"]

    with disposed(open_database(str(existing_db))) as database:
        with database.engine.begin() as conn2:
            conn2.exec_driver_sql("DELETE FROM alembic_version")
        problems = integrity_report(database)
    assert f"schema version None is not the current {CURRENT}" in problems
