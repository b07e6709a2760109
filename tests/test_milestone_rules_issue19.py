"""Issue 19: the milestone rules corrected and added, their schema (sign-off, stages, closing, done_when, staff
owners, new conditions and due kinds) and the per-patient school-year override.

Due dates are read from ``plan_for_patient`` for a patient registered a month after birth and planned as on the
registration day, so that every rule's own date shows (nothing is missed or backdated yet). A few tests save
through the database (SQLite and PostgreSQL). Every person here is fictional.
"""

from __future__ import annotations

import datetime as dt
import itertools
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from sqlmodel import Session, select

from coordinator_tui.models import Patient, TransitionItem
from coordinator_tui.services.people.patients import create_patient
from coordinator_tui.services.transition import school_year
from coordinator_tui.services.transition.engine import generate_checklist, plan_for_patient
from coordinator_tui.services.transition.milestone_rules import (
    CONDITIONS,
    OWNER_ROLES,
    MilestoneRules,
    Period,
    RulesError,
    load_rules,
    load_rules_files,
    shipped_rules_path,
)
from coordinator_tui.validation import nhs_check_digit
from tests.postgres_server import both_databases

pytestmark = both_databases

DOB = dt.date(2011, 3, 4)  # Reception starts September 2015; Year N starts September 2015 + N
FACTS = (
    "has_ehcp",
    "receives_dla",
    "dla_appointee_parent",
    "learning_disability",
    "diabetes_not_diet_controlled",
    "hypothyroidism",
    "may_lack_capacity",
)
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def rules() -> MilestoneRules:
    return load_rules()


def patient(dob: dt.date = DOB, **values: Any) -> Patient:
    """A patient in memory (not saved), registered a month after birth."""
    return Patient(
        nhs_number="9990000000",
        hospital_number="TEST0",
        given_name="Testpatient",
        family_name="Example",
        date_of_birth=dob,
        registered_on=values.pop("registered_on", dob + dt.timedelta(days=30)),
        **values,
    )


def plan(rules: MilestoneRules, person: Patient) -> dict[tuple[str, int], dt.date]:
    return {item.key: item.due_date for item in plan_for_patient(person, rules, today=person.registered_on)}


def due(rules: MilestoneRules, person: Patient, rule_id: str) -> dt.date | None:
    """The due date of a one-off rule (or the first occurrence of a repeating one); None when not planned."""
    dates = plan(rules, person)
    return dates.get((rule_id, 0), dates.get((rule_id, 1)))


def last_friday_in_june(year: int) -> dt.date:
    day = dt.date(year, 6, 30)
    return day - dt.timedelta(days=(day.weekday() - 4) % 7)


# ------------------------------------------------------------------------------------------------------------
# The shipped file: sign-off, stages, closing, owners, sources
# ------------------------------------------------------------------------------------------------------------


def test_shipped_rules_say_they_are_not_yet_clinically_reviewed(rules: MilestoneRules) -> None:
    assert rules.reviewed_by == "" and rules.reviewed_on is None and not rules.reviewed
    assert rules.review_text() == "Not yet reviewed clinically"
    text = shipped_rules_path().read_text(encoding="utf-8")
    assert "not yet been reviewed by the service's clinical lead" in text
    assert 'reviewed_by = ""' in text


def test_shipped_stages_in_order_and_every_rule_in_one(rules: MilestoneRules) -> None:
    assert rules.stages == (
        "Early years",
        "Ready",
        "Steady",
        "Go",
        "Hello",
        "Transfer",
        "After transfer",
        "Yearly reviews",
    )
    assert {rule.stage for rule in rules.rules} <= set(rules.stages)
    assert [rules.stage_rank(s) for s in ("Ready", "Go", "Yearly reviews")] == [1, 3, 7]
    assert rules.stage_rank("A stage no one listed") == len(rules.stages)


