"""``coordinator-tui invite`` and ``attendance set``: invite families to a clinic and record their replies.

    coordinator-tui invite --clinic ID --propose [--db PATH_OR_URL]
    coordinator-tui invite --clinic ID --proposed [--db PATH_OR_URL]
    coordinator-tui invite --clinic ID --patient ID [--patient ID ...] [--db PATH_OR_URL]
    coordinator-tui attendance set --clinic ID --patient ID
                                   --status confirmed|declined|attended|did-not-attend|cancelled|invited
                                   [--by family|service] [--db PATH_OR_URL]

``--propose`` prints who is due and fits the clinic's hours, each with why, then who is due but does not fit (and
why); it writes nothing. ``--proposed`` invites the families proposed; ``--patient`` the ones named. ``attendance
set`` changes one family's status when the rules allow it (a cancellation says who cancelled with ``--by``).

Each prints what it changed. Bad input (a wrong option or value) is one line and exit 2; a change the data refuses
(an unknown clinic or patient, a family already invited, a status change not allowed, such as attended before the
clinic's first day) is one line and exit 1. Either way nothing is written.
"""

from __future__ import annotations

import argparse
import functools
from typing import TYPE_CHECKING

from coordinator_tui.cli import CommandError, add_db_argument, record_id
from coordinator_tui.commands.common import open_from_args
from coordinator_tui.validation import ValidationError

if TYPE_CHECKING:
    from sqlmodel import Session

    from coordinator_tui.services.clinics.invite_proposal import InvitationProposal

STATUS_CHOICES = ("confirmed", "declined", "attended", "did-not-attend", "cancelled", "invited")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    invite = subparsers.add_parser(
        "invite",
        help="propose who is due for a clinic, or invite families to it",
        description="Who is due for review by a clinic and fits its staffed hours (--propose: printed, nothing "
        "written), or invite families: the whole proposal (--proposed) or the patients named (--patient).",
    )
    invite.add_argument("--clinic", type=record_id, required=True, metavar="CLINIC_ID", help="the clinic's id")
    what = invite.add_mutually_exclusive_group(required=True)
    what.add_argument("--propose", action="store_true", help="print the proposed list with reasons; write nothing")
    what.add_argument("--proposed", action="store_true", help="invite every family of the proposed list")
    what.add_argument(
        "--patient", type=record_id, action="append", metavar="PATIENT_ID", help="invite this patient (repeatable)"
    )
    add_db_argument(invite)
    invite.set_defaults(func=functools.partial(run_invite, parser=invite))

    attendance = subparsers.add_parser(
        "attendance",
        help="record a family's reply or whether they came",
        description="A family's status at a clinic: invited, confirmed, declined, attended, did not attend, "
        "cancelled (by the family or the service).",
        epilog="Each action takes --db PATH_OR_URL (the database; see ACTION --help).",
    )
    actions = attendance.add_subparsers(dest="action", metavar="ACTION", required=True)
    set_parser = actions.add_parser(
        "set",
        help="change one family's status",
        description="Change one family's status at a clinic, if allowed: confirmed or declined after the "
        "invitation; attended or did not attend from the clinic's first day; cancelled (say --by whom).",
    )
    set_parser.add_argument("--clinic", type=record_id, required=True, metavar="CLINIC_ID", help="the clinic's id")
    set_parser.add_argument("--patient", type=record_id, required=True, metavar="PATIENT_ID", help="the patient's id")
    set_parser.add_argument("--status", required=True, choices=STATUS_CHOICES, help="the new status")
    set_parser.add_argument(
        "--by", choices=("family", "service"), default=None, help="who cancelled (with --status cancelled)"
    )
    add_db_argument(set_parser)
    set_parser.set_defaults(func=functools.partial(run_set_status, parser=set_parser))


def proposal_lines(proposal: InvitationProposal) -> list[str]:
    """The proposal as printed: the clinic, the hours used, each family proposed and each due one not fitting."""
    lines = [
        f"Clinic {proposal.clinic_id}: {proposal.clinic_name} ({proposal.start_date:%d/%m/%Y})",
        f"Hours (needed of available): {proposal.capacity_text}",
        f"Proposed ({len(proposal.proposed)}):",
    ]
    lines += [f"  patient {f.patient_id}  {f.name}: {f.reason}" for f in proposal.proposed] or ["  nobody"]
    lines.append(f"Due but not fitting the hours ({len(proposal.due_not_fitting)}):")
    lines += [f"  patient {f.patient_id}  {f.name}: {f.reason}; {f.not_fitting}" for f in proposal.due_not_fitting] or [
        "  nobody"
    ]
    if proposal.already_listed:
        lines.append(f"Already on the clinic's list: {proposal.already_listed} (not proposed again)")
    return lines


def run_invite(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from coordinator_tui.services.clinics import invitations, invite_proposal

    db = open_from_args(args)
    try:
        proposal = db.read(invite_proposal.invitation_proposal, args.clinic)
        if args.propose:
            print("\n".join(proposal_lines(proposal)))
            return 0
        ids = [f.patient_id for f in proposal.proposed] if args.proposed else list(args.patient)
        if not ids:
            raise CommandError(f"nobody is proposed for clinic {args.clinic}; nothing written")
        try:
            invited = db.write(invitations.invite_families, args.clinic, ids)
        except ValidationError as exc:
            raise CommandError(_one_message(exc)) from None
        names = db.read(_patient_names, [a.patient_id for a in invited])
    finally:
        db.dispose()
    for attendance in invited:
        print(f"invited patient {attendance.patient_id} ({names[attendance.patient_id]}) to clinic {args.clinic}")
    return 0


def _one_message(exc: ValidationError) -> str:
    return "; ".join(exc.errors.values())


def _patient_names(session: Session, ids: list[int]) -> dict[int, str]:
    from coordinator_tui.models import Patient

    out: dict[int, str] = {}
    for pid in ids:
        patient = session.get(Patient, pid)
        out[pid] = patient.full_name if patient else f"patient {pid}"
    return out


def run_set_status(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from coordinator_tui.services.clinics import invitations

    status = invitations.parse_status(args.status)
    if status is invitations.S.CANCELLED and args.by is None:
        parser.error("--status cancelled needs --by family or --by service")
    if status is not invitations.S.CANCELLED and args.by is not None:
        parser.error("--by is only for --status cancelled")
    db = open_from_args(args)
    try:
        before = db.read(invitations.attendance_of, args.clinic, args.patient).status
        try:
            after = db.write(
                invitations.set_patient_status, args.clinic, args.patient, status, cancelled_by=args.by or ""
            )
        except ValidationError as exc:
            raise CommandError(_one_message(exc)) from None
    except ValidationError as exc:
        raise CommandError(_one_message(exc)) from None
    finally:
        db.dispose()
    was = invitations.status_text(before)
    now = invitations.status_text(after.status, after.cancelled_by)
    print(f"patient {args.patient} at clinic {args.clinic}: {was} -> {now} (recorded by {after.status_changed_by})")
    return 0
