"""Pilot: the patient filter finds names with accents and non-ASCII capitals however they are typed (issue 14)."""

from __future__ import annotations

import pytest

from coordinator_tui.db import Database
from coordinator_tui.services.people import patients
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.patients import PatientTable
from tests.ui.helpers import SIZE, cell_texts, pilot_test, settle, table_keys, type_text

# (given name, family name, an NHS number the demo does not use) and what the coordinator types.
PEOPLE = [
    ("Élodie", "Brackenfold", "9998880009"),
    ("Astrid", "Ødegård", "9998880017"),
    ("Łukasz", "Quillby", "9998880025"),
    ("Şule", "Fernhallow", "9998880033"),
    ("Zoë", "Thistlecombe", "9998880041"),
]
TYPED = [
    ("Élodie", "Élodie"),
    ("élodie", "Élodie"),
    ("ELODIE", "Élodie"),
    ("Ødegård", "Astrid"),
    ("odegard", "Astrid"),
    ("Łukasz", "Łukasz"),
    ("lukasz", "Łukasz"),
    ("Şule", "Şule"),
    ("sule", "Şule"),
    ("Zoë", "Zoë"),
    ("zoe", "Zoë"),
]


@pytest.mark.parametrize(("typed", "given_name"), TYPED)
@pilot_test
async def test_the_filter_finds_the_name_typed(demo_db: Database, typed: str, given_name: str) -> None:
    ids = {}
    with demo_db.session() as session:
        for n, (given, family, nhs) in enumerate(PEOPLE):
            form = {
                "nhs_number": nhs,
                "hospital_number": f"UNI{n}",
                "given_name": given,
                "family_name": family,
                "date_of_birth": "17/05/2012",
            }
            ids[given] = patients.create_patient(session, patients.parse_patient_form(form)).id
    app = CoordinatorApp(database=demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PatientTable)
        await type_text(pilot, typed)
        await settle(pilot)
        assert table_keys(table) == [str(ids[given_name])], cell_texts(table, 0)
