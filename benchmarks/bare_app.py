"""The floor for start-up (``benchmarks/ui_speed.py``): a bare Textual app that reads the patient list's first page
with the standard library's ``sqlite3`` and shows it in a DataTable.

    .venv/bin/python benchmarks/bare_app.py DATABASE

It reads the same first 100 patients, with the same columns, as the app's patient list (name order; age, next
clinic, named worker, open transition items), in ``on_mount``, so its first frame already shows them. It imports
nothing from ``coordinator_tui``: it is what any Textual app showing those rows must at least do.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from urllib.parse import quote

from textual.app import App, ComposeResult
from textual.widgets import DataTable

FIRST_PAGE = """
SELECT page.family_name, page.given_name, page.nhs_number, page.hospital_number, page.date_of_birth,
       clinicevent.start_date,
       (SELECT trim(professional.title || ' ' || professional.given_name || ' ' || professional.family_name)
          FROM professional WHERE professional.id = (
            SELECT careteammember.professional_id FROM careteammember
             WHERE careteammember.patient_id = page.id AND careteammember.is_named_worker = 1
               AND careteammember.status = 'ACTIVE' LIMIT 1)),
       (SELECT count(*) FROM transitionitem
         WHERE transitionitem.patient_id = page.id AND transitionitem.status IN ('TODO', 'IN_PROGRESS')
           AND transitionitem.appears_on <= :today)
  FROM (SELECT id, family_name, given_name, nhs_number, hospital_number, date_of_birth FROM patient
         WHERE archived = 0 ORDER BY family_name, given_name, id LIMIT 100) AS page
  LEFT JOIN clinicevent ON clinicevent.id = (
        SELECT clinicevent.id FROM clinicevent
          JOIN clinicattendance ON clinicattendance.clinic_event_id = clinicevent.id
         WHERE clinicattendance.patient_id = page.id AND clinicevent.start_date >= :today
           AND clinicevent.status != 'CANCELLED' ORDER BY clinicevent.start_date, clinicevent.id LIMIT 1)
 ORDER BY page.family_name, page.given_name, page.id
"""


def age(born: str, today: dt.date) -> int:
    day = dt.date.fromisoformat(born)
    return today.year - day.year - ((today.month, today.day) < (day.month, day.day))


class BareApp(App[None]):
    def __init__(self, database: str) -> None:
        super().__init__()
        self.database = database

    def compose(self) -> ComposeResult:
        yield DataTable()

    def on_mount(self) -> None:
        today = dt.date.today()
        connection = sqlite3.connect(f"file:{quote(self.database)}?mode=ro", uri=True)
        try:
            rows = connection.execute(FIRST_PAGE, {"today": today.isoformat()}).fetchall()
        finally:
            connection.close()
        table = self.query_one(DataTable)
        table.add_columns("Name", "NHS number", "Hospital no.", "Age", "Next clinic", "Named worker", "Open items")
        table.add_rows(
            (
                f"{family}, {given}",
                f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}",
                hospital,
                str(age(born, today)),
                dt.date.fromisoformat(clinic).strftime("%d/%m/%Y") if clinic else "—",
                worker or "⚠ none named",
                str(items),
            )
            for family, given, nhs, hospital, born, clinic, worker, items in rows
        )
        table.focus()


if __name__ == "__main__":
    BareApp(sys.argv[1]).run()
