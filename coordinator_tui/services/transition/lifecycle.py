"""A checklist's life: when it closes, what can no longer be done, and what the transfer dates say (pure rules).

The engine (``services.transition.engine``) applies these when it generates a checklist; the screens read
``transfer_warning``. Nothing here touches the database.

Closing
-------
A checklist closes (``closing``), the first of these that applies:

1. an item of a rule with ``closes_checklist`` (shipped: the follow-up six months after transfer) is done: closed
   on the day it was done, or, when a rule that goes on after the transfer still applies (``ongoing_until``: an
   EHCP's annual reviews and the learning disability health check run to 25), on the day the last of them ends;
2. the young person reaches the rules' ``checklist_closes_at_age`` (shipped: 25, the end of the SEND age range):
   closed on that birthday;
3. the patient is archived: closed today.

Closing records ``patient.checklist_closed_on`` and ``checklist_closed_reason`` (plain words) and turns every open
item into "missed", with ``status_reason`` starting "Checklist closed" (``MISSED_AT_CLOSING``): nothing is deleted.
The one exception is the transfer check (below), which stays open until someone deals with it. When nothing
closes the checklist any more (un-archived, a corrected date of birth, the follow-up re-opened), it opens again:
the closing date and reason are cleared, and items missed *only because of the closing* (their reason starts
"Checklist closed") go back to "to do" if their rule still asks for them; items missed for another reason stay
missed.

The transfer check
------------------
When no transfer has been recorded (``transferred_on`` empty) and the transfer date in use (the planned one, else
the assumed one) has passed, the steps dated from the transfer cannot be dated honestly: the transfer may have
happened without being recorded, or been put off. They wait, and ONE item stands for them, "Transfer never
recorded: check what happened" (``TRANSFER_CHECK_ID``), due on the date that passed. Recording the transfer date
(or planning a new one) brings the steps back, dated from it. A young person who reached the closing age with no
transfer recorded gets that one item too (their checklist is closed; the item stays open and on the caseload).

Late joiners
------------
When the assumed transfer would fall less than six months after registration (``LATE_TRANSFER_NOTICE``: NICE NG43
asks for at least six months of support before transfer), the assumed transfer moves to registration + six
months, so the steps before it fall due at registration or after, never after the steps that follow transfer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coordinator_tui.services.transition.milestone_rules import (
    DueKind,
    LateEntry,
    MilestoneRule,
    MilestoneRules,
    Period,
)

TRANSFER_CHECK_ID = "transfer_not_recorded"  # not a rule of the rules file: the engine adds it itself
TRANSFER_CHECK_TITLE = "Transfer never recorded: check what happened (record the transfer date, or plan a new one)"
PLANNED_PASSED_TITLE = "Planned transfer {date} has passed: has the transfer happened? Record it, or plan a new date"
TRANSFER_CHECK_OWNER = "transition coordinator"
TRANSFER_CHECK_CATEGORY = "health"
TRANSFER_CHECK_STAGE = "Transfer"

LATE_TRANSFER_NOTICE = Period(months=6)
TIED_TO_ITS_TIME = Period(months=12)
DEFAULT_CLOSES_AT_AGE = Period(years=25)

MISSED_AT_CLOSING = "Checklist closed"
DONE_BY_PLANNED_DATE = "Done when the planned transfer date was entered"
TRANSFER_PLANNED = "transfer_planned"


def uk(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


@dataclass(frozen=True)
class Closing:
    """When and why a checklist closed (``reason`` in plain words, at most 200 characters)."""

    on: dt.date
    reason: str
    by_age: bool = False

    def missed_reason(self) -> str:
        return f"{MISSED_AT_CLOSING} {uk(self.on)}: {self.reason}"[:400]


def closing(
    patient: Any,
    rules: MilestoneRules,
    done_on: Mapping[str, dt.date],
    today: dt.date,
) -> Closing | None:
    """Why the patient's checklist is closed as of ``today``, or None while it is open. ``done_on``: the
    completion date of each rule's done item (occurrence 0)."""
    for rule in rules.rules:
        if rule.closes_checklist and rule.id in done_on:
            closes_on = max([done_on[rule.id], *ongoing_until(patient, rules)])
            if closes_on <= today:
                return Closing(closes_on, f"Done: {rule.title}"[:200])
    turns = closes_at_age_date(patient, rules)
    if turns is not None and turns <= today:
        return Closing(turns, f"Reached {rules.checklist_closes_at_age} of age (end of transition support)", True)
    if patient.archived:
        return Closing(today, "Patient archived")
    return None


