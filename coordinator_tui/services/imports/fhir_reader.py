"""Reading FHIR R4 JSON for the import: a ``Bundle`` of type ``collection`` (as ``fhir export`` writes one per
patient) or a single ``Patient`` resource from another system, into the same tables of text cells the spreadsheet
import reads, so every value goes through the same parsers, matching, plan and audit (``planning``, ``applying``).

Every resource is validated with ``fhir.resources`` (its R4B models) first: a file that is not JSON, a resource
that is not FHIR, a Bundle of another type, or a reference to nothing in the Bundle is a problem naming the
resource (entry number, type and id) and the element. What becomes which row:

- ``Patient``: NHS number (the identifier of system ``https://fhir.nhs.uk/Id/nhs-number``), hospital number (the
  identifier of type ``MR``), name (the official one, else the first; given names joined), birth date, and the
  preferred communication language as the interpreter language. Its own phone, email and address become the
  patient's own contact entry (relationship "self"), as the export writes them from it.
- ``RelatedPerson``: a family contact of its patient (relationship from its text, or the v3 RoleCode PRN / GUARD).
- ``Practitioner`` with its ``PractitionerRole``: a professional (title, names, work phone and email, the role's
  specialty as the discipline, its code as the job title, its organisation by name).
- ``CareTeam``: a care-team membership per participant (the role in the team, the period, the named worker).
- ``Task`` (the exported checklist) is not imported: the app makes the checklist from its rules. Each Task
  completed in the file is kept to be compared with the app's checklist (``FhirTask``).
- ``Appointment``: counted, not imported (clinics are planned in the app). ``CarePlan``: the checklist's container,
  neither imported nor listed. Any other resource is listed as ignored.

Nothing is written anywhere: the files are only read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coordinator_tui.services.imports.columns import COLUMNS, ImportKind
from coordinator_tui.services.imports.reading import MAX_FILE_BYTES, ImportFileError, Table, refuse_database

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
NAMED_WORKER = "Named worker"
_ROLE_CODES = {"PRN": "parent", "GUARD": "guardian", "MTH": "parent", "FTH": "parent", "PRNFOST": "carer"}

#: The FHIR element each field is read from, to name it in a problem.
ELEMENTS: dict[ImportKind, dict[str, str]] = {
    ImportKind.PATIENTS: {
        "nhs_number": f"identifier (system {NHS_NUMBER_SYSTEM})",
        "hospital_number": "identifier (type MR, hospital number)",
        "given_name": "name.given",
        "family_name": "name.family",
        "date_of_birth": "birthDate",
        "interpreter_language": "communication.language",
    },
    ImportKind.CONTACTS: {
        "patient_nhs_number": "patient",
        "name": "name",
        "relationship": "relationship",
        "phone": "telecom (phone)",
        "email": "telecom (email)",
        "address": "address",
        "preferred_method": "telecom.rank",
    },
    ImportKind.PROFESSIONALS: {
        "title": "Practitioner.name.prefix",
        "given_name": "Practitioner.name.given",
        "family_name": "Practitioner.name.family",
        "discipline": "PractitionerRole.specialty",
        "role": "PractitionerRole.code",
        "organisation": "PractitionerRole.organization",
        "phone": "Practitioner.telecom (phone)",
        "email": "Practitioner.telecom (email)",
    },
    ImportKind.CARE_TEAM: {
        "patient_nhs_number": "subject",
        "professional_email": "participant.member",
        "professional_given_name": "participant.member",
        "professional_family_name": "participant.member",
        "discipline": "participant.member",
        "role": "participant.role",
        "start_date": "participant.period.start",
        "end_date": "participant.period.end",
        "is_named_worker": "participant.role (Named worker)",
    },
}

#: The order the kinds are imported in: each needs the records of the ones before it.
ORDER = (ImportKind.PATIENTS, ImportKind.PROFESSIONALS, ImportKind.CONTACTS, ImportKind.CARE_TEAM)


@dataclass(frozen=True)
class FhirTask:
    """A Task the file says is completed: compared with the app's checklist item of the same title."""

    source: str
    patient_nhs_number: str
    title: str


