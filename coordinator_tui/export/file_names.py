"""The names of the files an export writes: the clinic date and a family reference, never the child's name.

A family's files are named ``<first clinic day>_family-p<patient id>`` (e.g. ``2026-12-14_family-p18.ics``): the
date the coordinator sorts by and the patient's id (the id ``coordinator-tui list patients`` and the export's own
listing show), so a file left in a shared folder or attached to the wrong email names nobody. The export lists
which file is whose (``whose_files``), for the coordinator only. Names are ASCII, hold no path separator, and are
unique in one export (a patient id is unique). The large-print page has its own name
(``<stem>_large-print.html``), so it never overwrites the standard page; the email draft is ``<stem>.eml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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
    return f"{itinerary.family_name}, {itinerary.given_name} (patient {itinerary.patient_id})"


def whose_files(paths: Sequence[Path], itineraries: Sequence[Itinerary]) -> list[tuple[str, list[Path]]]:
    """The files of an export grouped by family: (family label, that family's files), in the export's order.
    A file is matched to its family by the family reference in its name."""
    groups: list[tuple[str, list[Path]]] = []
    for itinerary in itineraries:
        marker = f"_{family_reference(itinerary.patient_id)}"
        mine = [p for p in paths if p.stem.removesuffix(LARGE_PRINT_SUFFIX).endswith(marker)]
        if mine:
            groups.append((family_label(itinerary), mine))
    return groups
