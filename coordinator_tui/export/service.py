"""Export itineraries to files: the one entry point for the app and the command line.

Signature (for the UI)::

    export_itineraries(
        db_or_session: Database | Session,
        clinic_id: int,
        patient_id: int | None,          # None: every confirmed (or attended) family of the clinic
        out_dir: Path | str,
        formats: Iterable[str] = ("ics", "txt", "html"),   # and "eml": an unsent email draft (export.eml)
        large_print: bool = False,       # a large-print page as well for everyone (patients who need it get one)
        progress_callback: Callable[[int, int], None] | None = None,   # (families done, families in all)
        unconfirmed: bool = False,       # one family who has not replied yet: written only with this
        note_callback: Callable[[str], None] | None = None,  # one line per family with no email draft, and why
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

File names (``export.file_names``): ``<first clinic day>_family-p<patient id>.<ext>``, e.g.
``2027-03-29_family-p18.ics``, never the child's name; the large-print page ``..._large-print.html`` beside the
standard one. ``file_names.whose_files`` (the export screen and the command line) says which files are whose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, select

from coordinator_tui import clock
from coordinator_tui.db import Database
from coordinator_tui.errors import DatabaseError
from coordinator_tui.export.atomic import ExportError, ensure_output_dir, fsync_dir, write_atomic
from coordinator_tui.export.eml import email_recipients, no_recipients_text, render_eml, secure_marker
from coordinator_tui.export.file_names import family_label, file_name, file_stems
from coordinator_tui.export.formats import DEFAULT_FORMATS, parse_formats
from coordinator_tui.export.ics import CalendarEntry, assign_sequences, calendar_entries, render_ics
from coordinator_tui.export.printable import render_html, render_text
from coordinator_tui.export.withdrawals import (
    cancellation_itinerary,
    cancellation_only_text,
    coming,
    families_no_longer_coming,
    sent_events,
    withdrawals_by_patient,
)
from coordinator_tui.models import ClinicAttendance, ClinicEvent, ClinicStatus, Patient
from coordinator_tui.services.errors import NotFoundError
from coordinator_tui.services.itineraries.itinerary import (
    Itinerary,
    NotAttendingError,
    NotConfirmedError,
    build_clinic_itineraries,
    build_itinerary,
    skipped_families,
    skipped_text,
)
from coordinator_tui.validation import ValidationError

ProgressCallback = Callable[[int, int], None]
NoteCallback = Callable[[str], None]


@contextmanager
def _session_of(db_or_session: Database | Session) -> Iterator[Session]:
    if isinstance(db_or_session, Session):
        yield db_or_session
    else:
        with db_or_session.session() as session:
            yield session


def _itineraries(
    session: Session, clinic_id: int, patient_id: int | None, unconfirmed: bool = False
) -> tuple[list[Itinerary], set[int]]:
    """The itineraries an export writes, and the families among them no longer coming (a cancellation-only file:
    an itinerary with no items). Raises as ``build_itinerary`` does for one family never sent anything."""
    clinic = session.get(ClinicEvent, clinic_id)
    if clinic is None:
        raise NotFoundError(f"no clinic with id {clinic_id}")
    if patient_id is not None:
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise NotFoundError(f"no patient with id {patient_id}")
        place = session.exec(
            select(ClinicAttendance).where(
                col(ClinicAttendance.clinic_event_id) == clinic_id, col(ClinicAttendance.patient_id) == patient_id
            )
        ).first()
        if not coming(clinic, place):
            if sent_events(session, clinic_id, [patient_id]):
                return [cancellation_itinerary(session, clinic, patient)], {patient_id}
            if place is not None and clinic.status is ClinicStatus.CANCELLED:
                raise NotAttendingError(
                    f"clinic {clinic_id} is cancelled and patient {patient_id} was never sent an itinerary for it: "
                    "there is nothing to cancel in their calendar"
                )
        return [build_itinerary(session, clinic_id, patient_id, unconfirmed=unconfirmed)], set()
    itineraries = [] if clinic.status is ClinicStatus.CANCELLED else build_clinic_itineraries(session, clinic_id)
    gone = families_no_longer_coming(session, clinic)
    if gone:
        patients = session.exec(select(Patient).where(col(Patient.id).in_(gone))).all()
        patients = sorted(patients, key=lambda p: (p.family_name.casefold(), p.given_name.casefold(), p.id or 0))
        itineraries += [cancellation_itinerary(session, clinic, p) for p in patients]
    return itineraries, set(gone)


def preview_itineraries(
    session: Session, clinic_id: int, patient_id: int | None, unconfirmed: bool = False
) -> list[tuple[Itinerary, str]]:
    """(itinerary, file stem) pairs an export would write (a family no longer coming: an itinerary with no items,
    their cancellation-only calendar file); nothing is written."""
    itineraries, _ = _itineraries(session, clinic_id, patient_id, unconfirmed)
    return list(zip(itineraries, file_stems(itineraries), strict=True))


def export_skipped(session: Session, clinic_id: int) -> str | None:
    """What a whole-clinic export leaves out, and the families no longer coming who get a cancellation-only
    calendar file: '2 not written: 1 has not replied, 1 declined; 1 family no longer coming gets a calendar file
    cancelling what it was sent' (None: nothing to say)."""
    clinic = session.get(ClinicEvent, clinic_id)
    if clinic is None:
        raise NotFoundError(f"no clinic with id {clinic_id}")
    parts = []
    if clinic.status is ClinicStatus.CANCELLED:
        parts.append("the clinic is cancelled: no itineraries")
    else:
        parts.append(skipped_text(skipped_families(session, clinic_id)))
    gone = len(families_no_longer_coming(session, clinic))
    if gone:
        parts.append(
            f"{gone} {'family' if gone == 1 else 'families'} no longer coming "
            f"{'gets a calendar file (.ics)' if gone == 1 else 'get calendar files (.ics)'} cancelling what "
            f"{'it was' if gone == 1 else 'they were'} sent"
        )
    text = "; ".join(p for p in parts if p)
    return text or None


