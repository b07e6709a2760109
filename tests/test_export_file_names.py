"""File names: the clinic date and the family's patient id, never the child's name; which file is whose."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordinator_tui.db import Database
from coordinator_tui.export import export_itineraries
from coordinator_tui.export.file_names import file_name, file_stems, files_by_family, patient_id_of
from tests.export_data import hostile_itinerary, seed_clinic
from tests.postgres_server import both_databases


def test_names_are_ascii_date_and_id_and_the_large_print_page_has_its_own() -> None:
    itinerary = hostile_itinerary("Zoë/../../etc \u202e", "x", "y")
    [stem] = file_stems([itinerary])
    assert stem == "2027-03-28_family-p1" and stem.isascii() and "/" not in stem
    assert file_name(stem, "html") == "2027-03-28_family-p1.html"
    assert file_name(stem, "html", large_print=True) == "2027-03-28_family-p1_large-print.html"
    assert patient_id_of(Path("/x/2027-03-28_family-p18_large-print.html")) == 18
    assert patient_id_of(Path("2027-03-28_family-p18.eml")) == 18
    assert patient_id_of(Path("notes.txt")) is None and patient_id_of(Path("2027-03-28_family-p18x.ics")) is None
    with pytest.raises(ValueError, match="twice"):  # one family twice in one export would overwrite its files
        file_stems([itinerary, itinerary])


@both_databases
def test_which_file_is_whose(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        seed = seed_clinic(session)
        session.commit()
    paths = export_itineraries(db, seed.clinic_id, None, tmp_path, ["ics", "html"], large_print=True)
    listing = files_by_family(db, [*paths, tmp_path / "unrelated.txt"])
    assert [whose for whose, _files in listing] == [
        f"Otherfamily, Zebedee-QXOTHER (patient {seed.other_patient_id})",
        f"Testperson, Ava (patient {seed.patient_id})",
        "",  # a file that is no family's
    ]
    mine = dict(listing)[f"Testperson, Ava (patient {seed.patient_id})"]
    assert [p.name for p in mine] == [
        f"2027-03-29_family-p{seed.patient_id}.ics",
        f"2027-03-29_family-p{seed.patient_id}.html",
        f"2027-03-29_family-p{seed.patient_id}_large-print.html",
    ]
    assert not any("Ava" in p.name or "Testperson" in p.name for p in paths)
