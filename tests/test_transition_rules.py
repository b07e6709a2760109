"""Milestone rules files: the shipped rules, a service's own file layered on top, and refused files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from coordinator_tui.services.service_details import read_rules_file
from coordinator_tui.services.transition.milestone_rules import (
    CATEGORIES,
    OWNER_ROLES,
    DueKind,
    LateEntry,
    Period,
    RulesError,
    load_rules,
    load_rules_file,
    shipped_rules_path,
)
from coordinator_tui.validation import FieldError

# Every rule the issue asks to ship, by id.
REQUIRED_IDS = {
    "rsg_ready",
    "rsg_steady",
    "rsg_go",
    "rsg_hello",
    "transition_planning_started",
    "named_worker_recorded",
    "transition_review",
    "ehcp_annual_review",
    "pip_invitation",
    "pip_claim_started",
    "pip_appointee",
    "ehcp_phase_transfer_secondary",
    "ehcp_phase_transfer_post16",
    "consent_capacity_16",
    "adult_services_identified",
    "meet_adult_practitioners",
    "transfer_date_set",
    "follow_up_after_transfer",
    "school_liaison_secondary",
    "school_liaison_post16",
    "senior_school_planning",
    "post16_employment_planning",
}

VALID_RULE = """
[[milestone]]
id = "alpha"
title = "Alpha step"
category = "health"
owner_role = "specialist nurse"
stage = "Go"
due = { kind = "age", years = 16 }
source = "Fictional guidance for tests"
"""


def write(tmp_path: Path, text: str, name: str = "rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def refused(path: Path) -> RulesError:
    with pytest.raises(RulesError) as info:
        load_rules_file(path)
    return info.value


# ------------------------------------------------------------------------------------------------------------
# The shipped rules
# ------------------------------------------------------------------------------------------------------------


def test_shipped_rules_load_and_cover_the_issue() -> None:
    rules = load_rules()
    ids = {rule.id for rule in rules.rules}
    assert ids >= REQUIRED_IDS
    assert rules.files == (shipped_rules_path(),)
    assert rules.nation == "england"
    assert rules.assumed_transfer_age == Period(years=18)
    for rule in rules.rules:
        assert rule.category in CATEGORIES
        assert rule.owner_role in OWNER_ROLES
        assert rule.source and rule.title and rule.stage
        assert rule.enabled
    assert {rule.category for rule in rules.rules} == set(CATEGORIES)
    assert {rule.due.kind for rule in rules.rules} == set(DueKind)


def test_shipped_rules_encode_the_guidance() -> None:
    rules = load_rules()
    planning = rules["transition_planning_started"]
    assert (planning.due.kind, planning.due.school_year) == (DueKind.SCHOOL_TERM, 9)
    assert planning.late_entry is LateEntry.AT_REGISTRATION
    claim = rules["pip_claim_started"]
    assert (claim.due.milestone, claim.due.offset) == ("pip_invitation", Period(days=28))
    assert rules["pip_invitation"].due.age == Period(years=16)
    assert rules["consent_capacity_16"].due.age == Period(years=16)
    secondary, post16 = rules["ehcp_phase_transfer_secondary"], rules["ehcp_phase_transfer_post16"]
    assert (secondary.due.school_year, secondary.due.month, secondary.due.day) == (6, 2, 15)
    assert (post16.due.school_year, post16.due.month, post16.due.day) == (11, 3, 31)
    for rule_id in ("ehcp_annual_review", "ehcp_phase_transfer_secondary", "ehcp_phase_transfer_post16"):
        assert rules[rule_id].condition == "has_ehcp"
    transition_review, ehcp_review = rules["transition_review"].repeat, rules["ehcp_annual_review"].repeat
    assert transition_review is not None and transition_review.every_months == 12 and transition_review.until_transfer
    # Issue 19: EHCP reviews go on while the plan lasts (up to 25), dated from the patient's last review.
    assert ehcp_review is not None and ehcp_review.every_months == 12 and ehcp_review.until_age_years == 25
    assert rules["ehcp_annual_review"].due.kind is DueKind.EHCP_REVIEW
    assert rules["ehcp_annual_review"].due.school_year == 9
    assert rules["follow_up_after_transfer"].due.offset == Period(months=6)
    assert rules["meet_adult_practitioners"].due.offset.is_negative()
    assert [r.due.age for r in (rules["rsg_ready"], rules["rsg_steady"], rules["rsg_go"])] == [
        Period(years=11),
        Period(years=13),
        Period(years=15),
    ]


def test_rules_come_in_dependency_order() -> None:
    rules = load_rules()
    position = {rule.id: i for i, rule in enumerate(rules.rules)}
    for rule in rules.rules:
        if rule.due.kind is DueKind.AFTER_MILESTONE:
            assert position[rule.due.milestone or ""] < position[rule.id]


# ------------------------------------------------------------------------------------------------------------
# A service's own file
# ------------------------------------------------------------------------------------------------------------


def test_service_file_switches_off_changes_and_adds_rules_by_id(tmp_path: Path) -> None:
    service = write(
        tmp_path,
        """
        assumed_transfer_age = { years = 17, months = 6 }

        [[milestone]]
        id = "rsg_hello"
        enabled = false

        [[milestone]]
        id = "consent_capacity_16"
        lead_time = { months = 4 }
        owner_role = "transition coordinator"

        [[milestone]]
        id = "wheelchair_review"
        title = "Wheelchair service: adult referral made"
        category = "independent living"
        owner_role = "family support worker"
        stage = "Transfer"
        due = { kind = "transfer", months = -9 }
        source = "Local pathway (fictional)"
        """,
        "service.toml",
    )
    rules = load_rules(service.read_text(encoding="utf-8"), service.name)
    shipped = load_rules()
    assert rules.files == (shipped_rules_path(), Path(service.name))  # kept as text in the database
    assert not rules["rsg_hello"].enabled
    assert rules["rsg_hello"].title == shipped["rsg_hello"].title  # only the given key changed
    consent = rules["consent_capacity_16"]
    assert consent.lead_time == Period(months=4)
    assert consent.owner_role == "transition coordinator"
    assert consent.due == shipped["consent_capacity_16"].due
    assert "service.toml" in consent.origin
    assert rules["wheelchair_review"].due.kind is DueKind.TRANSFER
    assert rules.assumed_transfer_age == Period(years=17, months=6)
    assert len(rules) == len(shipped) + 1
    assert len(rules.enabled) == len(shipped)


def test_service_file_can_replace_the_shipped_rules(tmp_path: Path) -> None:
    service = write(tmp_path, "replace_shipped = true\n" + VALID_RULE, "service.toml")
    rules = load_rules(service.read_text(encoding="utf-8"), service.name)
    assert [rule.id for rule in rules.rules] == ["alpha"]
    assert rules.assumed_transfer_age is None


def test_new_rule_in_service_file_needs_every_required_key(tmp_path: Path) -> None:
    service = write(
        tmp_path,
        """
        [[milestone]]
        id = "brand_new"
        title = "Something new"
        """,
        "service.toml",
    )
    with pytest.raises(RulesError) as info:
        load_rules(service.read_text(encoding="utf-8"), service.name)
    problem = info.value.first
    assert problem.path == Path(service.name) and problem.line == 1
    assert "'brand_new' is missing" in problem.reason and "category" in problem.reason
    assert "service.toml, line 1" in str(info.value)


def test_missing_service_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FieldError, match="there is no file at"):
        read_rules_file(str(tmp_path / "nowhere.toml"))


# ------------------------------------------------------------------------------------------------------------
# Refused files: each kind of error, with its line
# ------------------------------------------------------------------------------------------------------------


def test_bad_toml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, VALID_RULE + 'title = "unterminated\n')
    problem = refused(path).first
    assert problem.line == 9
    assert "not valid TOML" in problem.reason


def test_unknown_key_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, VALID_RULE.replace('stage = "Go"', 'stage = "Go"\nowner = "someone"'))
    problem = refused(path).first
    assert problem.line == 7
    assert "unknown key 'owner'" in problem.reason


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        ('category = "health"', 'category = "helth"', 4, "unknown category 'helth'"),
        ('owner_role = "specialist nurse"', 'owner_role = "porter"', 5, "'porter' is not a staff owner"),
        ("years = 16 }", "years = 16, weeks = 2 }", 7, "unknown key 'weeks' in 'due'"),
        ('kind = "age"', 'kind = "birthday"', 7, "unknown kind 'birthday'"),
        (
            'due = { kind = "age", years = 16 }',
            'due = { kind = "school_date", school_year = 6, month = 2, day = 30 }',
            7,
            "not a date in every year",
        ),
        (
            'due = { kind = "age", years = 16 }',
            'due = { kind = "school_term", school_year = 6, term = "winter" }',
            7,
            "unknown term 'winter'",
        ),
        ("years = 16 }", 'years = "sixteen" }', 7, "must be a whole number"),
        ('source = "Fictional guidance for tests"', 'source = ""', 8, "'source' must not be empty"),
        ('id = "alpha"', 'id = "Alpha Step"', 2, "lower-case letters"),
        ('stage = "Go"', 'stage = "Go"\nlead_time = { months = -1 }', 7, "must be at least 0 (got -1)"),
        ('stage = "Go"', 'stage = "Go"\nrepeat = { every_months = 12 }', 7, "needs a bound"),
        ('stage = "Go"', 'stage = "Go"\ncondition = "has_pony"', 7, "unknown condition 'has_pony'"),
        ('stage = "Go"', 'stage = "Go"\nenabled = "no"', 7, "true or false"),
    ],
)
def test_invalid_values_name_line_and_reason(tmp_path: Path, old: str, new: str, line: int, reason: str) -> None:
    assert old in VALID_RULE
    problem = refused(write(tmp_path, VALID_RULE.replace(old, new, 1))).first
    assert problem.line == line, problem
    assert reason in problem.reason, problem
    assert "'alpha'" in problem.reason or "id" in problem.reason


def test_missing_field_names_the_entry_line(tmp_path: Path) -> None:
    path = write(tmp_path, "# header comment" + VALID_RULE.replace('owner_role = "specialist nurse"\n', ""))
    problem = refused(path).first
    assert problem.line == 2
    assert "'alpha' is missing owner_role" in problem.reason


def test_reference_to_unknown_milestone(tmp_path: Path) -> None:
    text = VALID_RULE + VALID_RULE.replace('"alpha"', '"beta"').replace(
        'due = { kind = "age", years = 16 }', 'due = { kind = "after_milestone", milestone = "gamma", days = 28 }'
    )
    problem = refused(write(tmp_path, text)).first
    assert problem.line == 16
    assert "unknown milestone 'gamma'" in problem.reason


def test_cycle_in_offsets(tmp_path: Path) -> None:
    def relative(rule_id: str, target: str) -> str:
        return VALID_RULE.replace('"alpha"', f'"{rule_id}"').replace(
            'due = { kind = "age", years = 16 }', f'due = {{ kind = "after_milestone", milestone = "{target}" }}'
        )

    text = VALID_RULE + relative("beta", "gamma") + relative("gamma", "delta") + relative("delta", "beta")
    error = refused(write(tmp_path, text))
    assert len(error.problems) == 1
    problem = error.first
    assert "cycle: beta -> gamma -> delta -> beta" in problem.reason
    assert problem.line == 16


def test_reference_to_repeating_milestone_is_refused(tmp_path: Path) -> None:
    repeating = VALID_RULE.replace('stage = "Go"', 'stage = "Go"\nrepeat = { every_months = 12, until_age_years = 19 }')
    text = repeating + VALID_RULE.replace('"alpha"', '"beta"').replace(
        'due = { kind = "age", years = 16 }', 'due = { kind = "after_milestone", milestone = "alpha" }'
    )
    problem = refused(write(tmp_path, text)).first
    assert "which repeats" in problem.reason and problem.line == 17


def test_duplicate_id_and_unknown_top_level_key(tmp_path: Path) -> None:
    error = refused(write(tmp_path, "natoin = 'england'\n" + VALID_RULE + VALID_RULE))
    reasons = [(p.line, p.reason) for p in error.problems]
    assert (1, reasons[0][1]) == reasons[0] and "unknown top-level key 'natoin'" in reasons[0][1]
    error = refused(write(tmp_path, VALID_RULE + VALID_RULE))
    assert error.first.line == 10 and "defined twice" in error.first.reason


def test_late_entry_window_needs_at_registration(tmp_path: Path) -> None:
    text = VALID_RULE.replace('stage = "Go"', 'stage = "Go"\nlate_entry_within = { months = 12 }')
    problem = refused(write(tmp_path, text)).first
    assert problem.line == 7 and "needs late_entry" in problem.reason


def test_unknown_nation_is_refused(tmp_path: Path) -> None:
    problem = refused(write(tmp_path, 'nation = "atlantis"\n' + VALID_RULE)).first
    assert problem.line == 1 and "unknown nation 'atlantis'" in problem.reason


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = VALID_RULE.replace('"health"', '"helth"').replace('"specialist nurse"', '"porter"')
    error = refused(write(tmp_path, text))
    assert [p.line for p in error.problems] == [4, 5]
    assert "line 4" in str(error) and "line 5" in str(error)


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ('stage = "Go"', 'stage = "Go"\nlead_time = { years = 1000000000 }', "'lead_time.years' must be at most 100"),
        ('kind = "age", years = 16', 'kind = "transfer", months = -1201', "'due.months' must be at least -1200"),
        (
            'kind = "age", ',
            "",
            "'due' needs a kind (one of: age, school_term, school_date, after_milestone, transfer, "
            "school_last_weekday, ehcp_review)",
        ),
        (", years = 16", "", "'due' needs years"),
        ('due = { kind = "age", years = 16 }', "due = 16", "'due' must be a table in braces"),
        ('stage = "Go"', 'stage = "Go"\nrepeat = { until = "transfer" }', "'repeat' needs every_months"),
    ],
)
def test_values_the_models_refuse(tmp_path: Path, old: str, new: str, reason: str) -> None:
    assert old in VALID_RULE
    problem = refused(write(tmp_path, VALID_RULE.replace(old, new, 1))).first
    assert problem.line == 7 and problem.reason.startswith("milestone 'alpha': ") and reason in problem.reason, problem


def test_problems_of_several_entries_come_in_line_order(tmp_path: Path) -> None:
    text = VALID_RULE.replace("years = 16", "years = 99") + VALID_RULE.replace('"alpha"', '"beta"').replace(
        '"health"', '"helth"'
    )
    error = refused(write(tmp_path, 'nation = "atlantis"\n' + text))
    assert [(p.line, p.reason.split(" (")[0].split(":")[0]) for p in error.problems] == [
        (1, "unknown nation 'atlantis'"),
        (9, "milestone 'alpha'"),
        (15, "milestone 'beta'"),
    ]