def export_itineraries(
    db_or_session: Database | Session,
    clinic_id: int,
    patient_id: int | None,
    out_dir: Path | str,
    formats: Iterable[str] = DEFAULT_FORMATS,
    large_print: bool = False,
    progress_callback: ProgressCallback | None = None,
    unconfirmed: bool = False,
    note_callback: NoteCallback | None = None,
) -> list[Path]:
    """Write the itineraries of one family (``patient_id``) or of every confirmed family; see the module notes."""
    chosen = parse_formats(formats)
    written: list[Path] = []
    with _session_of(db_or_session) as session:
        # An unknown clinic or patient, or a family not attending: nothing created.
        itineraries, cancellation_only = _itineraries(session, clinic_id, patient_id, unconfirmed)
        calendars = "ics" in chosen or "eml" in chosen  # the email draft carries the calendar file too
        entries: dict[int, list[CalendarEntry]] = {}
        withdrawn: dict[int, list[CalendarEntry]] = {}
        if calendars:
            entries = {
                it.patient_id: [] if it.patient_id in cancellation_only else calendar_entries(it) for it in itineraries
            }
            calls = {it.patient_id: it.call_on_the_day for it in itineraries}
            withdrawn = withdrawals_by_patient(session, clinic_id, entries, calls)
        # A family no longer coming gets a calendar file cancelling what it was sent, and nothing else.
        if patient_id is not None and cancellation_only and not withdrawn.get(patient_id):
            why = (
                "only a calendar file (.ics) cancelling what they were sent can be written"
                if not calendars
                else "what they were sent was exported before its times were kept, so it cannot be cancelled in a "
                "file: tell the family"
            )
            raise NotAttendingError(f"patient {patient_id} is no longer coming to clinic {clinic_id}: {why}")
        itineraries = [
            it for it in itineraries if it.patient_id not in cancellation_only or withdrawn.get(it.patient_id)
        ]
        if not itineraries:
            return written
        directory = ensure_output_dir(Path(out_dir))
        stems = file_stems(itineraries)
        now = clock.now()
        sequences: dict[str, int] = {}
        if calendars:
            current = {pid: found for pid, found in entries.items() if pid not in cancellation_only}
            sequences = assign_sequences(session, clinic_id, current, now, withdrawn)
        recipients = email_recipients(session, [it.patient_id for it in itineraries]) if "eml" in chosen else {}
        marker = secure_marker(session, clinic_id) if "eml" in chosen else ""
        total = len(itineraries)
        for done, (itinerary, stem) in enumerate(zip(itineraries, stems, strict=True), start=1):
            files: list[tuple[str, str, bytes]] = []  # (format, file name, bytes)
            pid = itinerary.patient_id
            ics = render_ics(itinerary, [*entries[pid], *withdrawn[pid]], sequences, now) if calendars else b""
            if pid in cancellation_only:  # the cancellations only: no itinerary to print or send
                files.append(("ics", file_name(stem, "ics"), ics))
                chosen_here: tuple[str, ...] = ()
            else:
                chosen_here = tuple(chosen)
            text = render_text(itinerary) if {"txt", "eml"} & set(chosen_here) else ""
            html = render_html(itinerary) if {"html", "eml"} & set(chosen_here) else ""
            for fmt in chosen_here:
                if fmt == "ics":
                    files.append((fmt, file_name(stem, fmt), ics))
                elif fmt == "txt":
                    files.append((fmt, file_name(stem, fmt), text.encode("utf-8")))
                elif fmt == "html":
                    files.append((fmt, file_name(stem, fmt), html.encode("utf-8")))
                    if large_print or itinerary.large_print:  # its own name: never over the standard page
                        large = render_html(itinerary, large_print=True).encode("utf-8")
                        files.append((fmt, file_name(stem, fmt, large_print=True), large))
                else:
                    draft = render_eml(
                        itinerary, recipients.get(itinerary.patient_id, []), text=text, html=html, ics=ics,
                        secure_marker=marker,
                    )  # fmt: skip
                    if draft is None:
                        if note_callback is not None:
                            note_callback(no_recipients_text(family_label(itinerary)))
                        continue
                    files.append((fmt, file_name(stem, fmt), draft))
            for fmt, name, data in files:
                what = f"the .{fmt} itinerary of patient {itinerary.patient_id} at clinic {clinic_id}"
                written.append(write_atomic(directory / name, data, what=what, sync_dir=False))
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
    # The families in ``previews`` no longer coming: a calendar file cancelling what they were sent, nothing else.
    cancellation_only: frozenset[int] = frozenset()