@dataclass
class FhirFile:
    """One file as read: a table per kind (header = the spreadsheet template's), where each row came from, and
    what is not imported."""

    file_name: str
    sha256: str
    tables: dict[ImportKind, Table]
    sources: dict[tuple[ImportKind, int], str]  # (kind, row) -> "entry 3 (RelatedPerson/<id>)"
    problems: list[str] = field(default_factory=list)  # the resource, the element, why
    ignored: Counter[str] = field(default_factory=Counter)  # resource type -> how many
    appointments: int = 0
    completed_tasks: list[FhirTask] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what is read but not as the file has it

    def source(self, kind: ImportKind, row: int) -> str:
        return self.sources.get((kind, row), f"{kind.value} {row}")

    def element(self, kind: ImportKind, column: str) -> str:
        """The FHIR element a problem's column (a template header) was read from."""
        for c in COLUMNS[kind]:
            if c.header == column:
                return ELEMENTS[kind].get(c.field, column)
        return column


def fhir_paths(path: Path) -> list[Path]:
    """``path`` itself, or the ``.json`` files in the folder ``path`` (in name order)."""
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".json" and p.is_file())
        if not found:
            raise ImportFileError(f"{path} holds no .json file")
        return found
    if not path.exists():
        raise ImportFileError(f"no file {path}")
    return [path]


def read_fhir_file(path: Path) -> FhirFile:
    """Read and check one JSON file; its problems are in ``problems`` (``ImportFileError`` only when it cannot be
    read at all)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportFileError(f"{path.name} is too large to import ({size // (1024 * 1024)} MB; at most 50 MB)")
        refuse_database(path)  # before a byte is read: reading a live database drops this process's locks on it
        content = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    result = FhirFile(path.name, hashlib.sha256(content).hexdigest(), {}, {})
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        result.problems.append(f"{path.name}: not a JSON file{where}: nothing read from it")
        return result
    _Reader(result, data).read()
    return result


def _model_problem(resource: dict[str, Any], where: str) -> str | None:
    """Why ``fhir.resources`` refuses ``resource`` (the first element it names), or None."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    kind = resource.get("resourceType")
    try:
        model = get_fhir_model_class(str(kind))
    except (KeyError, ValueError):
        return f"{where}: resourceType '{str(kind)[:40]}' is not a FHIR R4 resource"
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        element = ".".join(str(part) for part in first.get("loc", ()) if part != "__root__") or "(resource)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return f"{where}, {element}: {first.get('msg', 'not valid')}{more}"  # never the value itself
    except Exception as exc:  # fhir.resources raises others for some malformed input
        return f"{where}: not a valid {kind} resource ({type(exc).__name__})"
    return None


def _iso_to_uk(text: Any) -> str:
    """A FHIR date (YYYY-MM-DD, or the date of a dateTime) as DD/MM/YYYY; anything else as given (the form's
    parser then says what is wrong with it)."""
    if not isinstance(text, str):
        return ""
    try:
        return dt.date.fromisoformat(text[:10]).strftime("%d/%m/%Y") if len(text) >= 10 else text
    except ValueError:
        return text


def _text(concept: Any) -> str:
    """A CodeableConcept's text, else its first coding's display, else its code."""
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return str(concept["text"]).strip()
    for coding in concept.get("coding") or []:
        if coding.get("display") or coding.get("code"):
            return str(coding.get("display") or coding.get("code")).strip()
    return ""


def _name(names: Any) -> dict[str, Any]:
    if not isinstance(names, list) or not names:
        return {}
    official = [n for n in names if isinstance(n, dict) and n.get("use") == "official"]
    chosen = official[0] if official else names[0]
    return chosen if isinstance(chosen, dict) else {}


