"""Text that cannot deceive (issue 14): hidden controls are refused on input, and never reach a terminal raw.

A name holding a right-to-left override is shown reversed ("Anna\u202eSmith" reads "AnnahtimS"), and one holding an
escape sequence rewrites the terminal that prints it. The shared validation refuses both, naming the character;
whatever is already in a database, or typed as an argument, is printed with those characters shown visibly.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import sqlite3
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session

from coordinator_tui.cli import main
from coordinator_tui.db import Database
from coordinator_tui.services.people import patients
from coordinator_tui.terminal_text import VisibleWriter, json_safe, terminal_safe_output, visible
from coordinator_tui.validation import FieldError, ValidationError, clean_text
from tests.safety_helpers import run_cli

HIDDEN = ["\x1b", "\x9b", "\x07", "\x00", "\r", "\x85", "\u202e", "\u202d", "\u2066", "\u2067", "\u200f", "\u2028"]
RAW = set(HIDDEN)


def _no_raw(text: str) -> None:
    assert not RAW & set(text), repr(text)


# ------------------------------------------------------------------------------------------------------------
# Refused on input, naming the character
# ------------------------------------------------------------------------------------------------------------


@given(st.text(max_size=20), st.sampled_from(HIDDEN), st.text(max_size=20))
def test_a_hidden_control_anywhere_in_a_field_is_refused(before: str, hidden: str, after: str) -> None:
    with pytest.raises(FieldError) as info:
        clean_text(f"x{before}{hidden}{after}x", "given_name", max_length=100)
    assert info.value.message.endswith("; remove it") or "broken characters" in info.value.message


def test_the_patient_service_refuses_hidden_controls_however_the_values_were_made(session: Session) -> None:
    """A service called without the form (an import, a tool) refuses them too, naming the field and character."""
    values = {
        "nhs_number": "9434765919",
        "hospital_number": "H1",
        "given_name": "Anna",
        "family_name": "\u202eSmith",
        "date_of_birth": dt.date(2012, 5, 17),
    }
    with pytest.raises(ValidationError) as info:
        patients.create_patient(session, values)
    assert info.value.errors == {"family_name": "contains a right-to-left override (U+202E); remove it"}
    created = patients.create_patient(session, {**values, "family_name": "Smith"})
    assert created.id is not None
    with pytest.raises(ValidationError) as info:
        patients.update_patient(session, created.id, {"school": "Puddleby\x1b[8m Primary"})
    assert info.value.errors == {"school": "contains an escape character (U+001B); remove it"}
    with pytest.raises(ValidationError) as info:
        patients.update_patient(session, created.id, {"internal_notes": "line one\nline\u2066two"})
    assert info.value.errors == {"internal_notes": "contains a left-to-right isolate (U+2066); remove it"}
    patients.update_patient(session, created.id, {"internal_notes": "line one\n\tline two"})  # multi-line: kept


def test_the_patient_form_refuses_them_in_every_text_field() -> None:
    form = {
        "nhs_number": "943 476 5919",
        "hospital_number": "H1",
        "given_name": "Anna\u2067",
        "family_name": "Sm\x1bith",
        "date_of_birth": "17/05/2012",
        "school": "Puddleby\u200f Primary",
        "internal_notes": "ok\n\x9b31m",
    }
    with pytest.raises(ValidationError) as info:
        patients.parse_patient_form(form)
    assert info.value.errors == {
        "given_name": "contains a right-to-left isolate (U+2067); remove it",
        "family_name": "contains an escape character (U+001B); remove it",
        "school": "contains a right-to-left mark (U+200F); remove it",
        "internal_notes": "contains a control sequence introducer (U+009B); remove it",
    }


# ------------------------------------------------------------------------------------------------------------
# Shown visibly on a terminal
# ------------------------------------------------------------------------------------------------------------


def test_visible() -> None:
    assert visible("Anna\u202eSmith") == "Anna<U+202E>Smith"
    assert visible("\x1b]0;title\x07 \x9b31m") == "\\x1b]0;title\\x07 \\x9b31m"
    assert visible("a\tb\r\nc") == "a\\tb\\r\\nc"
    assert visible("a\tb\r\nc", keep_line_breaks=True) == "a\\tb\\r\nc"
    assert visible("bad byte \udcff") == "bad byte \\udcff"
    assert visible("Zoë Ødegård سارا") == "Zoë Ødegård سارا"  # letters of any script are left alone


@given(st.text())
def test_json_safe_is_the_same_data(text: str) -> None:
    encoded = json_safe(json.dumps({"name": text}, ensure_ascii=False))
    _no_raw(encoded)
    assert json.loads(encoded) == {"name": text}


def test_everything_a_command_prints_goes_through_visible() -> None:
    out = io.StringIO()
    writer = VisibleWriter(out)  # type: ignore[arg-type]
    print("Anna\u202eSmith\x1b[2J", "ok", file=writer)
    assert out.getvalue() == "Anna<U+202E>Smith\\x1b[2J ok\n"
    saved = sys.stdout
    with terminal_safe_output():
        assert isinstance(sys.stdout, VisibleWriter)
    assert sys.stdout is saved


@pytest.fixture
def hostile_db(db: Database, session: Session) -> Database:
    """A database holding hidden controls in names (written before this version refused them, or by another
    program): the command must still print them harmlessly."""
    patient = patients.create_patient(
        session,
        {
            "nhs_number": "9434765919",
            "hospital_number": "H1",
            "given_name": "Anna",
            "family_name": "Smith",
            "date_of_birth": dt.date(2012, 5, 17),
        },
    )
    session.commit()
    assert db.path is not None
    conn = sqlite3.connect(db.path)
    try:
        conn.execute(
            "UPDATE patient SET given_name = ?, family_name = ?, school = ? WHERE id = ?",
            ("Anna\x1b]0;owned\x07", "\u202eSmith", "Top\x9b2J\rSchool", patient.id),
        )
        conn.commit()
    finally:
        conn.close()
    return db


def test_list_prints_hidden_controls_visibly_and_json_keeps_the_data(
    hostile_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["list", "patients", "--db", str(hostile_db.path)]) == 0
    out, err = capsys.readouterr()
    _no_raw(out + err)
    assert "<U+202E>Smith, Anna\\x1b]0;owned\\x07" in out
    assert "Top\\x9b2J\\rSchool" in out
    assert len(out.splitlines()) == 4  # headings, rule, one patient, count: the \r broke no line

    assert main(["list", "patients", "--json", "--db", str(hostile_db.path)]) == 0
    out, _err = capsys.readouterr()
    _no_raw(out)
    row = json.loads(out)
    assert (row["given_name"], row["family_name"], row["school"]) == ("Anna\x1b]0;owned\x07", "\u202eSmith",
                                                                      "Top\x9b2J\rSchool")  # fmt: skip


def test_arguments_are_printed_visibly_in_errors_and_output(
    hostile_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (
        ["list", "patients\x1b[2J"],
        ["--no-such\x1b]0;x\x07", "list", "patients"],
        ["export", "--clinic", "1\u202e2"],
        ["backup", "--to", str(tmp_path / "x\x1b[31m" / "\u202efile"), "--db", str(tmp_path / "missing\x9b.db")],
    ):
        with contextlib.suppress(SystemExit):  # argparse's usage errors
            main(argv)
        out, err = capsys.readouterr()
        _no_raw(out + err)
        assert err.strip(), argv


def test_a_real_process_never_writes_raw_escapes(hostile_db: Database, tmp_path: Path) -> None:
    for args in (
        ["list", "patients", "--db", str(hostile_db.path)],
        ["list", "appointments\x1b[2J", "--db", str(hostile_db.path)],
        ["check", "--db", str(tmp_path / "no\x1b]0;such\x07.db")],
    ):
        result = run_cli(args, tmp_path)
        _no_raw(result.stdout + result.stderr)
        assert result.stdout or result.stderr
