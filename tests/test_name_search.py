"""Names are found however they are typed: case and accents ignored, through a stored search key (issue 14).

SQLite's LIKE folds ASCII letters only, so "élodie" did not find Élodie, nor "odegard" Ødegård. Each patient stores
``search_key`` (names and hospital number folded by ``text_fold.fold``); what is typed is folded the same way and
compared with a plain LIKE, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sys
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from coordinator_tui.models import Patient, patient_search_key
from coordinator_tui.services.demo_data import load_demo
from coordinator_tui.services.people import patients
from coordinator_tui.text_fold import fold, search_key
from coordinator_tui.validation import ValidationError, nhs_check_digit
from tests.postgres_server import both_databases

pytestmark = both_databases

# The issue's names, each with the ways a coordinator may type it.
ISSUE_NAMES = {
    ("Élodie", "Brackenfold"): ["Élodie", "élodie", "ELODIE", "elodie", "Elodie", "lodie"],
    ("Astrid", "Ødegård"): ["Ødegård", "ødegård", "ØDEGÅRD", "odegard", "Odegard", "degar"],
    ("Łukasz", "Quillby"): ["Łukasz", "łukasz", "ŁUKASZ", "lukasz", "LUKASZ"],
    ("Şule", "Fernhallow"): ["Şule", "şule", "ŞULE", "sule", "SULE"],
    ("Zoë", "Thistlecombe"): ["Zoë", "zoë", "ZOË", "zoe", "ZOE"],
}


def _nhs_numbers() -> Iterator[str]:
    for n in itertools.count(1):
        first = f"999{n:06d}"
        check = nhs_check_digit(first)
        if check is not None:
            yield first + str(check)


def _register(session: Session, given: str, family: str, nhs: str, hospital: str = "TST1") -> int:
    form = {
        "nhs_number": nhs,
        "hospital_number": hospital,
        "given_name": given,
        "family_name": family,
        "date_of_birth": "17/05/2012",
    }
    patient = patients.create_patient(session, patients.parse_patient_form(form))
    assert patient.id is not None
    return patient.id


# ------------------------------------------------------------------------------------------------------------
# The folding
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Élodie", "elodie"),
        ("ELODIE", "elodie"),
        ("Ødegård", "odegard"),
        ("Łukasz", "lukasz"),
        ("Şule", "sule"),
        ("Zoë", "zoe"),
        ("Straße", "strasse"),
        ("ẞ", "ss"),
        ("Æsa", "aesa"),
        ("Œdipe", "oedipe"),
        ("Đorđe", "dorde"),
        ("Þóra", "thora"),
        ("Ðís", "dis"),
        ("Yıldız", "yildiz"),
        ("İpek", "ipek"),
        ("Ħal", "hal"),
        ("O’Brien", "o'brien"),
        ("Nguyễn", "nguyen"),
        ("ﬁona", "fiona"),  # a ligature: compatibility decomposition
        ("ＡＢＣ１２", "abc12"),  # full-width letters and digits
        ("Smith-Jones", "smith-jones"),
        ("Ἀλέξανδρος", "αλεξανδροσ"),  # Greek: case-folded (final sigma too), accents removed
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_the_search_key_separates_its_parts_so_no_word_spans_two() -> None:
    assert search_key("Élodie", "Ødegård", "EXH-9") == "elodie odegard exh-9"
    assert patient_search_key("Zoë", "Thistlecombe", "T1") == "zoe thistlecombe t1"


def test_folding_twice_changes_nothing_for_every_character() -> None:
    """Exhaustive over Unicode: a folded word typed again (or copied from a folded key) folds to itself."""
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        once = fold(chr(code))
        assert fold(once) == once, f"U+{code:04X}"


@given(st.text(), st.text())
def test_folding_is_per_character_and_idempotent(a: str, b: str) -> None:
    assert fold(a + b) == fold(a) + fold(b)
    assert fold(fold(a)) == fold(a)


# ------------------------------------------------------------------------------------------------------------
# The service: the issue's names, every way of typing them
# ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def issue_patients(session: Session) -> dict[tuple[str, str], int]:
    numbers = _nhs_numbers()
    made = {names: _register(session, *names, next(numbers)) for names in ISSUE_NAMES}
    _register(session, "Elodine", "Plainfield", next(numbers))  # near miss: must not match "élodie"
    return made


@pytest.mark.parametrize(("names", "typed"), [(names, t) for names, ts in ISSUE_NAMES.items() for t in ts])
def test_each_issue_name_is_found_however_it_is_typed(
    session: Session, issue_patients: dict[tuple[str, str], int], names: tuple[str, str], typed: str
) -> None:
    wanted = [issue_patients[names]]
    assert [p.id for p in patients.search_patients(session, typed)] == wanted
    assert [r.patient_id for r in patients.patient_list(session, typed)] == wanted
    every_word = f"{typed} {names[1]} {names[0]}".upper()
    assert [r.patient_id for r in patients.patient_list(session, every_word)] == wanted


def test_the_filter_is_a_plain_like_on_the_key_on_sqlite_and_postgresql() -> None:
    """No database-specific function: the text is folded in Python, the database compares folded text."""
    (condition,) = patients._matching("Ødegård")
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        compiled = condition.compile(dialect=dialect)
        assert str(compiled).startswith("patient.search_key LIKE "), str(compiled)
        assert "lower(" not in str(compiled)
        assert list(compiled.params.values()) == ["%odegard%"]


# ------------------------------------------------------------------------------------------------------------
# The key is kept by every write
# ------------------------------------------------------------------------------------------------------------


def _stored_key(session: Session, patient_id: int) -> str:
    session.expire_all()
    patient = session.get(Patient, patient_id)
    assert patient is not None
    return patient.search_key


def test_every_save_keeps_the_key(session: Session) -> None:
    numbers = _nhs_numbers()
    patient_id = _register(session, "Zoë", "Thistlecombe", next(numbers), "T-1")
    assert _stored_key(session, patient_id) == "zoe thistlecombe t-1"

    patients.update_patient(session, patient_id, {"family_name": "Ødegård"})
    assert _stored_key(session, patient_id) == "zoe odegard t-1"
    patients.update_patient(session, patient_id, {"given_name": "Łukasz", "hospital_number": "Q7"})
    assert _stored_key(session, patient_id) == "lukasz odegard q7"
    patients.update_patient(session, patient_id, {"school": "Exampleton Primary"})  # not searched by: kept
    assert _stored_key(session, patient_id) == "lukasz odegard q7"
    patients.archive_patient(session, patient_id)
    assert _stored_key(session, patient_id) == "lukasz odegard q7"
    assert [p.id for p in patients.search_patients(session, "ODEGARD", include_archived=True)] == [patient_id]

    # A Patient object saved without the services (as tests and tools do) gets its key from the model's events.
    direct = Patient(
        nhs_number=next(numbers),
        hospital_number="D1",
        given_name="Şule",
        family_name="Fernhallow",
        date_of_birth=dt.date(2012, 5, 17),
        registered_on=dt.date(2020, 1, 1),
    )
    session.add(direct)
    session.flush()
    assert direct.id is not None
    assert _stored_key(session, direct.id) == "sule fernhallow d1"


def test_the_key_is_not_in_the_audit_log(session: Session) -> None:
    """The key is derived from audited fields; the History screen shows what was typed, not the key."""
    from coordinator_tui.models import AuditEvent

    patient_id = _register(session, "Zoë", "Thistlecombe", next(_nhs_numbers()))
    patients.update_patient(session, patient_id, {"family_name": "Ødegård"})
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "patient").order_by(col(AuditEvent.id))).all()
    assert len(events) == 2
    assert all("search_key" not in json.loads(event.before) | json.loads(event.after) for event in events)
    assert json.loads(events[-1].after)["family_name"] == "Ødegård"


@pytest.mark.parametrize("count", [12, 250], ids=["one by one", "bulk"])
def test_demo_data_has_every_key(session: Session, count: int) -> None:
    load_demo(session, patients=count, seed=3)
    rows = session.exec(select(Patient)).all()
    assert len(rows) == count
    for p in rows:
        assert p.search_key == patient_search_key(p.given_name, p.family_name, p.hospital_number)


# ------------------------------------------------------------------------------------------------------------
# Any name is found by its own folded form (hypothesis)
# ------------------------------------------------------------------------------------------------------------

NAME_CHARACTERS = st.characters(categories=["L", "M", "Nd", "Pd", "Zs"], include_characters="'’")
NAMES = st.text(NAME_CHARACTERS, min_size=1, max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(given_name=NAMES, family_name=NAMES)
def test_any_name_is_found_by_its_own_folded_form(session: Session, given_name: str, family_name: str) -> None:
    nhs = next(_NHS_FOR_HYPOTHESIS)
    try:
        patient_id = _register(session, given_name, family_name, nhs)
    except ValidationError:
        assume(False)  # not a name the form accepts (e.g. only spaces)
    patient = session.get(Patient, patient_id)
    assert patient is not None
    for typed in (
        fold(f"{patient.given_name} {patient.family_name}"),
        patient.family_name,
        patient.given_name.upper(),
    ):
        found = {p.id for p in patients.search_patients(session, typed, limit=10_000)}
        assert patient_id in found, typed
    assert patient_id in {r.patient_id for r in patients.patient_list(session, fold(patient.family_name), limit=10_000)}


_NHS_FOR_HYPOTHESIS = _nhs_numbers()