def itinerary_preview(
    database: Database, clinic_id: int, patient_id: int | None, unconfirmed: bool = False
) -> ExportPreview:
    """The preview of an export of one family (``patient_id``) or every confirmed family; nothing is written.
    One family who has not replied: ``unconfirmed`` says why (the screen asks before exporting for them). A family
    no longer coming who was sent events: in ``cancellation_only``, their text says what the calendar file does."""
    try:
        with database.session() as session:
            try:
                itineraries, gone = _itineraries(session, clinic_id, patient_id, unconfirmed)
            except NotConfirmedError as exc:
                itineraries, gone = _itineraries(session, clinic_id, patient_id, True)
                not_confirmed: str | None = one_line(exc)
            else:
                not_confirmed = None
            previews = list(zip(itineraries, file_stems(itineraries), strict=True))
            skipped = export_skipped(session, clinic_id) if patient_id is None else None
            sent_count = (
                len(sent_events(session, clinic_id, [patient_id]).get(patient_id, [])) if patient_id in gone else 0
            )
    except EXPORT_ERRORS as exc:
        return ExportPreview(error=one_line(exc))
    text = None
    if patient_id is not None and previews:
        itinerary = previews[0][0]
        text = cancellation_only_text(itinerary, sent_count) if patient_id in gone else render_text(itinerary)
    return ExportPreview(previews, text, skipped=skipped, unconfirmed=not_confirmed, cancellation_only=frozenset(gone))


