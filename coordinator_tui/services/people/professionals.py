"""Professionals: the directory of clinicians and workers, at the centre or local.

A professional is added, edited and archived here (each save audited, a stale save refused). Adding or editing
someone who looks like a professional already in the directory (same name and discipline, or same email, case
ignored) is refused with ``LikelyDuplicateError`` unless the caller says the user confirmed it. Archiving someone
who is in a current care team or booked in a future clinic is refused with ``ArchiveNeedsChoiceError`` (naming
what they are in) unless the user chose to end those memberships; the bookings are then returned to be moved.
Nobody who is a patient's named worker is archived: the named worker is handed over first.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, or_, select

from coordinator_tui import clock
from coordinator_tui.clinic_time import DEFAULT_ZONE, to_local
from coordinator_tui.config import shipped_data_file
from coordinator_tui.models import (
    Appointment,
    AppointmentProfessional,
    AppointmentStatus,
    AuditAction,
    CareTeamMember,
    CareTeamStatus,
    ClinicEvent,
    ClinicStaffing,
    ClinicStatus,
    Patient,
    Professional,
    ProfessionalSetting,
)
from coordinator_tui.services.people.text_search import contains
from coordinator_tui.services.safety.records import create_record, get_or_raise, update_record
from coordinator_tui.validation import (
    FieldError,
    FormErrors,
    ValidationError,
    form_text,
    parse_text_fields,
    validate_email,
    validate_uk_phone,
)

TEXT_LIMITS = {"title": 20, "given_name": 100, "family_name": 100, "role": 100, "organisation": 200}
PROFESSIONAL_FIELDS = (
    "title",
    "given_name",
    "family_name",
    "discipline",
    "role",
    "organisation",
    "setting",
    "phone",
    "email",
    "usual_days",
)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_SPELLINGS = {"weds": 2, "thurs": 3, "tues": 1}
#: The most characters of usual clinic days the parser reads ("Monday, Wednesday and Friday" fits easily).
USUAL_DAYS_TEXT_LIMIT = 80
_ACTIVE_BOOKING = (AppointmentStatus.PROPOSED, AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED)
NOT_A_DISCIPLINE = frozenset({"round table"})  # the closing meeting in data/disciplines.toml, not a profession


# ------------------------------------------------------------------------------------------------------------
# The form
# ------------------------------------------------------------------------------------------------------------


def _day_index(word: str) -> int | None:
    if word in _DAY_SPELLINGS:
        return _DAY_SPELLINGS[word]
    if len(word) < 2:
        return None
    found = [i for i, name in enumerate(_DAY_NAMES) if name.startswith(word)]
    return found[0] if len(found) == 1 else None


def parse_usual_days(text: str, field_name: str = "usual_days") -> str:
    """Usual clinic days typed as "Mon, Wed", "monday wednesday" or "tues & thurs", kept as "Mon Wed" in week order."""
    if len(text) > USUAL_DAYS_TEXT_LIMIT:
        raise FieldError(field_name, f"at most {USUAL_DAYS_TEXT_LIMIT} characters")
    days: set[int] = set()
    for word in re.split(r"[\s,;/&+.]+", text.lower()):
        if not word or word == "and":
            continue
        index = _day_index(word)
        if index is None:
            raise FieldError(
                field_name, f"“{word[:20]}” is not a day of the week (type e.g. Mon, Wed or Monday Wednesday)"
            )
        days.add(index)
    return " ".join(WEEKDAYS[i] for i in sorted(days))


def _parse_discipline(text: str, known: Collection[str]) -> str:
    from coordinator_tui.services.clinics.clinic_planning import canonical_discipline

    name = canonical_discipline(text) if text.strip() else ""
    if not name:
        raise FieldError("discipline", "choose a discipline")
    if name not in known:
        raise FieldError("discipline", f"“{name[:40]}” is not a discipline in data/disciplines.toml")
    return name


def parse_professional_form(
    form: Mapping[str, object], known_disciplines: Collection[str] | None = None
) -> dict[str, Any]:
    """The professional form's values, checked; ``ValidationError`` names each wrong field. The discipline must
    be one of ``known_disciplines`` (by default those of ``data/disciplines.toml``)."""
    known_disciplines = file_disciplines() if known_disciplines is None else known_disciplines
    errors = FormErrors()
    values: dict[str, Any] = parse_text_fields(form, errors, TEXT_LIMITS, required={"given_name", "family_name"})
    values["discipline"] = errors.check(
        "discipline", _parse_discipline, form_text(form, "discipline"), known_disciplines
    )
    setting = (form_text(form, "setting") or "centre").strip().lower()
    try:
        values["setting"] = ProfessionalSetting(setting)
    except ValueError:
        errors.add("setting", "choose centre or local")
    values["phone"] = errors.check("phone", validate_uk_phone, form_text(form, "phone"))
    values["email"] = errors.check("email", validate_email, form_text(form, "email"))
    values["usual_days"] = errors.check("usual_days", parse_usual_days, form_text(form, "usual_days"))
    errors.raise_if_any()
    return values


@lru_cache(maxsize=4)
def _file_disciplines(path: str) -> tuple[str, ...]:
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    clinic = [str(name) for name in raw.get("disciplines", {}) if name not in NOT_A_DISCIPLINE]
    others = [str(name).strip().lower() for name in raw.get("other_disciplines", {}).get("names", [])]
    return tuple(dict.fromkeys(clinic + others))


def file_disciplines(path: Path | None = None) -> list[str]:
    """The disciplines of ``data/disciplines.toml`` a professional can have: the clinic's (the closing meeting is
    not one), then the others it lists (a patient's local team)."""
    return list(_file_disciplines(str(path or shipped_data_file("disciplines.toml"))))


def known_disciplines(session: Session) -> list[str]:
    """The disciplines to choose from: those of ``data/disciplines.toml``, then any others already in use."""
    listed = file_disciplines()
    return listed + [name for name in disciplines(session) if name not in listed]


# ------------------------------------------------------------------------------------------------------------
# Likely duplicates
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateMatch:
    """A professional already in the directory that the one being saved looks like."""

    id: int
    description: str  # "#12 Dr Quinn Gooseberry (cardiology, Exampleton Hospital)"


class LikelyDuplicateError(ValidationError):
    """The professional looks like one already in the directory: saved only once the user confirms."""

    def __init__(self, matches: Sequence[Professional]) -> None:
        self.matches = [DuplicateMatch(p.id, describe(p)) for p in matches]  # type: ignore[arg-type]
        super().__init__({"duplicate": "looks like " + "; ".join(m.description for m in self.matches)})


def describe(professional: Professional) -> str:
    """Say who a professional is in one line, "#12 Dr Quinn Gooseberry (cardiology, Exampleton Hospital)"."""
    details = ", ".join(x for x in (professional.discipline, professional.organisation) if x)
    archived = ", archived" if professional.archived else ""
    return f"#{professional.id} {professional.display_name} ({details}{archived})"


def likely_duplicates(
    session: Session, values: Mapping[str, Any], *, ignore_id: int | None = None
) -> list[Professional]:
    """Professionals with the same given and family name and discipline, or the same email (case ignored)."""
    same_name = (
        (func.lower(Professional.given_name) == str(values.get("given_name", "")).lower())
        & (func.lower(Professional.family_name) == str(values.get("family_name", "")).lower())
        & (func.lower(Professional.discipline) == str(values.get("discipline", "")).lower())
    )
    email = str(values.get("email") or "").lower()
    query = select(Professional).where(or_(same_name, func.lower(Professional.email) == email) if email else same_name)
    if ignore_id is not None:
        query = query.where(Professional.id != ignore_id)
    return list(session.exec(query.order_by(Professional.id)).all())


# ------------------------------------------------------------------------------------------------------------
# Add and edit
# ------------------------------------------------------------------------------------------------------------


def create_professional(session: Session, values: Mapping[str, Any], *, allow_duplicate: bool = True) -> Professional:
    if not allow_duplicate:
        matches = likely_duplicates(session, values)
        if matches:
            raise LikelyDuplicateError(matches)
    return create_record(session, Professional(**values))


def update_professional(
    session: Session,
    professional_id: int,
    values: Mapping[str, Any],
    *,
    expected_version: int | None = None,
    allow_duplicate: bool = True,
) -> Professional:
    if not allow_duplicate:
        current = get_or_raise(session, Professional, professional_id)
        merged = {**{name: getattr(current, name) for name in PROFESSIONAL_FIELDS}, **values}
        matches = likely_duplicates(session, merged, ignore_id=professional_id)
        if matches:
            raise LikelyDuplicateError(matches)
    return update_record(session, Professional, professional_id, values, expected_version=expected_version)


# ------------------------------------------------------------------------------------------------------------
# Archive
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Membership:
    """A current care-team membership of the professional."""

    member_id: int
    patient_id: int
    patient_name: str
    role: str
    is_named_worker: bool


@dataclass(frozen=True)
class Booking:
    """A future booking of the professional: an appointment with a patient, or a clinic staffing session."""

    clinic_id: int
    clinic_name: str
    day: dt.date
    start: dt.time
    patient_name: str = ""  # blank for a staffing session
    discipline: str = ""

    def describe(self) -> str:
        who = self.patient_name or "staffing the clinic"
        what = f" ({self.discipline})" if self.discipline else ""
        return f"{self.clinic_name}, {self.day:%d/%m/%Y} {self.start:%H:%M}: {who}{what}"


@dataclass(frozen=True)
class ArchiveImpact:
    """What archiving a professional touches: current care teams and future bookings."""

    memberships: list[Membership] = field(default_factory=list)
    bookings: list[Booking] = field(default_factory=list)

    @property
    def is_clear(self) -> bool:
        return not self.memberships and not self.bookings

    @property
    def named_worker_of(self) -> list[Membership]:
        return [m for m in self.memberships if m.is_named_worker]

    def summary(self) -> str:
        parts = []
        if self.memberships:
            n = len(self.memberships)
            parts.append(f"in the current care team of {n} patient{'s' if n != 1 else ''}")
        if self.bookings:
            n = len(self.bookings)
            parts.append(f"booked in {n} future clinic session{'s' if n != 1 else ''}")
        return " and ".join(parts)


class ArchiveNeedsChoiceError(ValidationError):
    """Archiving would leave the professional in care teams or future clinics: the user chooses what to do."""

    def __init__(self, impact: ArchiveImpact, message: str) -> None:
        self.impact = impact
        super().__init__({"archive": message})


@dataclass(frozen=True)
class ArchiveResult:
    professional: Professional
    ended: list[Membership]
    bookings_to_move: list[Booking]


def _memberships(session: Session, professional_id: int) -> list[Membership]:
    rows = session.exec(
        select(CareTeamMember, Patient)
        .join(Patient, col(Patient.id) == CareTeamMember.patient_id)
        .where(CareTeamMember.professional_id == professional_id, CareTeamMember.status == CareTeamStatus.ACTIVE)
        .order_by(Patient.family_name, Patient.given_name, CareTeamMember.id)
    ).all()
    return [
        Membership(m.id, p.id, f"{p.family_name}, {p.given_name}", m.role, m.is_named_worker)  # type: ignore[arg-type]
        for m, p in rows
    ]


def _future_appointments(session: Session, professional_id: int, zone: str) -> list[Booking]:
    rows = session.exec(
        select(Appointment, ClinicEvent, Patient)
        .join(AppointmentProfessional, col(AppointmentProfessional.appointment_id) == Appointment.id)
        .join(ClinicEvent, col(ClinicEvent.id) == Appointment.clinic_event_id)
        .join(Patient, col(Patient.id) == Appointment.patient_id)
        .where(
            AppointmentProfessional.professional_id == professional_id,
            col(Appointment.status).in_(_ACTIVE_BOOKING),
            col(Appointment.start) >= clock.now(),
            ClinicEvent.status != ClinicStatus.CANCELLED,
        )
    ).all()
    bookings = []
    for appointment, clinic, patient in rows:
        local = to_local(appointment.start, zone)
        name = f"{patient.family_name}, {patient.given_name}"
        bookings.append(Booking(clinic.id, clinic.name, local.date(), local.time(), name, appointment.discipline))  # type: ignore[arg-type]
    return bookings


def _future_staffing(session: Session, professional_id: int, zone: str) -> list[Booking]:
    rows = session.exec(
        select(ClinicStaffing, ClinicEvent)
        .join(ClinicEvent, col(ClinicEvent.id) == ClinicStaffing.clinic_event_id)
        .where(
            ClinicStaffing.professional_id == professional_id,
            col(ClinicStaffing.day) >= clock.today(zone),
            ClinicEvent.status != ClinicStatus.CANCELLED,
        )
    ).all()
    return [Booking(clinic.id, clinic.name, s.day, s.start_time) for s, clinic in rows]  # type: ignore[arg-type]


def archive_impact(session: Session, professional_id: int, zone: str = DEFAULT_ZONE) -> ArchiveImpact:
    """The professional's current care-team memberships and future bookings (appointments and staffing)."""
    get_or_raise(session, Professional, professional_id)
    bookings = _future_appointments(session, professional_id, zone) + _future_staffing(session, professional_id, zone)
    bookings.sort(key=lambda b: (b.day, b.start, b.clinic_name, b.patient_name))
    return ArchiveImpact(_memberships(session, professional_id), bookings)


def _refuse_unless_chosen(impact: ArchiveImpact, end_memberships: bool, seen: ArchiveImpact | None) -> None:
    if impact.named_worker_of:
        names = ", ".join(m.patient_name for m in impact.named_worker_of[:3])
        more = " …" if len(impact.named_worker_of) > 3 else ""
        raise ArchiveNeedsChoiceError(
            impact, f"the named worker of {names}{more}: make someone else the named worker first"
        )
    if impact.is_clear:
        return
    if seen is not None and seen != impact:
        raise ArchiveNeedsChoiceError(impact, "their care teams or bookings changed since you looked: look again")
    if not end_memberships:
        raise ArchiveNeedsChoiceError(
            impact, f"{impact.summary()}: choose to end the memberships and move the bookings"
        )


def _end_membership(session: Session, membership: Membership, today: dt.date) -> None:
    member = get_or_raise(session, CareTeamMember, membership.member_id)
    end = max(today, member.start_date)
    update_record(session, CareTeamMember, membership.member_id, {"status": CareTeamStatus.ENDED, "end_date": end})


def archive_professional(
    session: Session,
    professional_id: int,
    *,
    expected_version: int | None = None,
    end_memberships: bool = False,
    seen: ArchiveImpact | None = None,
    zone: str = DEFAULT_ZONE,
) -> ArchiveResult:
    """Archive the professional. In a current care team or booked in a future clinic: refused unless
    ``end_memberships`` (the memberships end today, audited; the bookings are returned to be moved). ``seen`` is
    the impact the user was shown: if it changed meanwhile, refused."""
    professional = get_or_raise(session, Professional, professional_id)
    if professional.archived:
        raise ValidationError.single("archive", f"{professional.display_name} is already archived")
    impact = archive_impact(session, professional_id, zone)
    _refuse_unless_chosen(impact, end_memberships, seen)
    today = clock.today(zone)
    for membership in impact.memberships:
        _end_membership(session, membership, today)
    archived = update_record(
        session,
        Professional,
        professional_id,
        {"archived": True},
        expected_version=expected_version,
        action=AuditAction.ARCHIVE,
    )
    return ArchiveResult(archived, list(impact.memberships), list(impact.bookings))


def get_professional(session: Session, professional_id: int) -> Professional:
    return get_or_raise(session, Professional, professional_id)


def list_professionals(
    session: Session, *, text: str = "", discipline: str | None = None, include_archived: bool = False
) -> Sequence[Professional]:
    query = select(Professional)
    if not include_archived:
        query = query.where(col(Professional.archived).is_(False))
    if discipline:
        query = query.where(Professional.discipline == discipline)
    for word in text.split():
        query = query.where(
            or_(
                contains(Professional.given_name, word),
                contains(Professional.family_name, word),
                contains(Professional.discipline, word),
                contains(Professional.role, word),
                contains(Professional.organisation, word),
            )
        )
    return session.exec(query.order_by(Professional.family_name, Professional.given_name, Professional.id)).all()


def disciplines(session: Session) -> list[str]:
    return list(session.exec(select(Professional.discipline).distinct().order_by(Professional.discipline)).all())


def patients_of(session: Session, professional_id: int, *, active_only: bool = True) -> Sequence[Patient]:
    """The patients whose care team this professional is in."""
    query = (
        select(Patient)
        .join(CareTeamMember, col(CareTeamMember.patient_id) == Patient.id)
        .where(CareTeamMember.professional_id == professional_id, col(Patient.archived).is_(False))
    )
    if active_only:
        query = query.where(CareTeamMember.status == CareTeamStatus.ACTIVE)
    return session.exec(query.distinct().order_by(Patient.family_name, Patient.given_name)).all()


def patient_counts(session: Session) -> dict[int, int]:
    """Active care-team patient count per professional, for the directory."""
    rows = session.exec(
        select(CareTeamMember.professional_id, func.count(func.distinct(CareTeamMember.patient_id)))
        .where(CareTeamMember.status == CareTeamStatus.ACTIVE)
        .group_by(CareTeamMember.professional_id)
    ).all()
    return {pid: int(n) for pid, n in rows}