def ongoing_until(patient: Any, rules: MilestoneRules) -> list[dt.date]:
    """When each rule that goes on after the health transfer ends for this patient: the repeating rules that run
    to an age and apply to them (shipped: EHCP annual reviews and the learning disability health check, to 25).
    The follow-up after transfer closes a checklist only once these have ended too: they can still be done."""
    return [
        Period(years=rule.repeat.until_age_years).after(patient.date_of_birth)
        for rule in rules.rules
        if rule.enabled
        and rule.repeat is not None
        and rule.repeat.until_age_years is not None
        and rule.applies_to(patient)
    ]


def closes_at_age_date(patient: Any, rules: MilestoneRules) -> dt.date | None:
    if rules.checklist_closes_at_age is None:
        return None
    return rules.checklist_closes_at_age.after(patient.date_of_birth)


def latest_birth_date_aged(age: Period, today: dt.date) -> dt.date:
    """The latest date of birth of someone who has reached ``age`` by ``today`` (ages add to the date of birth
    with ``relativedelta``, as everywhere in the engine: 29 February + 25 years is 28 February)."""
    cutoff = age.before(today)
    following = cutoff + dt.timedelta(days=1)
    return following if age.after(following) <= today else cutoff


def assumed_transfer(patient: Any, rules: MilestoneRules) -> dt.date | None:
    """The assumed transfer (date of birth + ``assumed_transfer_age``), never sooner than six months after
    registration (``LATE_TRANSFER_NOTICE``)."""
    if rules.assumed_transfer_age is None:
        return None
    registered = patient.registered_on or patient.date_of_birth
    return max(rules.assumed_transfer_age.after(patient.date_of_birth), LATE_TRANSFER_NOTICE.after(registered))


def transfer_unrecorded_since(patient: Any, rules: MilestoneRules, today: dt.date) -> dt.date | None:
    """The planned (else assumed) transfer date, if it has passed with no transfer recorded; else None."""
    if patient.transferred_on is not None:
        return None
    expected = patient.planned_transfer_date or assumed_transfer(patient, rules)
    return expected if expected is not None and expected < today else None


def transfer_check_title(patient: Any) -> str:
    planned = patient.planned_transfer_date
    return TRANSFER_CHECK_TITLE if planned is None else PLANNED_PASSED_TITLE.format(date=uk(planned))


def transfer_warning(patient: Any, today: dt.date) -> str:
    """What to say about the transfer dates, for the patient's record and Transition tab ("" when nothing)."""
    planned = patient.planned_transfer_date
    if patient.transferred_on is not None or planned is None or planned >= today or patient.archived:
        return ""
    return f"Planned transfer {uk(planned)} has passed: has the transfer happened?"


def is_transfer_bound(rule: MilestoneRule, transfer_bound_ids: set[str]) -> bool:
    """Dated from the transfer: a ``transfer`` due date, a repeat until transfer, or relative to such a rule."""
    due = rule.due
    if due.kind is DueKind.TRANSFER or (rule.repeat is not None and rule.repeat.until_transfer):
        return True
    return due.kind is DueKind.AFTER_MILESTONE and due.milestone in transfer_bound_ids


def is_pre_transfer(rule: MilestoneRule) -> bool:
    """A step to take before the transfer: it can no longer be done once the transfer has happened."""
    due = rule.due
    if rule.repeat is not None and rule.repeat.until_transfer:
        return True
    if due.kind is not DueKind.TRANSFER:
        return False
    return due.offset.is_negative() or rule.done_when == TRANSFER_PLANNED


def expires_on(rule: MilestoneRule, base: dt.date) -> dt.date | None:
    """After this date an open item of a one-off rule is past its time and can no longer be done (None: no such
    limit): the rule's late-entry window (it is for an age the young person has passed), or, for a rule the late
    joiner skips (a step tied to its time: a school move, an application deadline) or a step in the months after
    transfer, a year after it fell due (``TIED_TO_ITS_TIME``). Any other rule due at registration whatever the
    delay has no limit."""
    if rule.late_entry_within is not None:
        return rule.late_entry_within.after(base)
    if rule.late_entry is LateEntry.SKIP or is_after_transfer(rule):
        return TIED_TO_ITS_TIME.after(base)
    return None


def is_after_transfer(rule: MilestoneRule) -> bool:
    """A step in the months after transfer (the first adult appointments, the follow-up): a year after it fell due
    it is past its time too."""
    return rule.due.kind is DueKind.TRANSFER and not rule.due.offset.is_negative() and rule.done_when is None
