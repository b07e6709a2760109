"""Itineraries go to families who confirmed: a whole-clinic export skips the others and says how many and why; one
family who has not replied needs asking for explicitly (--unconfirmed); one who declined never gets a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordinator_tui.cli import main
from coordinator_tui.db import Database
from coordinator_tui.export.service import export_for_screen, export_itineraries, itinerary_preview
from coordinator_tui.models import AttendanceStatus
from coordinator_tui.services.clinics import invitations
from coordinator_tui.services.itineraries.itinerary import NotAttendingError, NotConfirmedError
from tests.invitation_helpers import DueWorld, due_world
from tests.postgres_server import both_databases

pytestmark = both_databases

S = AttendanceStatus


@pytest.fixture
def world(db: Database) -> DueWorld:
    """Bramble and Damson confirmed, Cherry has not replied, Apple declined."""
    w = db.write(due_world)
    names = ("Apple", "Bramble", "Cherry", "Damson")
    invitations.save_invitations(db, w.clinic_id, [w.patients[n] for n in names])
    for name, status in (("Bramble", S.CONFIRMED), ("Damson", S.CONFIRMED), ("Apple", S.DECLINED)):
        db.write(invitations.set_patient_status, w.clinic_id, w.patients[name], status)
    return w


def stems(paths: list[Path]) -> set[str]:
    """The patient ids in the file names ('2027-03-29_family-p18.txt' -> 'p18')."""
    return {p.name.split("_family-")[1].rsplit(".", 1)[0] for p in paths}


def ids(world: DueWorld, *names: str) -> set[str]:
    return {f"p{world.patients[name]}" for name in names}


def test_the_whole_clinic_writes_confirmed_families_only_and_counts_the_rest(
    db: Database, world: DueWorld, tmp_path: Path
) -> None:
    outcome = export_for_screen(db, world.clinic_id, None, tmp_path / "out", ("txt",), False)
    assert outcome.error is None
    assert stems(outcome.paths) == ids(world, "Bramble", "Damson")
    assert outcome.skipped == "2 not written: 1 has not replied, 1 declined"
    preview = itinerary_preview(db, world.clinic_id, None)
    assert len(preview.previews) == 2 and preview.skipped == outcome.skipped


def test_one_family_who_has_not_replied_needs_the_flag(db: Database, world: DueWorld, tmp_path: Path) -> None:
    cherry = world.patients["Cherry"]
    with pytest.raises(NotConfirmedError, match=f"patient {cherry} has not confirmed clinic {world.clinic_id}"):
        export_itineraries(db, world.clinic_id, cherry, tmp_path / "no", ("txt",))
    assert not (tmp_path / "no").exists()
    preview = itinerary_preview(db, world.clinic_id, cherry)  # the screen shows it, then asks before writing
    assert preview.unconfirmed is not None and "has not confirmed" in preview.unconfirmed
    assert preview.error is None and preview.text is not None
    paths = export_itineraries(db, world.clinic_id, cherry, tmp_path / "yes", ("txt",), unconfirmed=True)
    assert stems(paths) == ids(world, "Cherry")


def test_a_family_who_declined_or_cancelled_never_gets_a_file(db: Database, world: DueWorld, tmp_path: Path) -> None:
    apple = world.patients["Apple"]
    for unconfirmed in (False, True):
        with pytest.raises(NotAttendingError, match="has declined"):
            export_itineraries(db, world.clinic_id, apple, tmp_path / "a", ("txt",), unconfirmed=unconfirmed)
    db.write(
        invitations.set_patient_status, world.clinic_id, world.patients["Damson"], S.CANCELLED, cancelled_by="family"
    )
    with pytest.raises(NotAttendingError, match="has cancelled"):
        export_itineraries(db, world.clinic_id, world.patients["Damson"], tmp_path / "d", ("txt",), unconfirmed=True)
    outcome = export_for_screen(db, world.clinic_id, None, tmp_path / "all", ("txt",), False)
    assert stems(outcome.paths) == ids(world, "Bramble")
    assert outcome.skipped == "3 not written: 1 has not replied, 1 declined, 1 cancelled"
    assert not (tmp_path / "a").exists() and not (tmp_path / "d").exists()


def test_command_line_bulk_says_what_it_skipped_and_one_unconfirmed_family_needs_the_flag(
    db: Database, db_url: str, world: DueWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "cli"
    argv = ["export", "--clinic", str(world.clinic_id), "--out", str(out_dir), "--format", "txt", "--db", db_url]
    # No appointment is booked for anyone yet: refused in one line naming the families, nothing written.
    assert main(argv) == 1
    refused = capsys.readouterr().err.strip()
    assert refused.startswith("coordinator-tui: not written: ") and "\n" not in refused
    assert "no appointment booked" in refused and refused.endswith("add --anyway to write it anyway")
    assert not out_dir.exists()
    code = main([*argv, "--anyway"])
    out, err = capsys.readouterr()
    assert code == 0
    assert stems([Path(line.split("  for ")[0]) for line in out.splitlines()]) == ids(world, "Bramble", "Damson")
    assert err.splitlines()[0] == "coordinator-tui: 2 not written: 1 has not replied, 1 declined"
    cherry = str(world.patients["Cherry"])
    argv = [
        "export",
        "--clinic",
        str(world.clinic_id),
        "--patient",
        cherry,
        "--out",
        str(tmp_path / "c"),
        "--db",
        db_url,
        "--anyway",
    ]
    with pytest.raises(SystemExit) as refused:
        main(argv)
    err = capsys.readouterr().err
    assert refused.value.code == 2
    assert err.splitlines()[-1].endswith(
        f"has not confirmed clinic {world.clinic_id} (no reply yet); add --unconfirmed to write it anyway"
    )
    assert not (tmp_path / "c").exists()
    assert main([*argv, "--unconfirmed"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    apple = str(world.patients["Apple"])
    with pytest.raises(SystemExit) as refused:
        main(
            [
                "export",
                "--clinic",
                str(world.clinic_id),
                "--patient",
                apple,
                "--unconfirmed",
                "--out",
                str(tmp_path / "a"),
                "--db",
                db_url,
            ]
        )
    assert refused.value.code == 2 and "has declined" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()