def test_checklist_closes_at_25_or_when_the_follow_up_after_transfer_is_done(rules: MilestoneRules) -> None:
    assert rules.checklist_closes_at_age == Period(years=25)
    assert [rule.id for rule in rules.rules if rule.closes_checklist] == ["follow_up_after_transfer"]
    assert {rule.id: rule.done_when for rule in rules.rules if rule.done_when} == {
        "transfer_date_set": "transfer_planned"
    }


def test_every_rule_has_a_staff_owner_and_a_source(rules: MilestoneRules) -> None:
    assert "young person" not in OWNER_ROLES
    assert all(rule.owner_role in OWNER_ROLES for rule in rules.rules)
    assert rules["personal_folder"].owner_role == "transition coordinator"
    assert all(rule.source.strip() for rule in rules.rules)


CHANGED_OR_ADDED = (
    "ehcp_annual_review",
    "adult_social_care_assessment",
    "transfer_date_set",
    "senior_school_planning",
    "pip_invitation",
    "pip_claim_started",
    "pip_appointee",
    "personal_folder",
    "coordinated_transition_plan",
    "send_decisions_to_young_person",
    "ehcp_phase_transfer_reception",
    "ehcp_phase_transfer_post16_move",
    "ehcp_ceasing",
    "chc_identified",
    "chc_screening",
    "chc_decision_in_principle",
    "carers_assessment",
    "adult_care_plan",
    "annual_health_check",
    "medical_exemption_certificate",
    "cvi_certificate",
    "deafblind_assessment",
    "mobility_braille_training",
    "disabled_students_allowance",
    "access_to_work",
    "handover_ophthalmology",
    "handover_audiology",
    "handover_ecg_echo",
    "handover_cardiac_mri",
    "handover_hba1c",
    "handover_lipids",
    "handover_liver",
    "handover_renal",
    "handover_thyroid",
    "adult_mdt_clinic_booked",
    "deputyship_planning",
)


@pytest.mark.parametrize("rule_id", CHANGED_OR_ADDED)
def test_each_changed_or_added_rule_says_why_in_its_source(rules: MilestoneRules, rule_id: str) -> None:
    assert "issue 19" in rules[rule_id].source


def test_the_new_conditions_read_the_patient() -> None:
    assert {"receives_dla", "dla_appointee_parent", "learning_disability", "prescription_condition"} <= set(CONDITIONS)
    assert CONDITIONS["prescription_condition"](patient(hypothyroidism=True))
    assert CONDITIONS["prescription_condition"](patient(diabetes_not_diet_controlled=True))
    assert not CONDITIONS["prescription_condition"](patient())
    assert not CONDITIONS["dla_appointee_parent"](patient(dla_appointee_parent=True))  # no DLA: no appointee
    assert CONDITIONS["dla_appointee_parent"](patient(receives_dla=True, dla_appointee_parent=True))
    assert CONDITIONS["may_lack_capacity"](patient(may_lack_capacity=True))


# ------------------------------------------------------------------------------------------------------------
# Corrected rules
# ------------------------------------------------------------------------------------------------------------


def test_ehcp_review_is_12_months_after_the_last_review_and_runs_to_25(rules: MilestoneRules) -> None:
    person = patient(has_ehcp=True, ehcp_reviewed_on=dt.date(2020, 5, 10), planned_transfer_date=dt.date(2028, 9, 1))
    reviews = sorted(d for (rule, _), d in plan(rules, person).items() if rule == "ehcp_annual_review")
    assert reviews[0] == dt.date(2021, 5, 10)  # not 1 September
    assert reviews == [dt.date(year, 5, 10) for year in range(2021, 2036)]  # past the 2028 transfer, to 25
    assert reviews[-1] <= DOB + relativedelta(years=25)


def test_ehcp_review_without_a_date_starts_in_year_9_and_needs_an_ehcp(rules: MilestoneRules) -> None:
    assert due(rules, patient(has_ehcp=True), "ehcp_annual_review") == dt.date(2024, 9, 1)
    assert due(rules, patient(ehcp_reviewed_on=dt.date(2020, 5, 10)), "ehcp_annual_review") is None


