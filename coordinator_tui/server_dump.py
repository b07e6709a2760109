"""A backup of a database on a server (PostgreSQL), taken with the server's own tool before its schema is upgraded.

``pg_dump -Fc`` (custom format: ``pg_restore`` reads it) writes the whole database into the workstation's backup
folder (``backup_dir`` in settings.toml, else ``backups/`` in the user data folder), owner-only (0600), through a
hidden temporary file renamed into place only when pg_dump succeeded. The password never appears in pg_dump's
arguments (the process list) or in a message: it goes in ``PGPASSWORD``. pg_dump never prompts (``--no-password``:
the app has the terminal). Any failure, pg_dump missing included, is one line (``ServerDumpError``) that says why,
with pg_dump's own words (for example that it is older than the server).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from coordinator_tui.config import ensure_private_dir
from coordinator_tui.errors import DatabaseError
from coordinator_tui.temp_files import remove_leftovers, temp_name

#: What the README's Team setup shows for a backup by hand (the URL's libpq form is added to it).
HAND_BACKUP = "pg_dump -Fc --file=FILE"


class ServerDumpError(DatabaseError):
    """pg_dump could not be run, or failed: nothing was written."""


def without_password(url: sa.engine.URL) -> sa.engine.URL:
    """``url`` with no password, neither in its user part nor in its query."""
    query = {key: value for key, value in url.query.items() if key.lower() != "password"}
    # (URL.set(password=None) would keep the password: None there means "unchanged".)
    return sa.engine.URL.create(
        url.drivername, username=url.username, host=url.host, port=url.port, database=url.database, query=query
    )


def libpq_uri(url: sa.engine.URL) -> str:
    """The server URL as libpq (pg_dump, psql) takes it: ``postgresql://ROLE@HOST:PORT/DATABASE?...``, without the
    password."""
    return without_password(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _password(url: sa.engine.URL) -> str | None:
    if url.password is not None:
        return str(url.password)
    for key, value in url.query.items():
        if key.lower() == "password":
            return value if isinstance(value, str) else value[0]
    return None


def _one_line(stderr: str, password: str | None) -> str:
    lines = [re.sub(r"^pg_dump: (error: |detail: |hint: )?", "", line.strip()) for line in stderr.splitlines()]
    text = "; ".join(line for line in lines if line) or "no message"
    if password:
        text = text.replace(password, "***")
    return text[:400]


def dump_database(url: sa.engine.URL, dest: Path, started: Callable[[], None] | None = None) -> Path:
    """``pg_dump -Fc`` of the database at ``url`` into ``dest`` (owner-only); the file's path, or ServerDumpError.
    ``started`` is called once pg_dump is found and about to run (a dump of a large database takes seconds)."""
    program = shutil.which("pg_dump")
    if program is None:
        raise ServerDumpError("pg_dump is not installed (install the PostgreSQL client tools, as new as the server)")
    if started is not None:
        started()  # before the temporary file is made: nothing is left open if this fails
    password = _password(url)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    try:
        ensure_private_dir(dest.parent)
        remove_leftovers(dest.parent)
        tmp = dest.with_name(temp_name(dest.name, "part"))
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as exc:
        raise ServerDumpError(f"the backup cannot be written in {dest.parent} ({exc.strerror or exc})") from exc
    try:
        try:
            result = subprocess.run(
                [program, "--format=custom", "--no-password", f"--dbname={libpq_uri(url)}"],
                stdin=subprocess.DEVNULL,
                stdout=fd,
                stderr=subprocess.PIPE,
                env=env,
                check=False,
            )
        except OSError as exc:
            raise ServerDumpError(f"pg_dump could not be run ({exc.strerror or exc})") from exc
        finally:
            os.close(fd)
        if result.returncode != 0:
            raise ServerDumpError(f"pg_dump failed: {_one_line(result.stderr.decode(errors='replace'), password)}")
        try:
            if tmp.stat().st_size == 0:
                raise ServerDumpError("pg_dump wrote nothing")
            os.replace(tmp, dest)
        except OSError as exc:
            raise ServerDumpError(f"the backup could not be written in {dest.parent} ({exc.strerror or exc})") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def free_name(folder: Path, stem: str, suffix: str) -> Path:
    """``folder/stem+suffix``, or ``stem-2+suffix``... when a file of that name is already there (never replaced)."""
    candidate = folder / f"{stem}{suffix}"
    number = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{number}{suffix}"
        number += 1
    return candidate
