"""Form fields stop at their maximum length as they are typed (issue 14).

A 10,000-character paste into a name kept the app busy for many seconds, and the keys pressed meanwhile landed in
the wrong field. Now a paste is cut at the field's limit at once (and the form says so), and the keys after it go
where they were typed. The limits of fields that are parsed (dates, times, numbers, NHS and phone numbers) are
checked here against the parsers, so a form never stops short of what the parser reads.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot

from coordinator_tui.db import Database
from coordinator_tui.models import Contact, Patient
from coordinator_tui.ui import field_limits as limits
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.field_limits import column_limit
from coordinator_tui.ui.widgets.forms import FormField, FormScreen
from coordinator_tui.validation import (
    FieldError,
    format_nhs_number,
    parse_positive_int,
    parse_time,
    parse_uk_date,
    validate_nhs_number,
    validate_uk_phone,
)
from tests.ui.busy import burst, typed
from tests.ui.form_cases import FORMS, open_form
from tests.ui.helpers import SIZE, pilot_test

PASTE = "A" * 10_000


async def new_patient_form(pilot: Pilot[Any], db: Database) -> FormScreen[Any]:
    case = FORMS["new patient"]
    await case.go(pilot, db)
    return await open_form(pilot, db, case)


@pilot_test
async def test_a_long_paste_is_cut_at_the_limit_and_the_next_keys_land_in_the_next_field(
    app: CoordinatorApp, demo_db: Database
) -> None:
    limit = column_limit(Patient, "given_name")
    async with app.run_test(size=SIZE) as pilot:
        form = await new_patient_form(pilot, demo_db)
        await burst(pilot, [events.Paste(PASTE), "tab", *typed("O'Brien"), "tab", *typed("999 000 0043")])
        values = form.values()
        assert values["given_name"] == "A" * limit
        assert values["family_name"] == "O'Brien"
        assert values["nhs_number"] == "999 000 0043"
        assert form.field_errors == {"given_name": f"⚠ stops at {limit} characters, the most this field holds"}


@pilot_test
async def test_typing_stops_at_the_limit(app: CoordinatorApp, demo_db: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        form = await new_patient_form(pilot, demo_db)
        form.set_focus(form.input_for("nhs_number"))
        await burst(pilot, typed("943 476 5919 and more"))
        assert form.values()["nhs_number"] == "943 476 5919"
        assert "nhs_number" in form.field_errors


@pilot_test
async def test_a_long_paste_into_notes_is_cut_at_the_limit(app: CoordinatorApp, demo_db: Database) -> None:
    limit = column_limit(Patient, "internal_notes")
    async with app.run_test(size=SIZE) as pilot:
        form = await new_patient_form(pilot, demo_db)
        form.set_focus(form.input_for("internal_notes"))
        await burst(pilot, [events.Paste("Line one\n" + PASTE)])
        assert len(form.values()["internal_notes"]) == limit
        assert form.values()["internal_notes"].startswith("Line one\nAAA")
        assert "internal_notes" in form.field_errors


def test_a_text_field_without_a_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="max_length"):
        FormField("name", "Name")
    FormField("wheelchair", "Wheelchair user", False, kind="flag")  # not text: no limit needed


def test_column_limit_reads_the_model() -> None:
    assert column_limit(Contact, "name") == Contact.model_fields["name"].metadata[0].max_length
    with pytest.raises(ValueError, match="no max_length"):
        column_limit(Patient, "date_of_birth")


def test_date_limit_is_the_longest_text_parse_uk_date_reads() -> None:
    assert parse_uk_date("Wednesday 14 October 2026") is not None
    with pytest.raises(FieldError, match=r"^'x+' is not a date"):  # read (by dateutil), and refused as a date
        parse_uk_date("x" * limits.DATE)
    with pytest.raises(FieldError, match=r"^is not a date"):  # too long to be read at all
        parse_uk_date("x" * (limits.DATE + 1))


def test_time_limit_is_the_longest_time_parse_time_reads() -> None:
    assert parse_time("23:59").hour == 23 and len("23:59") == limits.TIME
    for longer in ("123:45", "12:345", "0" * (limits.TIME + 1)):
        with pytest.raises(FieldError):
            parse_time(longer)


def test_whole_number_limit_is_the_longest_number_parse_positive_int_reads() -> None:
    most = "9" * limits.WHOLE_NUMBER
    assert parse_positive_int(most, "n", maximum=int(most)) == int(most)
    with pytest.raises(FieldError, match="whole number"):
        parse_positive_int("1" * (limits.WHOLE_NUMBER + 1), "n", maximum=10 ** (limits.WHOLE_NUMBER + 1))


def test_phone_limit_is_the_longest_text_validate_uk_phone_reads() -> None:
    spaced = "+44" + " " * (limits.PHONE - len("+447700 900 123")) + "7700 900 123"
    assert len(spaced) == limits.PHONE
    assert validate_uk_phone(spaced) == "07700 900123"
    with pytest.raises(FieldError, match="digits, spaces"):
        validate_uk_phone(spaced.replace(" ", "  ", 1))


def test_nhs_number_limit_is_the_printed_form() -> None:
    printed = format_nhs_number("9434765919")
    assert len(printed) == limits.NHS_NUMBER
    assert validate_nhs_number(printed) == "9434765919"