def test_ehcp_review_date_is_not_moved_by_the_school_year_override(rules: MilestoneRules) -> None:
    person = patient(has_ehcp=True, ehcp_reviewed_on=dt.date(2020, 5, 10), school_year_offset=1)
    assert due(rules, person, "ehcp_annual_review") == dt.date(2021, 5, 10)
    assert due(rules, patient(has_ehcp=True, school_year_offset=1), "ehcp_annual_review") == dt.date(2025, 9, 1)


def test_adult_social_care_assessment_is_a_year_before_the_18th_birthday(rules: MilestoneRules) -> None:
    assert due(rules, patient(), "adult_social_care_assessment") == dt.date(2028, 3, 4)
    early_transfer = patient(planned_transfer_date=dt.date(2027, 9, 1))  # the health transfer does not move it
    assert due(rules, early_transfer, "adult_social_care_assessment") == dt.date(2028, 3, 4)


def test_transfer_date_agreed_is_relative_to_the_planned_or_assumed_transfer(rules: MilestoneRules) -> None:
    assert due(rules, patient(), "transfer_date_set") == dt.date(2028, 3, 4)  # 12 months before 18
    planned = patient(planned_transfer_date=dt.date(2027, 10, 1))
    assert due(rules, planned, "transfer_date_set") == dt.date(2026, 10, 1)
    assert rules["transfer_date_set"].done_when == "transfer_planned"


def test_senior_school_planning_only_without_an_ehcp(rules: MilestoneRules) -> None:
    assert due(rules, patient(), "senior_school_planning") == dt.date(2021, 10, 31)
    assert due(rules, patient(), "ehcp_phase_transfer_secondary") is None
    with_plan = patient(has_ehcp=True)
    assert due(rules, with_plan, "senior_school_planning") is None
    assert due(rules, with_plan, "ehcp_phase_transfer_secondary") == dt.date(2022, 2, 15)  # named by 15 February


def test_pip_only_with_dla_and_the_appointee_only_when_a_parent_was_one(rules: MilestoneRules) -> None:
    pip = ("pip_invitation", "pip_claim_started", "pip_appointee")
    assert [due(rules, patient(), r) for r in pip] == [None, None, None]
    dla = patient(receives_dla=True)
    assert [due(rules, dla, r) for r in pip] == [dt.date(2027, 3, 4), dt.date(2027, 4, 1), None]
    appointee = patient(receives_dla=True, dla_appointee_parent=True)
    assert due(rules, appointee, "pip_appointee") == dt.date(2027, 3, 4)


# ------------------------------------------------------------------------------------------------------------
# Added rules: each one's date, and its condition
# ------------------------------------------------------------------------------------------------------------

TRANSFER_AT_18 = dt.date(2029, 3, 4)  # no transfer planned: the assumed age, 18

ADDED = [
    ("coordinated_transition_plan", {}, dt.date(2025, 3, 1)),  # six months after Year 9 starts
    ("send_decisions_to_young_person", {}, last_friday_in_june(2027)),  # Year 11 is 2026/27
    ("ehcp_phase_transfer_reception", {"has_ehcp": True}, dt.date(2015, 2, 15)),
    ("ehcp_phase_transfer_post16_move", {"has_ehcp": True}, dt.date(2029, 3, 31)),
    ("ehcp_ceasing", {"has_ehcp": True}, dt.date(2029, 4, 15)),
    ("chc_identified", {}, dt.date(2025, 3, 4)),
    ("chc_screening", {}, dt.date(2027, 3, 4)),
    ("chc_decision_in_principle", {}, dt.date(2028, 9, 4)),
    ("carers_assessment", {}, dt.date(2028, 3, 4)),
    ("adult_care_plan", {}, dt.date(2029, 3, 4)),
    ("annual_health_check", {"learning_disability": True}, dt.date(2025, 3, 4)),
    ("medical_exemption_certificate", {"diabetes_not_diet_controlled": True}, dt.date(2027, 3, 4)),
    ("medical_exemption_certificate", {"hypothyroidism": True}, dt.date(2027, 3, 4)),
    ("cvi_certificate", {}, dt.date(2025, 3, 4)),
    ("deafblind_assessment", {}, dt.date(2028, 3, 4)),
    ("mobility_braille_training", {}, dt.date(2022, 9, 1)),
    ("disabled_students_allowance", {}, dt.date(2029, 1, 1)),
    ("access_to_work", {}, dt.date(2028, 4, 15)),
    *(
        (f"handover_{line}", {}, TRANSFER_AT_18 - relativedelta(months=3))
        for line in ("ophthalmology", "audiology", "ecg_echo", "cardiac_mri", "hba1c", "lipids", "liver", "renal")
    ),
    ("handover_thyroid", {}, dt.date(2028, 12, 4)),
    ("adult_mdt_clinic_booked", {}, dt.date(2029, 2, 4)),
    ("deputyship_planning", {"may_lack_capacity": True}, dt.date(2028, 3, 4)),
]


