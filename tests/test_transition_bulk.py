"""Checklists made in bulk (an import's ``regenerate_patients`` over thousands of new patients) are exactly the
checklists made one patient at a time the old way: the same items, due dates, statuses and one audit entry per
item with the same snapshot. The reference here dates with ``dateutil.relativedelta`` (as the engine did before
``Period.after``) and saves each item through ``records.create_record``.

Every person here is fictional; NHS numbers are in the 999 range with valid check digits. The clock is fixed at
25 November 2026 (conftest).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Sequence
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from sqlmodel import Session, col, select

from coordinator_tui.models import AuditAction, AuditEvent, Patient, TransitionItem
from coordinator_tui.services.people.patients import create_patient
from coordinator_tui.services.safety import audit
from coordinator_tui.services.safety.records import create_record
from coordinator_tui.services.transition import engine
from coordinator_tui.services.transition.engine import generate_checklist, regenerate_patients
from coordinator_tui.services.transition.milestone_rules import MilestoneRules, Period, load_rules
from coordinator_tui.validation import nhs_check_digit
from tests.postgres_server import both_databases

_serial = itertools.count(1)

PERIODS = [
    Period(),
    Period(years=1),
    Period(years=25),
    Period(years=16, months=6),
    Period(months=6),
    Period(months=-6),
    Period(months=13),
    Period(months=-14),
    Period(months=24),
    Period(days=28),
    Period(days=-1),
    Period(years=-1, months=-2, days=-3),
    Period(months=1, days=-1),
    Period(years=2, months=-3, days=10),
]


def test_period_arithmetic_is_relativedelta_day_by_day() -> None:
    day, last = dt.date(1995, 12, 1), dt.date(2033, 3, 31)  # several 29 Februaries, every month end
    while day <= last:
        for period in PERIODS:
            delta = relativedelta(years=period.years, months=period.months, days=period.days)
            assert period.after(day) == day + delta, (day, period)
            assert period.before(day) == day - delta, (day, period)
        day += dt.timedelta(days=1)


# A varied caseload: ages 10 to 26 on the fixed date, EHCP (with and without a review date), DLA (with a parent
# appointee or not), learning disability, conditions, capacity, out of year group, planned and actual transfers,
# late joiners, a 29 February birthday, an archived record.
CASES: list[dict[str, Any]] = [
    {"date_of_birth": dt.date(2016, 3, 14)},
    {"date_of_birth": dt.date(2015, 9, 1), "has_ehcp": True},
    {"date_of_birth": dt.date(2014, 8, 31), "has_ehcp": True, "ehcp_reviewed_on": dt.date(2026, 5, 20)},
    {"date_of_birth": dt.date(2013, 1, 5), "receives_dla": True, "dla_appointee_parent": True},
    {"date_of_birth": dt.date(2012, 2, 29), "learning_disability": True, "receives_dla": True},
    {"date_of_birth": dt.date(2011, 11, 25), "school_year_offset": 1, "has_ehcp": True},
    {"date_of_birth": dt.date(2011, 6, 30), "school_year_offset": -1, "diabetes_not_diet_controlled": True},
    {"date_of_birth": dt.date(2010, 12, 31), "hypothyroidism": True, "may_lack_capacity": True},
    {"date_of_birth": dt.date(2010, 4, 1), "planned_transfer_date": dt.date(2027, 9, 1)},
    {"date_of_birth": dt.date(2009, 10, 10), "learning_disability": True, "may_lack_capacity": True},
    {"date_of_birth": dt.date(2009, 2, 28), "receives_dla": True, "planned_transfer_date": dt.date(2026, 12, 1)},
    {"date_of_birth": dt.date(2008, 7, 15), "has_ehcp": True, "ehcp_reviewed_on": dt.date(2025, 11, 1)},
    {"date_of_birth": dt.date(2008, 3, 3), "registered_on": dt.date(2026, 11, 25)},  # joined today, aged 18
    {"date_of_birth": dt.date(2007, 5, 5), "transferred_on": dt.date(2025, 6, 1)},
    {"date_of_birth": dt.date(2006, 9, 9), "planned_transfer_date": dt.date(2024, 9, 1)},  # passed, unrecorded
    {"date_of_birth": dt.date(2005, 1, 20), "learning_disability": True, "registered_on": dt.date(2026, 1, 2)},
    {"date_of_birth": dt.date(2004, 2, 29), "receives_dla": True, "dla_appointee_parent": True},
    {"date_of_birth": dt.date(2003, 8, 1), "transferred_on": dt.date(2021, 8, 1)},
    {"date_of_birth": dt.date(2001, 1, 1)},  # 25: the checklist closes
    {"date_of_birth": dt.date(2000, 6, 6), "registered_on": dt.date(2026, 6, 1)},  # 26, joined this year
    {"date_of_birth": dt.date(2012, 10, 12), "archived": True},
]


def _fictional_nhs_number() -> str:
    while True:
        first_nine = f"999{next(_serial) + 700000:06d}"
        check = nhs_check_digit(first_nine)
        if check is not None:
            return first_nine + str(check)


def _make_patients(session: Session, label: str) -> list[Patient]:
    made = []
    for index, facts in enumerate(CASES):
        values = dict(facts)
        archived = values.pop("archived", False)
        dob = values["date_of_birth"]
        values.setdefault("registered_on", dob + dt.timedelta(days=30))
        patient = create_patient(
            session,
            {
                "nhs_number": _fictional_nhs_number(),
                "hospital_number": f"BULK{label}{index}",
                "given_name": "Testy",
                "family_name": f"Bulkface{label}{index}",
                **values,
            },
        )
        if archived:
            patient.archived = True
            session.add(patient)
        made.append(patient)
    session.flush()
    return made


def _create_one_by_one(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """The old way: each item saved and audited by ``records.create_record``."""
    for row in rows:
        create_record(session, TransitionItem(**row))


def _items(session: Session, patient: Patient) -> list[TransitionItem]:
    query = select(TransitionItem).where(TransitionItem.patient_id == patient.id)
    return sorted(session.exec(query).all(), key=lambda item: (item.rule_id, item.occurrence))


def _comparable(item: TransitionItem) -> dict[str, Any]:
    return {key: value for key, value in item.model_dump().items() if key not in ("id", "patient_id")}


def _audits(session: Session, items: Sequence[TransitionItem]) -> list[dict[str, Any]]:
    """The one creation entry of each item (its snapshot without the ids), checked against the item itself."""
    found = []
    for item in items:
        entries = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "transitionitem", AuditEvent.entity_id == str(item.id))
        ).all()
        assert len(entries) == 1, f"{item.rule_id}: {len(entries)} audit entries"
        entry = entries[0]
        assert entry.action == AuditAction.CREATE and entry.before == "{}" and entry.patient_id == item.patient_id
        after = json.loads(entry.after)
        assert after == json.loads(json.dumps(audit.snapshot(item), sort_keys=True, default=str))
        found.append(
            {key: value for key, value in after.items() if key not in ("id", "patient_id")} | {"user": entry.user}
        )
    return found


@both_databases
def test_bulk_checklists_equal_one_patient_at_a_time(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    rules: MilestoneRules = load_rules()
    bulk = _make_patients(session, "B")
    single = _make_patients(session, "S")
    assert not session.exec(select(TransitionItem)).all(), "patients are created without a checklist"

    summary = regenerate_patients(session, [int(patient.id or 0) for patient in bulk], rules)
    session.flush()

    with monkeypatch.context() as patched:  # the reference: relativedelta dates, one audited save per item
        patched.setattr(Period, "after", lambda self, day: day + self.delta)
        patched.setattr(Period, "before", lambda self, day: day - self.delta)
        patched.setattr(engine, "_create_many", _create_one_by_one)
        for patient in single:
            generate_checklist(session, patient, rules)
            session.flush()
    session.expire_all()

    assert summary.patients == len(CASES) and summary.added > 30 * len(CASES) // 2
    statuses = set()
    for made_in_bulk, made_alone in zip(bulk, single, strict=True):
        bulk_items, single_items = _items(session, made_in_bulk), _items(session, made_alone)
        assert [_comparable(item) for item in bulk_items] == [_comparable(item) for item in single_items]
        assert _audits(session, bulk_items) == _audits(session, single_items)
        bulk_patient = session.get(Patient, made_in_bulk.id)
        single_patient = session.get(Patient, made_alone.id)
        assert bulk_patient is not None and single_patient is not None
        assert (bulk_patient.checklist_closed_on, bulk_patient.checklist_closed_reason) == (
            single_patient.checklist_closed_on,
            single_patient.checklist_closed_reason,
        )
        statuses |= {item.status for item in bulk_items}
    assert len(statuses) >= 2, "the caseload should give more than one status (done by a planned date, missed)"
    total = session.exec(select(TransitionItem).where(col(TransitionItem.patient_id).in_([p.id for p in bulk])))
    assert len(total.all()) == summary.added