@dataclass(frozen=True)
class ExportOutcome:
    """The files written by an export, or the one line saying why nothing (more) was written; ``warning`` when the
    files were written but lack something families need (``missing_phone_warning``)."""

    paths: list[Path] = field(default_factory=list)
    error: str | None = None
    warning: str | None = None
    skipped: str | None = None  # a whole clinic: '2 not written: 1 has not replied, 1 declined'
    note: str | None = None  # the families to tell exported: '3 families at 2 clinics: …'
    notes: list[str] = field(default_factory=list)  # e.g. a family with nobody to email: no draft for them


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
    notes: list[str] = []
    try:
        paths = export_itineraries(
            database,
            clinic_id,
            patient_id,
            out_dir,
            formats,
            large_print,
            progress_callback,
            unconfirmed,
            note_callback=notes.append,
        )
        skipped = database.read(export_skipped, clinic_id) if patient_id is None else None
    except EXPORT_ERRORS as exc:
        return ExportOutcome(error=one_line(exc))
    warning = missing_phone_warning(database) if paths else None
    return ExportOutcome(paths, warning=warning, skipped=skipped, notes=notes)


# ------------------------------------------------------------------------------------------------------------
# Every family on the families-to-tell list, in one go
# ------------------------------------------------------------------------------------------------------------


def export_families_to_tell(
    database: Database,
    out_dir: Path | str,
    formats: Iterable[str],
    large_print: bool = False,
    clinic_id: int | None = None,
) -> ExportOutcome:
    """Export every family on the families-to-tell list of every upcoming clinic (or of ``clinic_id``): their
    current itinerary with its cancellations, or, for a family no longer coming, a calendar file cancelling what
    they were sent. The calendar file (.ics) is always among the formats. Each family in a unit of work of its own
    (its files, then its SEQUENCE bookkeeping); an error the user can act on stops there, as one line, the files
    already written listed; a family no file can be written for is a line of ``notes``. ``note`` says what was
    done.
    A withdrawal stays on the list after this until the family is told (``record_family_told``)."""
    from coordinator_tui.services.itineraries.families_to_tell import clinic_to_tell, upcoming_families_to_tell

    paths: list[Path] = []
    notes: list[str] = []
    try:
        clinics = upcoming_families_to_tell(database) if clinic_id is None else [clinic_to_tell(database, clinic_id)]
        clinics = [c for c in clinics if c.families]
        if not clinics:
            return ExportOutcome(note="nobody to tell: no itinerary to export again")
        # The calendar file is always written: it is what carries the cancellations.
        chosen = tuple(dict.fromkeys(("ics", *parse_formats(formats))))
        for clinic in clinics:
            for family in clinic.families:
                try:
                    paths += export_itineraries(
                        database,
                        clinic.clinic_id,
                        family.patient_id,
                        out_dir,
                        chosen,
                        large_print,
                        unconfirmed=True,
                        note_callback=notes.append,
                    )
                except NotAttendingError as exc:  # nothing a file can carry for this family: the list says why
                    notes.append(one_line(exc))
    except EXPORT_ERRORS as exc:
        return ExportOutcome(paths, error=one_line(exc), notes=notes)
    families = sum(len(c.families) for c in clinics)
    note = (
        f"exported for {families} {'family' if families == 1 else 'families'} to tell at {len(clinics)} "
        f"{'clinic' if len(clinics) == 1 else 'clinics'}; a withdrawal stays on the list until the family is told"
    )
    warning = missing_phone_warning(database) if paths else None
    return ExportOutcome(paths, warning=warning, note=note, notes=notes)


#: The choices of the families-to-tell export's form: (label, formats).
TO_TELL_FORMATS = (
    ("Calendar, text and web page (.ics, .txt, .html)", "ics,txt,html"),
    ("Calendar files only (.ics)", "ics"),
    ("Calendar, text, web page and email draft (.eml)", "ics,txt,html,eml"),
)


def export_to_tell_for_form(database: Database, form: Mapping[str, object], *, clinic_id: int | None) -> ExportOutcome:
    """The families-to-tell export's form (folder, formats): a folder left empty, or an export that failed before
    writing anything, is a ``ValidationError`` on ``folder`` (the form stays open, the folder as typed)."""
    folder = str(form.get("folder", "")).strip()
    if not folder:
        raise ValidationError({"folder": "enter the folder to export to"})
    try:
        formats = parse_formats(str(form.get("formats", "")) or "ics")
    except ValueError as exc:
        raise ValidationError({"formats": one_line(exc)}) from None
    outcome = export_families_to_tell(database, Path(folder).expanduser(), formats, clinic_id=clinic_id)
    if outcome.error is not None and not outcome.paths:
        raise ValidationError({"folder": outcome.error})
    return outcome
