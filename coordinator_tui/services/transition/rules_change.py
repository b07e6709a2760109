"""A change of the service's milestone rules: first what it would change, then everyone's checklists regenerated.

The rules are service-wide (``Service.milestone_rules``), so a new rules file changes every young person's
checklist. Nothing happens at start-up or silently:

- ``preview(database, new_rules_text, name="", *, batch_size=...) -> RulesChangePreview``: what regenerating every
  non-archived patient's checklist with the new rules would change (patients affected; items added, moved to a new
  date, updated, removed, kept; open items that would become missed, checklists that would close), counted by the
  engine itself (``engine.regenerate_patients(..., dry_run=True)``) in read-only units of work: nothing is written.
  ``new_rules_text`` is the service's own rules file ("" = the shipped rules alone; None = the rules in force,
  unchanged: a rerun). ``RulesError`` when the rules are wrong.
  ``preview_rules_file(database, path)`` reads and checks a file first (``FieldError`` on ``rules_file``).
- ``apply_rules_change(database, preview, *, batch_size=..., progress=None) -> Regeneration``: stores the rules the
  preview was made with (refused with ``ConcurrentEditError``, nothing regenerated, when someone changed the
  service's details since the preview was read), then ``regenerate_everyone``.
- ``regenerate_everyone(database, rules, *, today=None, batch_size=..., progress=None) -> Regeneration``: a batch
  of patients per write (each batch its own short unit of work, so no one waits long behind it). ``progress(done,
  total)`` is called after each batch. A batch that fails (a busy database, a save someone made meanwhile) stops
  the run: the batches before it stay done, and ``Regeneration.stopped`` says why and how far it got. Running it
  again is safe: generation is idempotent, so the finished patients are left as they are and the rest are done.

``preview_lines`` and ``regeneration_line`` are the text the Service screen and ``service rules`` show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coordinator_tui import clock
from coordinator_tui.errors import DatabaseError
from coordinator_tui.services.errors import ConcurrentEditError, NotFoundError
from coordinator_tui.services.service_details import read_rules_file, read_service_details, store_service_rules
from coordinator_tui.services.transition import engine
from coordinator_tui.services.transition.engine import GenerationSummary
from coordinator_tui.services.transition.milestone_rules import MilestoneRules, load_rules
from coordinator_tui.validation import form_text

if TYPE_CHECKING:
    from coordinator_tui.db import Database

#: Patients per unit of work: a batch of a few hundred checklists is written in well under a second.
BATCH_SIZE = 200

Progress = Callable[[int, int], object]


@dataclass(frozen=True)
class NewRules:
    """The service's own rules to put in force: the file's text and name ("" and "": the shipped rules alone)."""

    text: str
    name: str

    @property
    def described(self) -> str:
        if not self.text:
            return "the shipped rules alone"
        return f"{self.name or 'the service’s own rules'}, layered on the shipped rules"


@dataclass(frozen=True)
class RulesChangePreview:
    """What regenerating everyone with ``rules`` would change, as of ``today``. ``new_rules`` None: the rules in
    force are kept (a rerun); ``service_version`` is the service's details as read, for the save that follows."""

    new_rules: NewRules | None
    rules: MilestoneRules
    today: dt.date
    summary: GenerationSummary
    service_version: int
    rules_in_force: str

    @property
    def rules_described(self) -> str:
        return self.new_rules.described if self.new_rules is not None else self.rules_in_force


@dataclass(frozen=True)
class Regeneration:
    """What a regeneration did: ``done`` of ``total`` patients (their batches committed), and ``stopped`` (why it
    stopped before the end; "" when it finished)."""

    total: int
    done: int
    summary: GenerationSummary
    stopped: str = ""

    @property
    def finished(self) -> bool:
        return not self.stopped


def _batches(ids: Sequence[int], batch_size: int) -> list[Sequence[int]]:
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return [ids[start : start + batch_size] for start in range(0, len(ids), batch_size)]


def preview(
    database: Database, new_rules_text: str | None, name: str = "", *, batch_size: int = BATCH_SIZE
) -> RulesChangePreview:
    """What regenerating everyone with the new rules would change (see the module notes); writes nothing."""
    details = database.read(read_service_details)
    new_rules = None if new_rules_text is None else NewRules(new_rules_text, name if new_rules_text else "")
    text, rules_name = (
        (new_rules.text, new_rules.name)
        if new_rules is not None
        else (details.milestone_rules, details.milestone_rules_name)
    )
    rules = load_rules(text, rules_name)
    today = clock.today(details.timezone)
    summary = GenerationSummary()
    for batch in _batches(database.read(engine.active_patient_ids), batch_size):
        summary += database.read(engine.regenerate_patients, batch, rules, today=today, dry_run=True)
    in_force = NewRules(details.milestone_rules, details.milestone_rules_name).described
    return RulesChangePreview(new_rules, rules, today, summary, details.version, in_force)


