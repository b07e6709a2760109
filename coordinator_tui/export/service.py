"""Export itineraries to files: the one entry point for the app and the command line.

Signature (for the UI)::

    export_itineraries(
        db_or_session: Database | Session,
        clinic_id: int,
        patient_id: int | None,          # None: every confirmed (or attended) family of the clinic
        out_dir: Path | str,
        formats: Iterable[str] = ("ics", "txt", "html"),
        large_print: bool = False,       # HTML in large print for everyone (patients who need it always get it)
        progress_callback: Callable[[int, int], None] | None = None,   # (families done, families in all)
        unconfirmed: bool = False,       # one family who has not replied yet: written only with this
    ) -> list[Path]                        # the files written, in order

A whole-clinic export writes the families who confirmed (or attended) only; ``export_skipped(session, clinic_id)``
says how many it left out and why ("2 not written: 1 has not replied, 1 declined"). A family who declined,
cancelled or did not attend never gets a file.

What the itineraries say of the service (its short name, the phone number families call on the day, the reminder
lead of the calendar files) comes from its details in the database, the same for every coordinator.

Raises ``NotFoundError`` (unknown clinic or patient), ``NotAttendingError`` (a ``NotFoundError``: the patient is
not invited, declined, cancelled or did not attend; ``NotConfirmedError``, one of those: they have not replied and
``unconfirmed`` was not given), ``ValueError`` (unknown format), ``ExportError`` (the folder or a file cannot be
written: one line naming files by clinic and patient id, no file half-written). The folder is created only when
there is something to write in it. With a ``Database`` the SEQUENCE bookkeeping (``ExportedEvent``) is committed
only after every file is written; with a ``Session`` the caller's transaction carries it.

``preview_itineraries(session, clinic_id, patient_id)`` returns the itineraries and the file names that an export
would write, for a preview screen, without writing anything or touching SEQUENCE.

The export screen's use cases, ``itinerary_preview(database, ...)`` and ``export_for_screen(database, ...)``, return
an error the user can act on (``EXPORT_ERRORS``) as one line in their result instead of raising it.

File names: ``<first clinic day>_clinic_<surname>_<given name>.<ext>``, ASCII-folded and lower-cased, e.g.
``2027-03-29_clinic_o-brien_sean.ics``; two families with the same names in one export get ``_p<id>`` added.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session

from coordinator_tui import clock
from coordinator_tui.db import Database
from coordinator_tui.errors import DatabaseError
from coordinator_tui.export.atomic import ExportError, ensure_output_dir, fsync_dir, write_atomic
from coordinator_tui.export.formats import FORMATS, parse_formats
from coordinator_tui.export.ics import CalendarEntry, assign_sequences, calendar_entries, render_ics
from coordinator_tui.export.printable import render_html, render_text
from coordinator_tui.services.errors import NotFoundError
from coordinator_tui.services.itineraries.itinerary import (
    Itinerary,
    NotConfirmedError,
    build_clinic_itineraries,
    build_itinerary,
    skipped_families,
    skipped_text,
)
from coordinator_tui.text_fold import fold

ProgressCallback = Callable[[int, int], None]


def ascii_slug(text: str, fallback: str = "x", max_length: int = 40) -> str:
    """'Seán O'Brien' -> 'sean-o-brien': ASCII letters, digits and single hyphens only (no path separators)."""
    ascii_text = fold(text).encode("ascii", "ignore").decode("ascii")
    slug = "".join(ch if ch.isalnum() else "-" for ch in ascii_text)
    slug = "-".join(part for part in slug.split("-") if part)[:max_length].strip("-")
    return slug or fallback


def file_stem(itinerary: Itinerary) -> str:
    return (
        f"{itinerary.start_date:%Y-%m-%d}_clinic_"
        f"{ascii_slug(itinerary.family_name, 'patient')}_{ascii_slug(itinerary.given_name, str(itinerary.patient_id))}"
    )


def file_stems(itineraries: Sequence[Itinerary]) -> list[str]:
    stems = [file_stem(it) for it in itineraries]
    duplicates = {s for s in stems if stems.count(s) > 1}
    return [f"{s}_p{it.patient_id}" if s in duplicates else s for s, it in zip(stems, itineraries, strict=True)]


@contextmanager
def _session_of(db_or_session: Database | Session) -> Iterator[Session]:
    if isinstance(db_or_session, Session):
        yield db_or_session
    else:
        with db_or_session.session() as session:
            yield session


def _itineraries(
    session: Session, clinic_id: int, patient_id: int | None, unconfirmed: bool = False
) -> list[Itinerary]:
    if patient_id is not None:
        return [build_itinerary(session, clinic_id, patient_id, unconfirmed=unconfirmed)]
    return build_clinic_itineraries(session, clinic_id)


def preview_itineraries(
    session: Session, clinic_id: int, patient_id: int | None, unconfirmed: bool = False
) -> list[tuple[Itinerary, str]]:
    """(itinerary, file stem) pairs an export would write; nothing is written."""
    itineraries = _itineraries(session, clinic_id, patient_id, unconfirmed)
    return list(zip(itineraries, file_stems(itineraries), strict=True))


def export_skipped(session: Session, clinic_id: int) -> str | None:
    """What a whole-clinic export leaves out: '2 not written: 1 has not replied, 1 declined' (None: nobody)."""
    return skipped_text(skipped_families(session, clinic_id))