def _telecom(points: Any) -> tuple[str, str, str]:
    """The phone, the email, and the preferred method ("phone", "email" or "") by rank."""
    phones: list[tuple[int, str]] = []
    emails: list[tuple[int, str]] = []
    for point in points if isinstance(points, list) else []:
        rank = int(point.get("rank") or 1000)
        if point.get("system") == "phone" and point.get("value"):
            phones.append((rank, str(point["value"])))
        elif point.get("system") == "email" and point.get("value"):
            emails.append((rank, str(point["value"])))
    phone = min(phones)[1] if phones else ""
    email = min(emails)[1] if emails else ""
    best_phone = min(phones)[0] if phones else 1001
    best_email = min(emails)[0] if emails else 1001
    preferred = "email" if best_email < best_phone else "phone" if phones else "email" if emails else ""
    return phone, email, preferred


def _address(addresses: Any) -> str:
    for address in addresses if isinstance(addresses, list) else []:
        if address.get("text"):
            return str(address["text"])
        parts = [*(address.get("line") or []), address.get("city"), address.get("district"), address.get("postalCode")]
        text = ", ".join(str(p) for p in parts if p)
        if text:
            return text
    return ""


class _Reader:
    def __init__(self, result: FhirFile, data: Any) -> None:
        self.result = result
        self.data = data
        self.rows: dict[ImportKind, list[tuple[str, dict[str, str]]]] = {kind: [] for kind in ORDER}
        self.by_url: dict[str, dict[str, Any]] = {}
        self.where: dict[int, str] = {}

    def problem(self, text: str) -> None:
        self.result.problems.append(f"{self.result.file_name}: {text}")

    def read(self) -> None:
        if not isinstance(self.data, dict):
            self.problem("not a FHIR resource (a JSON object with a resourceType): nothing read from it")
            return
        kind = self.data.get("resourceType")
        if kind == "Patient":
            entries = [("resource", self.data)]
        elif kind == "Bundle":
            if self.data.get("type") != "collection":
                self.problem(
                    f"Bundle type '{str(self.data.get('type'))[:40]}': import reads Bundles of type collection"
                )
                return
            entries = []
            for number, entry in enumerate(self.data.get("entry") or [], start=1):
                resource = entry.get("resource") if isinstance(entry, dict) else None
                if not isinstance(resource, dict):
                    self.problem(f"entry {number}: no resource")
                    continue
                entries.append((f"entry {number}", resource))
                if isinstance(entry.get("fullUrl"), str):
                    self.by_url[entry["fullUrl"]] = resource
        else:
            self.problem(
                f"resourceType '{str(kind)[:40]}': import reads a Bundle (type collection) or a Patient: nothing read"
            )
            return
        checked: list[dict[str, Any]] = []
        for label, resource in entries:
            where = f"{label} ({resource.get('resourceType')}/{str(resource.get('id', ''))[:64]})"
            if label == "resource":
                where = f"{resource.get('resourceType')}/{str(resource.get('id', ''))[:64]}"
            self.where[id(resource)] = where
            problem = _model_problem(resource, where)
            if problem is not None:
                self.problem(problem)
                continue
            checked.append(resource)
            if resource.get("id"):
                self.by_url.setdefault(f"{resource['resourceType']}/{resource['id']}", resource)
        if kind == "Bundle" and not self.result.problems:
            bundle_problem = _model_problem(self.data, "Bundle")
            if bundle_problem is not None:
                self.problem(bundle_problem)
        for resource in checked:
            self.resource(resource)
        for kind_ in ORDER:
            self.result.tables[kind_] = self.table(kind_)

    def add(self, kind: ImportKind, resource: dict[str, Any], values: dict[str, str], part: str = "") -> None:
        self.rows[kind].append((self.where[id(resource)] + part, values))

    def table(self, kind: ImportKind) -> Table:
        columns = COLUMNS[kind]
        rows: list[list[str | dt.date]] = []
        numbers: list[int] = []
        for number, (where, values) in enumerate(self.rows[kind], start=1):
            rows.append([values.get(c.field, "") for c in columns])
            numbers.append(number)
            self.result.sources[(kind, number)] = where
        return Table(self.result.file_name, self.result.sha256, [c.header for c in columns], rows, numbers)

    def resolve(self, reference: Any, wanted: str, resource: dict[str, Any], element: str) -> dict[str, Any] | None:
        target = reference.get("reference") if isinstance(reference, dict) else None
        found = self.by_url.get(target) if isinstance(target, str) else None
        if found is None or found.get("resourceType") != wanted:
            self.problem(f"{self.where[id(resource)]}, {element}: refers to no {wanted} in this Bundle")
            return None
        return found

    def resource(self, resource: dict[str, Any]) -> None:
        kind = resource["resourceType"]
        if kind == "Patient":
            self.patient(resource)
        elif kind == "RelatedPerson":
            self.related_person(resource)
        elif kind == "Practitioner":
            self.practitioner(resource)
        elif kind == "CareTeam":
            self.care_team(resource)
        elif kind == "Task":
            self.task(resource)
        elif kind == "Appointment":
            self.result.appointments += 1
        elif kind not in {"PractitionerRole", "CarePlan"}:  # a role is read with its Practitioner
            self.result.ignored[kind] += 1

    @staticmethod
    def nhs_number(patient: dict[str, Any]) -> str:
        for identifier in patient.get("identifier") or []:
            if identifier.get("system") == NHS_NUMBER_SYSTEM:
                return str(identifier.get("value") or "")
        return ""

    def patient(self, patient: dict[str, Any]) -> None:
        hospital = ""
        for identifier in patient.get("identifier") or []:
            codes = {c.get("code") for c in (identifier.get("type") or {}).get("coding") or []}
            if "MR" in codes or (identifier.get("type") or {}).get("text") == "Hospital number":
                hospital = str(identifier.get("value") or "")
                break
        name = _name(patient.get("name"))
        language = ""
        for communication in patient.get("communication") or []:
            if communication.get("preferred"):
                language = _text(communication.get("language"))
        given = " ".join(str(g) for g in name.get("given") or [])
        family = str(name.get("family") or "")
        values = {
            "nhs_number": self.nhs_number(patient),
            "hospital_number": hospital,
            "given_name": given,
            "family_name": family,
            "date_of_birth": _iso_to_uk(patient.get("birthDate")),
        }
        if language:
            values["interpreter_language"] = language
        self.add(ImportKind.PATIENTS, patient, values)
        if patient.get("active") is False:
            self.result.notes.append(
                f"{self.where[id(patient)]} is inactive in the file: an import never archives a patient (archive "
                "them in the app if they should be)"
            )
        phone, email, preferred = _telecom(patient.get("telecom"))
        address = _address(patient.get("address"))
        if phone or email or address:  # the patient's own contact entry, as the export reads it
            self.add(
                ImportKind.CONTACTS,
                patient,
                {
                    "patient_nhs_number": values["nhs_number"],
                    "name": f"{given} {family}".strip(),
                    "relationship": "self",
                    "phone": phone,
                    "email": email,
                    "address": address,
                    "preferred_method": preferred or "post",
                },
            )

    def related_person(self, person: dict[str, Any]) -> None:
        patient = self.resolve(person.get("patient"), "Patient", person, "patient")
        if patient is None:
            return
        name = _name(person.get("name"))
        text = (
            str(name.get("text") or "").strip()
            or " ".join([*(str(g) for g in name.get("given") or []), str(name.get("family") or "")]).strip()
        )
        relationship = ""
        for concept in person.get("relationship") or []:
            relationship = str(concept.get("text") or "").strip().lower()
            codes = [c.get("code") for c in concept.get("coding") or []]
            if not relationship:
                relationship = next((_ROLE_CODES[c] for c in codes if c in _ROLE_CODES), _text(concept).lower())
            if relationship:
                break
        phone, email, preferred = _telecom(person.get("telecom"))
        address = _address(person.get("address"))
        self.add(
            ImportKind.CONTACTS,
            person,
            {
                "patient_nhs_number": self.nhs_number(patient),
                "name": text,
                "relationship": relationship,
                "phone": phone,
                "email": email,
                "address": address,
                "preferred_method": preferred or ("post" if address else ""),
            },
        )

    def roles_of(self, practitioner: dict[str, Any]) -> list[dict[str, Any]]:
        urls = {url for url, r in self.by_url.items() if r is practitioner}
        return [
            r
            for r in self.by_url.values()
            if r.get("resourceType") == "PractitionerRole" and (r.get("practitioner") or {}).get("reference") in urls
        ]

    def practitioner(self, practitioner: dict[str, Any]) -> None:
        name = _name(practitioner.get("name"))
        phone, email, _preferred = _telecom(practitioner.get("telecom"))
        roles = list({id(r): r for r in self.roles_of(practitioner)}.values())
        role = roles[0] if roles else {}
        values = {
            "title": " ".join(str(p) for p in name.get("prefix") or []),
            "given_name": " ".join(str(g) for g in name.get("given") or []),
            "family_name": str(name.get("family") or ""),
            "discipline": _text((role.get("specialty") or [{}])[0]),
            "role": _text((role.get("code") or [{}])[0]),
            "organisation": str((role.get("organization") or {}).get("display") or ""),
            "phone": phone,
            "email": email,
        }
        self.add(ImportKind.PROFESSIONALS, practitioner, values)
        if practitioner.get("active") is False:
            self.result.notes.append(
                f"{self.where[id(practitioner)]} is inactive in the file: an import never archives a professional "
                "(archive them in the app if they should be)"
            )

    def care_team(self, team: dict[str, Any]) -> None:
        patient = self.resolve(team.get("subject"), "Patient", team, "subject")
        if patient is None:
            return
        read: dict[int, list[tuple[int, dict[str, Any], dict[str, str]]]] = {}  # by Practitioner
        for number, participant in enumerate(team.get("participant") or [], start=1):
            member = (participant.get("member") or {}).get("reference")
            found = self.by_url.get(member) if isinstance(member, str) else None
            if found is not None and found.get("resourceType") == "PractitionerRole":
                found = self.resolve(found.get("practitioner"), "Practitioner", found, "practitioner")
            elif found is None or found.get("resourceType") != "Practitioner":
                self.problem(
                    f"{self.where[id(team)]}, participant {number}, member: refers to no Practitioner or "
                    "PractitionerRole in this Bundle"
                )
                continue
            if found is None:
                continue
            name = _name(found.get("name"))
            _phone, email, _preferred = _telecom(found.get("telecom"))
            roles = [_text(r) for r in participant.get("role") or []]
            disciplines = [_text((r.get("specialty") or [{}])[0]) for r in self.roles_of(found)]
            period = participant.get("period") or {}
            values = {
                "patient_nhs_number": self.nhs_number(patient),
                "professional_email": email,
                "professional_given_name": " ".join(str(g) for g in name.get("given") or []),
                "professional_family_name": str(name.get("family") or ""),
                "discipline": disciplines[0] if disciplines else "",
                "role": next((r for r in roles if r and r != NAMED_WORKER), ""),
                "start_date": _iso_to_uk(period.get("start")),
                "end_date": _iso_to_uk(period.get("end")),
                "is_named_worker": "yes" if NAMED_WORKER in roles else "no",
            }
            read.setdefault(id(found), []).append((number, period, values))
        for memberships in read.values():
            # A professional who left the team and came back is in it twice: the current (or latest) membership is
            # imported, the earlier ones noted (an import keeps one membership per patient and professional).
            current = max(memberships, key=lambda m: ("end" not in m[1], str(m[1].get("start", "")), m[0]))
            for number, _period, values in memberships:
                if number == current[0]:
                    self.add(ImportKind.CARE_TEAM, team, values, f", participant {number}")
                else:
                    self.result.notes.append(
                        f"{self.where[id(team)]}, participant {number}: an earlier membership of a professional "
                        f"who is in the team again (participant {current[0]}): not imported"
                    )

    def task(self, task: dict[str, Any]) -> None:
        if task.get("status") != "completed":
            return
        patient = self.resolve(task.get("for"), "Patient", task, "for")
        if patient is not None and task.get("description"):
            self.result.completed_tasks.append(
                FhirTask(self.where[id(task)], self.nhs_number(patient), str(task["description"]))
            )