def preview_rules_file(database: Database, path_text: str, *, batch_size: int = BATCH_SIZE) -> RulesChangePreview:
    """The preview of a rules file's change: the file is read and checked first (``FieldError`` on
    ``rules_file`` when it cannot be read or its rules are wrong; nothing is counted)."""
    rules_file = read_rules_file(path_text)
    return preview(database, rules_file.text, rules_file.name, batch_size=batch_size)


def preview_rules_form(database: Database, form: Mapping[str, Any]) -> RulesChangePreview:
    """The rules form's step (the Service screen): ``form['rules_file']`` is the path typed."""
    return preview_rules_file(database, form_text(form, "rules_file"))


def apply_rules_change(
    database: Database,
    change: RulesChangePreview,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> Regeneration:
    """Store the previewed rules (unless it is a rerun), then regenerate everyone with them."""
    if change.new_rules is not None:
        store_service_rules(database, change.new_rules.text, change.new_rules.name, change.service_version)
    return regenerate_everyone(database, change.rules, today=change.today, batch_size=batch_size, progress=progress)


def regenerate_everyone(
    database: Database,
    rules: MilestoneRules,
    *,
    today: dt.date | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> Regeneration:
    """Every non-archived patient's checklist brought in line with ``rules``, a batch per unit of work."""
    ids = database.read(engine.active_patient_ids)
    total, done, summary = len(ids), 0, GenerationSummary()
    for batch in _batches(ids, batch_size):
        try:
            summary += database.write(engine.regenerate_patients, batch, rules, today=today)
        except (DatabaseError, ConcurrentEditError, NotFoundError) as exc:
            return Regeneration(total, done, summary, stopped=str(exc) or type(exc).__name__)
        done += len(batch)
        if progress is not None:
            progress(done, total)
    return Regeneration(total, done, summary)


# ------------------------------------------------------------------------------------------------------------
# What the screen and the command line say
# ------------------------------------------------------------------------------------------------------------


def _patients(number: int) -> str:
    return f"{number} patient" if number == 1 else f"{number} patients"


def _items(summary: GenerationSummary) -> str:
    parts = [
        f"{summary.added} added",
        f"{summary.moved} moved to a new date",
        f"{summary.updated} updated (title, owner, stage or status)",
        f"{summary.removed} removed (to do, no note)",
    ]
    return "Items: " + ", ".join(parts) + "."


def preview_lines(change: RulesChangePreview) -> list[str]:
    """The preview in a few lines: what would be used, who would change, and how."""
    summary = change.summary
    lines = [f"Rules: {change.rules_described} ({len(change.rules.enabled)} milestones in use)."]
    if not summary.patients:
        return [*lines, "No patients yet: nothing to regenerate."]
    lines.append(
        f"Regenerating {_patients(summary.patients)}' checklists would change {summary.affected} of them."
        if summary.affected
        else f"Regenerating {_patients(summary.patients)}' checklists would change nothing."
    )
    if summary.affected:
        lines.append(_items(summary))
    if summary.missed or summary.closed:
        lines.append(
            f"Of these, {summary.missed} open items would become missed (they can no longer be done) and "
            f"{summary.closed} checklists would close."
        )
    if summary.kept:
        lines.append(
            f"Kept: {summary.kept} items no rule asks for any more, because they are started, finished or have a note."
        )
    return lines


def regeneration_line(result: Regeneration) -> str:
    """One line: what the regeneration did, or how far it got and why it stopped."""
    summary = result.summary
    if not result.total:
        return "No patients yet: no checklists to regenerate."
    changed = (
        f"{summary.affected} changed ({summary.added} items added, {summary.moved} moved, {summary.updated} "
        f"updated, {summary.removed} removed)"
    )
    if summary.missed or summary.closed:
        changed = changed[:-1] + f"; {summary.missed} became missed, {summary.closed} checklists closed)"
    if result.finished:
        return f"Checklists regenerated for {_patients(result.total)}: {changed}."
    return (
        f"Checklists regenerated for {result.done} of {_patients(result.total)} ({changed}), then stopped: "
        f"{result.stopped}. Run it again to finish (the patients already done are left as they are)."
    )