@pytest.mark.parametrize(("rule_id", "facts", "expected"), ADDED)
def test_added_rule_falls_due(rules: MilestoneRules, rule_id: str, facts: dict[str, bool], expected: dt.date) -> None:
    assert due(rules, patient(**facts), rule_id) == expected
    if facts:  # a conditional rule: nothing without the fact on the patient
        assert due(rules, patient(), rule_id) is None


def test_annual_health_check_repeats_yearly_to_25(rules: MilestoneRules) -> None:
    checks = sorted(
        d for (rule, _), d in plan(rules, patient(learning_disability=True)).items() if rule == "annual_health_check"
    )
    assert checks == [dt.date(year, 3, 4) for year in range(2025, 2037)]


def test_surveillance_handovers_follow_a_planned_transfer(rules: MilestoneRules) -> None:
    planned = patient(planned_transfer_date=dt.date(2028, 1, 10))
    dates = plan(rules, planned)
    handovers = {rule: d for (rule, _), d in dates.items() if rule.startswith("handover_")}
    assert len(handovers) == 9 and set(handovers.values()) == {dt.date(2027, 10, 10)}
    assert dates[("adult_mdt_clinic_booked", 0)] == dt.date(2027, 12, 10)


# ------------------------------------------------------------------------------------------------------------
# Edges: 29 February, 31 August / 1 September, the school-year override
# ------------------------------------------------------------------------------------------------------------


def test_born_29_february(rules: MilestoneRules) -> None:
    leapling = patient(dt.date(2012, 2, 29), has_ehcp=True, ehcp_reviewed_on=dt.date(2028, 2, 29))
    assert due(rules, leapling, "chc_identified") == dt.date(2026, 2, 28)  # common year: 28 February
    assert due(rules, leapling, "medical_exemption_certificate") is None
    assert due(rules, leapling, "chc_screening") == dt.date(2028, 2, 29)  # 2028 is a leap year
    assert due(rules, leapling, "adult_care_plan") == dt.date(2030, 2, 28)
    assert due(rules, leapling, "transfer_date_set") == dt.date(2029, 2, 28)
    # Reception 2016/17 (turns 5 in February 2017), so Year 11 is 2027/28.
    assert due(rules, leapling, "send_decisions_to_young_person") == last_friday_in_june(2028)
    reviews = sorted(d for (rule, _), d in plan(rules, leapling).items() if rule == "ehcp_annual_review")
    assert reviews[:2] == [dt.date(2029, 2, 28), dt.date(2030, 2, 28)]


