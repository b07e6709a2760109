"""The names of the files an export writes: the clinic date and a family reference, never the child's name.

A family's files are named ``<first clinic day>_family-p<patient id>`` (e.g. ``2026-12-14_family-p18.ics``): the
date the coordinator sorts by and the patient's id (the id ``coordinator-tui list patients`` and the export's own
listing show), so a file left in a shared folder or attached to the wrong email names nobody. The export lists
which file is whose (``whose_files``, by the id in the name), for the coordinator only. Names are ASCII, hold no
path separator, and are unique in one export (a patient id is unique). The large-print page has its own name
(``<stem>_large-print.html``), so it never overwrites the standard page; the email draft is ``<stem>.eml``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from sqlmodel import Session, col, select

from coordinator_tui.db import Database
from coordinator_tui.models import Patient
from coordinator_tui.services.itineraries.itinerary import Itinerary

LARGE_PRINT_SUFFIX = "_large-print"


def family_reference(patient_id: int) -> str:
    """'family-p18': how a file names the family (the patient's id), never by name."""
    return f"family-p{patient_id}"


def file_stem(itinerary: Itinerary) -> str:
    """'2026-12-14_family-p18': the first clinic day and the family reference."""
    return f"{itinerary.start_date:%Y-%m-%d}_{family_reference(itinerary.patient_id)}"


def file_stems(itineraries: Sequence[Itinerary]) -> list[str]:
    """The stems of one export's families, in order (unique: one itinerary per patient in an export)."""
    stems = [file_stem(it) for it in itineraries]
    if len(set(stems)) != len(stems):  # the same family twice in one export: a caller's mistake, never a file lost
        raise ValueError("the same family appears twice in one export")
    return stems


def file_name(stem: str, fmt: str, *, large_print: bool = False) -> str:
    """'2026-12-14_family-p18.ics'; the large-print page '2026-12-14_family-p18_large-print.html'."""
    return f"{stem}{LARGE_PRINT_SUFFIX if large_print else ''}.{fmt}"


def family_label(itinerary: Itinerary) -> str:
    """'Testperson, Ava (patient 18)': whose files these are, for the coordinator (never written in a file)."""
    return patient_label(itinerary.family_name, itinerary.given_name, itinerary.patient_id)


def patient_label(family_name: str, given_name: str, patient_id: int) -> str:
    return f"{family_name}, {given_name} (patient {patient_id})"


_FAMILY = re.compile(rf"_family-p(\d+)(?:{LARGE_PRINT_SUFFIX})?$")


def patient_id_of(path: Path) -> int | None:
    """The patient id in an export's file name ('2026-12-14_family-p18.ics' -> 18); None for another file."""
    found = _FAMILY.search(Path(path).stem)
    return int(found.group(1)) if found else None


def whose_files(session: Session, paths: Sequence[Path]) -> list[tuple[str, list[Path]]]:
    """The files of an export grouped by family, in the order written: (whose, for the coordinator, the files).
    A file is matched to its family by the family reference in its name."""
    groups: dict[int | None, list[Path]] = {}
    for path in paths:
        groups.setdefault(patient_id_of(path), []).append(path)
    ids = [pid for pid in groups if pid is not None]
    names = {
        p.id: patient_label(p.family_name, p.given_name, p.id)
        for p in session.exec(select(Patient).where(col(Patient.id).in_(ids))).all()
        if p.id is not None
    }
    return [(names.get(pid, f"patient {pid}") if pid is not None else "", files) for pid, files in groups.items()]


def files_by_family(database: Database, paths: Sequence[Path]) -> list[tuple[str, list[Path]]]:
    """``whose_files`` in a read of its own: the export screen's and the command line's listing."""
    return database.read(whose_files, list(paths))
