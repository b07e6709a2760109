"""``coordinator-tui fhir export (--patient ID | --all) --out DIR``: FHIR R4 Bundles for the hospital's systems;
``coordinator-tui fhir import FILE|DIR [--dry-run]``: such Bundles (or single Patients) read back in.

One Bundle (type ``collection``) per patient, ``patient-<id>.json`` in DIR (created owner-only), each file
owner-only: the patient, the family contacts, the care team's professionals and the care team, the clinic
appointments and the transition checklist as a care plan with its tasks (``export.fhir``). Internal notes are
never in a bundle. Prints each file written and how many. An unknown patient is one line (exit 1), nothing written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from coordinator_tui.cli import CommandError, add_db_argument, record_id
from coordinator_tui.commands.common import open_from_args, say_progress


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fhir = subparsers.add_parser(
        "fhir",
        help="export patients' records as FHIR R4 bundles",
        description="Exchange records with the hospital's systems as FHIR R4 (JSON).",
        epilog="Each action takes --db PATH_OR_URL (the database; see ACTION --help).",
    )
    actions = fhir.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export",
        help="write one FHIR Bundle per patient",
        description="Write one FHIR R4 Bundle (type collection) per patient as DIR/patient-<id>.json: Patient "
        "(NHS number), RelatedPerson (family), Practitioner, PractitionerRole and CareTeam, Appointment, CarePlan "
        "and Task (the transition checklist). Owner-only files; no internal notes; no UK Core profile claimed.",
    )
    whom = export.add_mutually_exclusive_group(required=True)
    whom.add_argument(
        "--patient", type=record_id, action="append", metavar="ID", help="this patient (repeatable; see list patients)"
    )
    whom.add_argument("--all", action="store_true", help="every patient (archived ones too, marked inactive)")
    export.add_argument("--out", required=True, metavar="DIR", help="folder to write to (created owner-only)")
    add_db_argument(export)
    export.set_defaults(func=run_export)
    bring = actions.add_parser(
        "import",
        help="import patients, families and care teams from FHIR bundles",
        description="Import FHIR R4 JSON: Bundles of type collection (as 'fhir export' writes) or single Patient "
        "resources from another system, FILE or every .json file in DIR. Patients are matched by NHS number "
        "(an NHS number with another date of birth goes to the review list, never merged); families, "
        "professionals and care teams come along. Everything is checked first and imported in one transaction: "
        "any problem (file, resource, element, reason) means nothing is written. The checklist is not imported "
        "(made by the app's rules; completed Tasks are compared and noted), nor are appointments.",
    )
    bring.add_argument("path", type=Path, metavar="FILE|DIR", help="a .json file, or a folder of them")
    bring.add_argument("--dry-run", action="store_true", help="print what would change and write nothing")
    add_db_argument(bring)
    bring.set_defaults(func=run_import)


def run_export(args: argparse.Namespace) -> int:
    from coordinator_tui.export.atomic import ExportError
    from coordinator_tui.export.fhir.bundle import FhirError
    from coordinator_tui.export.fhir.service import export_fhir

    db = open_from_args(args, writable=False)
    try:
        paths = export_fhir(db, Path(args.out), None if args.all else list(dict.fromkeys(args.patient)))
    except (ExportError, FhirError) as exc:
        raise CommandError(str(exc)) from None
    finally:
        db.dispose()
    for path in paths:
        print(path)
    bundles = "bundle" if len(paths) == 1 else "bundles"
    print(f"({len(paths)} FHIR {bundles} written)")
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Print the report's lines and its summary; exit 1 (nothing written) when there is any problem."""
    from coordinator_tui.commands.common import take_workstation_settings
    from coordinator_tui.config import database_target
    from coordinator_tui.db import open_database
    from coordinator_tui.services.imports.fhir_import import import_fhir
    from coordinator_tui.services.imports.reading import ImportFileError

    # A dry run stages the import in a transaction and rolls it back (a later table is checked against the records
    # an earlier one would create): the database is opened for writing, but nothing is kept, and the settings file's
    # service-wide values are not moved into it.
    db = open_database(database_target(args.db), writable=True, quick_check=True, progress=say_progress)
    try:
        take_workstation_settings(db, writable=not args.dry_run)
        report = import_fhir(db, args.path, dry_run=args.dry_run)
    except ImportFileError as exc:
        raise CommandError(f"{exc}; nothing imported") from None
    finally:
        db.dispose()
    for line in report.problems:
        print(f"problem: {line}")
    for line in report.lines:
        print(line)
    if report.problems:
        raise CommandError(report.summary())
    print(report.summary())
    return 0
