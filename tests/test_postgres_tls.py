"""Encrypted connections to a database server (the README's ``sslmode=require``), against real servers started
here: one with TLS on (a self-signed certificate for ``localhost`` made with openssl) and one without.

``sslmode=require`` to the TLS server opens the app's database encrypted (the server's own ``pg_stat_ssl`` says
so); to the server without TLS it is refused with one line saying the server refused TLS. ``sslmode=verify-full``
with the server's certificate as the authority opens it; with no authority file, another authority, or a host name
the certificate does not name, it is refused with one line saying which. The password is never printed. Skipped,
with the reason, only where no PostgreSQL binaries are installed (failed under CI=true: ``.ci/run`` installs them).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from coordinator_tui.db import Database, ServerTLSError, open_database
from coordinator_tui.models import Patient
from tests import postgres_server
from tests.postgres_server import OwnServer
from tests.safety_helpers import add_patient, run_cli

PASSWORD = "tls-pw-never-shown-7"
ROLE = "coordinator_tls"
DBNAME = "coordinator_tls_db"


@pytest.fixture(scope="module")
def tls_server() -> Iterator[OwnServer]:
    with postgres_server.own_server(tls=True, role=ROLE, password=PASSWORD, database=DBNAME) as server:
        yield server


@pytest.fixture(scope="module")
def plain_server() -> Iterator[OwnServer]:
    with postgres_server.own_server(tls=False, role=ROLE, password=PASSWORD, database=DBNAME) as server:
        yield server


def _url(server: OwnServer, query: str, *, host: str = "127.0.0.1") -> str:
    return f"postgresql+psycopg://{ROLE}:{PASSWORD}@{host}:{server.port}/{DBNAME}?{query}"


def _one_line_without_password(message: str) -> None:
    assert message and "\n" not in message and "Traceback" not in message
    assert PASSWORD not in message


def _refused(url: str) -> str:
    with pytest.raises(ServerTLSError) as info:
        open_database(url, create=False)
    message = str(info.value)
    _one_line_without_password(message)
    return message


def _encrypted(database: Database) -> tuple[bool, str | None]:
    """What the server says of this session's own connection: encrypted, and with which protocol."""
    with database.read_session() as s:
        row = s.connection().exec_driver_sql("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").one()
    return bool(row[0]), row[1]


def test_sslmode_require_opens_the_database_encrypted(tls_server: OwnServer) -> None:
    database = open_database(_url(tls_server, "sslmode=require"), create=False)
    try:
        with database.session() as s:
            patient_id = add_patient(s, 1)
        with database.read_session() as s:
            patient = s.get(Patient, patient_id)
            assert patient is not None and patient.family_name
        ssl, version = _encrypted(database)
        assert ssl is True and version is not None and version.startswith("TLS")
        assert PASSWORD not in database.url and database.url.endswith("?sslmode=require")
    finally:
        database.dispose()


def test_the_same_server_without_sslmode_disable_is_not_encrypted(tls_server: OwnServer) -> None:
    # The check above can fail: the same query on an unencrypted connection to the same server says so.
    database = open_database(_url(tls_server, "sslmode=disable"), create=False)
    try:
        assert _encrypted(database) == (False, None)
    finally:
        database.dispose()


def test_sslmode_require_to_a_server_without_tls_is_refused_in_one_line(plain_server: OwnServer) -> None:
    message = _refused(_url(plain_server, "sslmode=require"))
    assert message.startswith(f"the database server at postgresql+psycopg://{ROLE}:***@127.0.0.1:{plain_server.port}")
    assert "refused an encrypted (TLS) connection" in message


def test_verify_full_with_the_server_authority_opens_it(tls_server: OwnServer) -> None:
    assert tls_server.certificate is not None
    url = _url(tls_server, f"sslmode=verify-full&sslrootcert={tls_server.certificate}", host="localhost")
    database = open_database(url, create=False)
    try:
        assert _encrypted(database)[0] is True
    finally:
        database.dispose()


def test_verify_full_without_the_authority_file_says_which_file(tls_server: OwnServer, tmp_path: Path) -> None:
    missing = tmp_path / "Certs" / "root.crt"
    message = _refused(_url(tls_server, f"sslmode=verify-full&sslrootcert={missing}", host="localhost"))
    assert "certificate cannot be checked" in message
    assert f"{missing} does not exist" in message  # the file's name as given, case kept


def test_verify_full_with_another_authority_says_the_certificate_is_not_trusted(
    tls_server: OwnServer, tmp_path: Path
) -> None:
    other = tmp_path / "other-ca.crt"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=Another CA"),
            *("-keyout", str(tmp_path / "other-ca.key"), "-out", str(other)),
        ],
        check=True,
        capture_output=True,
    )
    message = _refused(_url(tls_server, f"sslmode=verify-full&sslrootcert={other}", host="localhost"))
    assert "certificate not signed by the trusted certificate authority" in message
    assert f"{ROLE}:***@localhost:{tls_server.port}" in message


def test_verify_full_with_a_host_name_the_certificate_does_not_name(tls_server: OwnServer) -> None:
    assert tls_server.certificate is not None
    message = _refused(_url(tls_server, f"sslmode=verify-full&sslrootcert={tls_server.certificate}"))
    assert "certificate for another host name (localhost)" in message


def test_a_command_says_it_in_one_line_with_exit_status_1(tls_server: OwnServer, tmp_path: Path) -> None:
    missing = tmp_path / "root.crt"
    url = _url(tls_server, f"sslmode=verify-full&sslrootcert={missing}", host="localhost")
    result = run_cli(["list", "patients", "--db", url], tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("coordinator-tui: the database server's certificate cannot be checked for ")
    _one_line_without_password(result.stderr.rstrip("\n"))