def test_born_31_august_and_1_september_a_school_year_apart(rules: MilestoneRules) -> None:
    august = patient(dt.date(2012, 8, 31), has_ehcp=True)
    september = patient(dt.date(2012, 9, 1), has_ehcp=True)
    assert due(rules, august, "send_decisions_to_young_person") == last_friday_in_june(2028)
    assert due(rules, september, "send_decisions_to_young_person") == last_friday_in_june(2029)
    assert due(rules, august, "ehcp_phase_transfer_reception") == dt.date(2016, 2, 15)  # Reception 2016/17
    assert due(rules, september, "ehcp_phase_transfer_reception") == dt.date(2017, 2, 15)  # Reception 2017/18
    assert due(rules, august, "ehcp_annual_review") == dt.date(2025, 9, 1)
    assert due(rules, september, "ehcp_annual_review") == dt.date(2026, 9, 1)
    for rule_id in ("chc_identified", "adult_social_care_assessment", "transfer_date_set"):  # ages: a day apart
        assert (due(rules, september, rule_id) - due(rules, august, rule_id)).days == 1  # type: ignore[operator]


def test_out_of_year_group_child_moves_every_school_year_rule_a_year(rules: MilestoneRules) -> None:
    # Born 31 August 2012, started Reception a year late (School Admissions Code 2.17): school_year_offset = 1.
    facts = dict.fromkeys(FACTS, True)
    in_group = plan(rules, patient(dt.date(2012, 8, 31), **facts))
    held_back = plan(rules, patient(dt.date(2012, 8, 31), school_year_offset=1, **facts))
    by_school_year = {r.id for r in rules.rules if r.due.in_school_year and not r.due.by_age}
    relative_to_them = {r.id for r in rules.rules if r.due.milestone in by_school_year}
    assert {"transition_planning_started", "ehcp_phase_transfer_secondary", "senior_school_planning"} <= by_school_year
    year_later = by_school_year | relative_to_them
    for (rule_id, occurrence), day in in_group.items():
        if rule_id in year_later and occurrence <= 1:  # later repeats run out at the same bound (transfer, 25)
            assert held_back[(rule_id, occurrence)] == day + relativedelta(years=1), rule_id
        elif rule_id not in year_later:  # ages, the transfer, and school years counted by age: unchanged
            assert held_back.get((rule_id, occurrence)) == day, rule_id
    assert len([key for key in in_group if key[0] in year_later]) > 10
    # The end of compulsory school age is a legal age: it stays with the date of birth.
    assert held_back[("send_decisions_to_young_person", 0)] == last_friday_in_june(2028)
    assert held_back[("transition_planning_started", 0)] == dt.date(2026, 9, 1)  # Year 9 a year later
    assert held_back[("ehcp_phase_transfer_secondary", 0)] == dt.date(2024, 2, 15)  # Year 6 is 2023/24


def test_a_child_a_year_ahead_has_school_dates_a_year_earlier(rules: MilestoneRules) -> None:
    ahead = patient(dt.date(2012, 9, 1), school_year_offset=-1, registered_on=dt.date(2012, 10, 1))
    assert due(rules, ahead, "transition_planning_started") == dt.date(2025, 9, 1)
    assert due(rules, ahead, "chc_identified") == dt.date(2026, 9, 1)  # ages unchanged


# ------------------------------------------------------------------------------------------------------------
# school_year: the offset and the last weekday of a month
# ------------------------------------------------------------------------------------------------------------


def test_school_year_functions_take_the_offset() -> None:
    dob = dt.date(2012, 8, 31)
    assert school_year.reception_start_year(dob, offset=1) == 2017
    assert school_year.school_year_on(dob, dt.date(2025, 9, 1)) == 9
    assert school_year.school_year_on(dob, dt.date(2025, 9, 1), offset=1) == 8
    assert school_year.academic_year_start(dob, 9, offset=1) == dt.date(2026, 9, 1)
    assert school_year.date_in_school_year(dob, 6, 2, 15, offset=1) == dt.date(2024, 2, 15)
    assert school_year.term_start(dob, 9, "summer", offset=-1) == dt.date(2025, 4, 15)


