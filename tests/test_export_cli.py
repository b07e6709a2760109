"""``coordinator-tui export``: files printed, usage errors exit 2, write problems exit 1 in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from coordinator_tui.cli import main
from coordinator_tui.db import Database
from coordinator_tui.export import atomic
from coordinator_tui.models import ExportedEvent
from tests.export_data import Seed, seed_clinic
from tests.ics_checks import parse_strict
from tests.postgres_server import both_databases, target_of

pytestmark = both_databases


@pytest.fixture
def seeded(db: Database, session: Session) -> Seed:
    seed = seed_clinic(session)
    session.commit()  # release the write lock: the command opens its own connection
    return seed


def _db_args(db: Database) -> list[str]:
    return ["--db", target_of(db)]


def test_exports_one_family_and_prints_each_file(
    db: Database, seeded: Seed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "exports"
    status = main(["export", "--clinic", str(seeded.clinic_id), "--patient", str(seeded.patient_id), "--out", str(out),
                   *_db_args(db)])  # fmt: skip
    assert status == 0
    lines = capsys.readouterr().out.splitlines()
    printed = [line.split("  for ")[0] for line in lines]
    stem = f"2027-03-29_family-p{seeded.patient_id}"  # the date and the family reference, never the child's name
    assert [Path(p).name for p in printed] == [f"{stem}.ics", f"{stem}.txt", f"{stem}.html"]
    # Which file is whose, for the coordinator: the output names the patient the file names do not.
    assert {line.split("  for ")[1] for line in lines} == {f"Testperson, Ava (patient {seeded.patient_id})"}
    assert all(Path(p).is_file() for p in printed)
    parse_strict(Path(printed[0]).read_bytes())
    assert _exported_count(db) == 12  # SEQUENCE bookkeeping committed with the files


def _exported_count(db: Database) -> int:
    with db.session() as s:
        return len(s.exec(select(ExportedEvent)).all())


def test_exports_whole_clinic_with_format_and_large_print(
    db: Database, seeded: Seed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["--db", target_of(db), "export", "--clinic", str(seeded.clinic_id), "--out", str(tmp_path / "o"),
                   "--format", "html", "--large-print"])  # fmt: skip
    assert status == 0
    printed = [line.split("  for ")[0] for line in capsys.readouterr().out.splitlines()]
    # Each family: the standard page and the large-print page, under its own name (neither overwrites the other).
    assert len(printed) == 4 and all(p.endswith(".html") for p in printed)
    large = [p for p in printed if p.endswith("_large-print.html")]
    assert len(large) == 2 and all('class="large-print"' in Path(p).read_text() for p in large)
    assert all('class="large-print"' not in Path(p).read_text() for p in printed if p not in large)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--clinic", "999"], "no clinic with id 999"),
        (["--patient", "999"], "no patient with id 999"),
        (["--patient", "DECLINED"], "has declined clinic"),
        (["--format", "ics,pdf"], "unknown format pdf"),
        (["--format", ""], "no format given"),
        (["--clinic", "abc"], "'abc' is not a record id"),
    ],
)
def test_usage_errors_exit_2(
    db: Database,
    seeded: Seed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    args = {"--clinic": str(seeded.clinic_id), "--out": str(tmp_path / "out")}
    pairs = dict(zip(extra[::2], extra[1::2], strict=True))
    if pairs.get("--patient") == "DECLINED":
        pairs["--patient"] = str(seeded.declined_patient_id)
    args.update(pairs)
    argv = ["export", *[x for kv in args.items() for x in kv], *_db_args(db)]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing created


def test_unwritable_destination_exits_1_in_one_line(
    db: Database, seeded: Seed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    status = main(["export", "--clinic", str(seeded.clinic_id), "--out", str(blocker / "sub"), *_db_args(db)])
    assert status == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("coordinator-tui: cannot create the folder")


def test_write_failure_exits_1_and_leaves_no_file(
    db: Database, seeded: Seed, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic, "create_temp_file", denied)
    out = tmp_path / "out"
    status = main(["export", "--clinic", str(seeded.clinic_id), "--out", str(out), *_db_args(db)])
    assert status == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("coordinator-tui: cannot write") and "permission denied" in err and "\n" not in err
    assert list(out.iterdir()) == []
    assert _exported_count(db) == 0  # rolled back: nothing was sent


def test_missing_database_is_not_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.db"
    status = main(["export", "--clinic", "1", "--out", str(tmp_path / "o"), "--db", str(missing)])
    assert status == 1
    assert "no database" in capsys.readouterr().err
    assert not missing.exists()
