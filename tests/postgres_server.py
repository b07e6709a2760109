"""The PostgreSQL server the database-facing suites also run on, and a fresh database on it per test.

The server is named by ``--postgres-url`` or ``COORDINATOR_TEST_POSTGRES_URL`` (``.ci/run`` starts one with
``.ci/postgres-server`` and sets the variable). Its role must be allowed to create databases: each test gets its own
(``t_<random>``), made from that URL and dropped (``WITH (FORCE)``) afterwards, so tests and pytest-xdist workers
never share one. Without a server the PostgreSQL variants are skipped with a reason; under ``CI=true`` they fail.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
import sqlalchemy as sa

from coordinator_tui.db import Database

ENV_VAR = "COORDINATOR_TEST_POSTGRES_URL"
OPTION = "--postgres-url"
NO_SERVER = f"no PostgreSQL server configured: set {ENV_VAR} or {OPTION}"

#: Mark a module or test whose subject is the data: its ``db`` (and ``db_url``) run on SQLite and on PostgreSQL.
both_databases = pytest.mark.both_databases


def configured_url(config: pytest.Config) -> str | None:
    return config.getoption("postgres_url", default=None) or os.environ.get(ENV_VAR) or None


def require_server(config: pytest.Config) -> str:
    """The server's URL, or skip (fail under CI=true, where .ci/run always configures one)."""
    url = configured_url(config)
    if url:
        return url
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{NO_SERVER} (CI=true: .ci/run starts one, so a missing server is a failure)")
    pytest.skip(NO_SERVER)


def _admin_engine(url: str) -> sa.Engine:
    # CREATE/DROP DATABASE cannot run inside a transaction.
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


@contextlib.contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """A new, empty database on the server behind ``url``; yields its URL (password kept), dropped afterwards."""
    base = sa.engine.make_url(url)
    name = f"t_{secrets.token_hex(8)}"
    admin = _admin_engine(url)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def target_of(database: Database) -> str:
    """What a command's ``--db`` takes to open ``database`` again: its file, or its URL (password kept)."""
    if database.path is not None:
        return str(database.path)
    return database.engine.url.render_as_string(hide_password=False)


# --- a small server of a test's own (password logins on loopback, with or without TLS) ------------------------------

#: The unprivileged user a server runs as when the tests run as root (initdb refuses root; .ci/postgres-server
#: makes this user).
SERVER_USER = os.environ.get("COORDINATOR_PG_USER", "coordinator-ci")


def pg_bindir() -> Path | None:
    """The newest PostgreSQL server binaries installed (Debian: /usr/lib/postgresql/<version>/bin), or None."""
    dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    return next((d for d in dirs if (d / "initdb").exists() and (d / "pg_ctl").exists()), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cannot_start(reason: str) -> NoReturn:
    """No server binaries here: skip, but fail under CI=true (.ci/run installs PostgreSQL and makes the user)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run installs PostgreSQL, so this is a failure)")
    pytest.skip(reason)


@dataclass(frozen=True)
class OwnServer:
    """A running server of a test's own: ``url`` logs ``role`` in with ``password`` over TCP on 127.0.0.1."""

    url: str
    role: str
    password: str
    port: int
    folder: Path
    #: The certificate the server presents (also its own authority: self-signed for CN=localhost), or None.
    certificate: Path | None


def _self_signed_certificate(folder: Path, owner: list[str]) -> tuple[Path, Path]:
    """A self-signed certificate for the host name ``localhost`` only (one day), made with openssl in ``folder``."""
    openssl = shutil.which("openssl")
    if openssl is None:
        _cannot_start("openssl is not installed: it makes the TLS server's self-signed certificate")
    key, cert = folder / "server.key", folder / "server.crt"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    key.chmod(0o600)  # the server refuses a key others can read
    cert.chmod(0o644)
    if owner:
        shutil.chown(key, SERVER_USER)
        shutil.chown(cert, SERVER_USER)
    return key, cert


@contextlib.contextmanager
def own_server(*, tls: bool, role: str, password: str, database: str) -> Iterator[OwnServer]:
    """Start a throwaway server on a free loopback port that asks for passwords (scram-sha-256), with TLS on
    (a self-signed certificate made with openssl) or off; one login ``role`` owning ``database``. Stopped and
    removed afterwards. Skipped (failed under CI=true) only when no PostgreSQL binaries are installed."""
    bindir = pg_bindir()
    if bindir is None:
        _cannot_start("no PostgreSQL binaries under /usr/lib/postgresql to start a server of the test's own")
    prefix: list[str] = []
    if os.geteuid() == 0:
        if subprocess.run(["id", "-u", SERVER_USER], capture_output=True).returncode != 0:
            _cannot_start(f"running as root without the unprivileged user {SERVER_USER} (.ci/postgres-server makes it)")
        prefix = ["runuser", "-u", SERVER_USER, "--"]
    folder = Path(tempfile.mkdtemp(prefix="coordinator-pg."))
    if prefix:
        shutil.chown(folder, SERVER_USER)
    folder.chmod(0o700)
    port = _free_port()
    data = folder / "data"
    try:
        subprocess.run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-instructions",
            ],
            check=True,
            capture_output=True,
        )
        cert: Path | None = None
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c autovacuum=off"
        if tls:
            key, cert = _self_signed_certificate(folder, prefix)
            options += f" -c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}"
        else:
            options += " -c ssl=off"
        started = subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-o", options, "start"],
            capture_output=True,
        )
        if started.returncode != 0:
            log = (folder / "log").read_text(errors="replace") if (folder / "log").exists() else ""
            raise RuntimeError(f"the test's PostgreSQL server did not start: {started.stderr!r} {log}")
        subprocess.run(
            [
                *prefix,
                str(bindir / "psql"),
                "-h",
                str(folder),
                "-p",
                str(port),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                f"CREATE ROLE {role} LOGIN CREATEDB PASSWORD '{password}'",
                "-c",
                f"CREATE DATABASE {database} OWNER {role}",
            ],
            check=True,
            capture_output=True,
        )
        url = f"postgresql+psycopg://{role}:{password}@127.0.0.1:{port}/{database}"
        yield OwnServer(url=url, role=role, password=password, port=port, folder=folder, certificate=cert)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True
            )
        shutil.rmtree(folder, ignore_errors=True)