def export_itineraries(
    db_or_session: Database | Session,
    clinic_id: int,
    patient_id: int | None,
    out_dir: Path | str,
    formats: Iterable[str] = FORMATS,
    large_print: bool = False,
    progress_callback: ProgressCallback | None = None,
    unconfirmed: bool = False,
) -> list[Path]:
    """Write the itineraries of one family (``patient_id``) or of every confirmed family; see the module notes."""
    chosen = parse_formats(formats)
    written: list[Path] = []
    with _session_of(db_or_session) as session:
        # An unknown clinic or patient, or a family not attending: nothing created.
        itineraries = _itineraries(session, clinic_id, patient_id, unconfirmed)
        if not itineraries:
            return written
        directory = ensure_output_dir(Path(out_dir))
        stems = file_stems(itineraries)
        now = clock.now()
        entries: dict[int, list[CalendarEntry]] = {}
        sequences: dict[str, int] = {}
        if "ics" in chosen and itineraries:
            entries = {it.patient_id: calendar_entries(it) for it in itineraries}
            sequences = assign_sequences(session, clinic_id, entries, now)
        total = len(itineraries)
        for done, (itinerary, stem) in enumerate(zip(itineraries, stems, strict=True), start=1):
            for fmt in chosen:
                if fmt == "ics":
                    data = render_ics(itinerary, entries[itinerary.patient_id], sequences, now)
                elif fmt == "txt":
                    data = render_text(itinerary).encode("utf-8")
                else:
                    data = render_html(itinerary, large_print=large_print).encode("utf-8")
                what = f"the .{fmt} itinerary of patient {itinerary.patient_id} at clinic {clinic_id}"
                written.append(write_atomic(directory / f"{stem}.{fmt}", data, what=what, sync_dir=False))
            if progress_callback is not None:
                progress_callback(done, total)
        fsync_dir(directory)  # the renames are durable before the SEQUENCE bookkeeping commits
    return written


# ------------------------------------------------------------------------------------------------------------
# The export screen's use cases: an error the user can act on comes back as one line, inputs kept
# ------------------------------------------------------------------------------------------------------------

#: What an export (or its preview) may raise that the screen shows as one line.
EXPORT_ERRORS: tuple[type[BaseException], ...] = (ExportError, NotFoundError, DatabaseError, ValueError)


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


@dataclass(frozen=True)
class ExportPreview:
    """What an export would write (itinerary, file stem), one family's itinerary as plain text, or why not."""

    previews: list[tuple[Itinerary, str]] = field(default_factory=list)
    text: str | None = None
    error: str | None = None
    skipped: str | None = None  # a whole clinic: the families left out and why
    unconfirmed: str | None = None  # one family: why they have no itinerary unless the nurse says so


def itinerary_preview(
    database: Database, clinic_id: int, patient_id: int | None, unconfirmed: bool = False
) -> ExportPreview:
    """The preview of an export of one family (``patient_id``) or every confirmed family; nothing is written.
    One family who has not replied: ``unconfirmed`` says why (the screen asks before exporting for them)."""
    try:
        with database.session() as session:
            try:
                previews = preview_itineraries(session, clinic_id, patient_id, unconfirmed)
            except NotConfirmedError as exc:
                previews = preview_itineraries(session, clinic_id, patient_id, True)
                not_confirmed: str | None = one_line(exc)
            else:
                not_confirmed = None
            skipped = export_skipped(session, clinic_id) if patient_id is None else None
    except EXPORT_ERRORS as exc:
        return ExportPreview(error=one_line(exc))
    text = render_text(previews[0][0]) if patient_id is not None and previews else None
    return ExportPreview(previews, text, skipped=skipped, unconfirmed=not_confirmed)


@dataclass(frozen=True)
class ExportOutcome:
    """The files written by an export, or the one line saying why nothing (more) was written; ``warning`` when the
    files were written but lack something families need (``missing_phone_warning``)."""

    paths: list[Path] = field(default_factory=list)
    error: str | None = None
    warning: str | None = None
    skipped: str | None = None  # a whole clinic: '2 not written: 1 has not replied, 1 declined'


NO_PHONE_WARNING = (
    "the service's phone number for the day is not set: these itineraries do not say whom to call (enter it on the "
    "Service screen, 5, or with coordinator-tui service set --phone)"
)


def missing_phone_warning(database: Database) -> str | None:
    """``NO_PHONE_WARNING`` while the service's details hold no phone number for the day, else None."""
    from coordinator_tui.services.service_details import service_details

    return None if service_details(database).phone else NO_PHONE_WARNING


def export_for_screen(
    database: Database,
    clinic_id: int,
    patient_id: int | None,
    out_dir: Path,
    formats: Iterable[str],
    large_print: bool,
    progress_callback: ProgressCallback | None = None,
    unconfirmed: bool = False,
) -> ExportOutcome:
    """``export_itineraries`` in a unit of work of its own, an error the user can act on as one line."""
    try:
        paths = export_itineraries(
            database, clinic_id, patient_id, out_dir, formats, large_print, progress_callback, unconfirmed
        )
        skipped = database.read(export_skipped, clinic_id) if patient_id is None else None
    except EXPORT_ERRORS as exc:
        return ExportOutcome(error=one_line(exc))
    return ExportOutcome(paths, warning=missing_phone_warning(database) if paths else None, skipped=skipped)