def test_last_weekday_in_a_month_of_a_school_year() -> None:
    dob = dt.date(2011, 3, 4)
    assert school_year.last_weekday_in_school_year(dob, 11, 6, 4) == dt.date(2027, 6, 25)  # a Friday
    assert school_year.last_weekday_in_school_year(dob, 11, 6, 2) == dt.date(2027, 6, 30)  # 30 June, a Wednesday
    assert school_year.last_weekday_in_school_year(dob, 11, 6, 4, offset=1) == dt.date(2028, 6, 30)
    with pytest.raises(ValueError, match="weekday"):
        school_year.last_weekday_in_school_year(dob, 11, 6, 7)


# ------------------------------------------------------------------------------------------------------------
# The schema: refused values say what is wrong
# ------------------------------------------------------------------------------------------------------------

NEW_RULE = """
[[milestone]]
id = "alpha"
title = "A fictional step"
category = "health"
owner_role = "specialist nurse"
stage = "Go"
due = { kind = "age", years = 16 }
source = "Fictional guidance for tests"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "service.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def refusal(tmp_path: Path, text: str) -> str:
    with pytest.raises(RulesError) as caught:
        load_rules(write(tmp_path, text).read_text(encoding="utf-8"), "service.toml")
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            NEW_RULE.replace('"specialist nurse"', '"young person"'),
            "'young person' is no longer an owner: the young person's steps are prompted by staff",
        ),
        (NEW_RULE.replace('"specialist nurse"', '"porter"'), "'porter' is not a staff owner"),
        ('[[milestone]]\nid = "personal_folder"\nowner_role = "young person"\n', "no longer an owner"),
        (NEW_RULE + 'done_when = "transfer_done"\n', "unknown done when 'transfer_done'"),
        (NEW_RULE + 'closes_checklist = "yes"\n', "'closes_checklist' must be true or false"),
        (
            NEW_RULE + "repeat = { every_months = 12, until_age_years = 20 }\ncloses_checklist = true\n",
            "closes_checklist needs a one-off rule (no repeat)",
        ),
        (
            NEW_RULE + 'repeat = { every_months = 12, until_age_years = 20 }\ndone_when = "transfer_planned"\n',
            "done_when needs a one-off rule (no repeat)",
        ),
        (NEW_RULE + 'condition = "has_pony"\n', "unknown condition 'has_pony'"),
        ('stages = ["Ready", "Go", "Ready"]\n', "names a stage twice: 'Ready'"),
        ("stages = []\n", "stages"),
        ('stages = "Ready, Go"\n', "stages"),
        ('reviewed_by = "Dr Quinn Gooseberry"\n', "reviewed_by needs reviewed_on"),
        ("reviewed_on = 2026-01-05\n", "reviewed_on needs reviewed_by"),
        ('reviewed_by = "Dr Quinn Gooseberry"\nreviewed_on = "05/01/2026"\n', "must be a date written as YYYY-MM-DD"),
        ('reviewed_by = "Dr Quinn Gooseberry"\nreviewed_on = 2026-01-05T10:00:00\n', "must be a date written as"),
        ('reviewed_by = "Dr Quinn Gooseberry"\nreviewed_on = 2027-01-05\n', "cannot be in the future"),
        ("checklist_closes_at_age = { years = -1 }\n", "must be at least 0"),
        ("checklist_closes_at_age = 25\n", "'checklist_closes_at_age' must be a table"),
        (
            NEW_RULE.replace(
                'kind = "age", years = 16',
                'kind = "school_last_weekday", school_year = 11, month = 6, weekday = "fryday"',
            ),
            "unknown weekday 'fryday'",
        ),
        (NEW_RULE.replace('kind = "age", years = 16', 'kind = "ehcp_review", term = "autumn"'), "needs school_year"),
        (NEW_RULE.replace("years = 16", "years = 16, by_age = true"), "unknown key 'by_age' in 'due'"),
    ],
)
def test_schema_refuses_with_a_clear_reason(tmp_path: Path, text: str, reason: str) -> None:
    assert reason in refusal(tmp_path, text)


def test_service_file_with_its_own_sign_off_and_stages(tmp_path: Path) -> None:
    text = """
        reviewed_by = "Dr Quinn Gooseberry, clinical lead"
        reviewed_on = 2026-11-01
        stages = ["Go", "Ready"]
        checklist_closes_at_age = { years = 21 }

        [[milestone]]
        id = "follow_up_after_transfer"
        closes_checklist = false

        [[milestone]]
        id = "first_adult_appointment"
        closes_checklist = true
        """
    rules = load_rules(textwrap.dedent(text), "service.toml")
    assert rules.reviewed and rules.reviewed_on == dt.date(2026, 11, 1)
    assert rules.review_text() == "Reviewed by Dr Quinn Gooseberry, clinical lead on 01/11/2026"
    assert rules.stages == ("Go", "Ready") and rules.stage_rank("Steady") == 2
    assert rules.checklist_closes_at_age == Period(years=21)
    assert [rule.id for rule in rules.rules if rule.closes_checklist] == ["first_adult_appointment"]


def test_a_sign_off_covers_only_the_file_it_is_in(tmp_path: Path) -> None:
    reviewed = tmp_path / "reviewed.toml"
    reviewed.write_text(
        shipped_rules_path()
        .read_text(encoding="utf-8")
        .replace('reviewed_by = ""', 'reviewed_by = "Dr Quinn Gooseberry"\nreviewed_on = 2026-10-01'),
        encoding="utf-8",
    )
    assert load_rules_files([reviewed]).reviewed
    change = write(tmp_path, '[[milestone]]\nid = "rsg_ready"\nenabled = false\n')
    layered = load_rules_files([reviewed, change])
    assert not layered.reviewed and layered.reviewed_on is None  # the change itself has not been reviewed


# ------------------------------------------------------------------------------------------------------------
# Saved through the database (SQLite and PostgreSQL)
# ------------------------------------------------------------------------------------------------------------


def fictional_nhs_number() -> str:
    while True:
        first_nine = f"998{next(_serial):06d}"
        check = nhs_check_digit(first_nine)
        if check is not None:
            return first_nine + str(check)


@pytest.fixture
def saved(session: Session) -> Iterator[Patient]:
    number = next(_serial)
    yield create_patient(
        session,
        {
            "nhs_number": fictional_nhs_number(),
            "hospital_number": f"TEST19{number}",
            "given_name": "Testpatient",
            "family_name": f"Example{number}",
            "date_of_birth": dt.date(2012, 8, 31),
            "registered_on": dt.date(2012, 10, 1),
        },
    )


def saved_items(session: Session, person: Patient) -> dict[tuple[str, int], TransitionItem]:
    session.expire_all()
    found = session.exec(select(TransitionItem).where(TransitionItem.patient_id == person.id)).all()
    return {(item.rule_id, item.occurrence): item for item in found}


def test_saved_checklist_follows_the_facts_and_the_override(
    session: Session, saved: Patient, rules: MilestoneRules
) -> None:
    for fact in FACTS:
        setattr(saved, fact, True)
    saved.school_year_offset = 1
    saved.ehcp_reviewed_on = dt.date(2026, 6, 1)
    session.add(saved)
    session.flush()
    generate_checklist(session, saved, rules, today=saved.registered_on)
    items = saved_items(session, saved)
    for rule_id in ("pip_appointee", "annual_health_check", "medical_exemption_certificate", "deputyship_planning"):
        assert any(rule == rule_id for rule, _ in items), rule_id
    assert "senior_school_planning" not in {rule for rule, _ in items}  # has an EHCP
    assert {item.owner_role for item in items.values()} <= set(OWNER_ROLES)
    assert items[("transition_planning_started", 0)].due_date == dt.date(2026, 9, 1)  # Year 9, a year behind
    assert items[("send_decisions_to_young_person", 0)].due_date == last_friday_in_june(2028)  # by age
    assert items[("ehcp_annual_review", 1)].due_date == dt.date(2027, 6, 1)
    assert items[("personal_folder", 0)].owner_role == "transition coordinator"
