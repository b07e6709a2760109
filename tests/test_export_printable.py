"""Plain-text and HTML itineraries, privacy across every output, and atomic owner-only file writing."""

from __future__ import annotations

import html
import os
import re
import stat
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from coordinator_tui.export import ExportError, export_itineraries
from coordinator_tui.export.atomic import write_atomic
from coordinator_tui.export.file_names import file_stem
from coordinator_tui.export.formats import parse_formats
from coordinator_tui.export.printable import render_html, render_text
from coordinator_tui.models import Appointment, AppointmentStatus, ClinicEvent, ClinicStatus, Patient, Service
from coordinator_tui.services.itineraries.itinerary import DEFAULT_WHAT_TO_BRING, Itinerary, build_itinerary
from tests.export_data import OTHER_FAMILY_MARKERS, SECRET_MARKERS, hostile_itinerary, seed_clinic


class Outline(HTMLParser):
    """Collects the tags, the headings and the attributes that could load something from outside."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.headings: list[tuple[str, str]] = []
        self.external: list[str] = []
        self._heading: str | None = None
        self._text: list[str] = []
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang") or ""
        for name in ("src", "href", "srcset", "data"):
            if name in values:
                self.external.append(f"{tag} {name}")
        if tag in ("h1", "h2", "h3"):
            self._heading, self._text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag == self._heading:
            self.headings.append((tag, " ".join("".join(self._text).split())))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading:
            self._text.append(data)


def test_text_itinerary_has_every_item(session: Session) -> None:
    seed = seed_clinic(session)
    text = render_text(build_itinerary(session, seed.clinic_id, seed.patient_id))
    assert text.startswith("Itinerary for Ava Testperson\n")
    for expected in (
        "MONDAY 29 MARCH 2027",
        "TUESDAY 30 MARCH 2027",
        "06:45 – 09:05  Travel to the clinic (train)",
        "Booking reference: TRN-OUT-1",
        "09:30 – 10:15  Eye clinic (ophthalmology)",
        "With: Dr Nora Fictional",
        "Where: Room 3, Eye Block",
        "Please note: Bring your glasses; nothing to eat after midnight.",
        "Fasting: Please follow the fasting instructions for the Eye clinic (ophthalmology) at 09:30 on Monday 29",
        "10:45 – 11:30  Break",
        "12:00 – 13:00  Lunch break",
        "14:00 – 14:30  CANCELLED: Physiotherapist (movement and exercise)",
        "14:30 – 15:00  Break",
        "Psychologist (feelings and wellbeing) (to be confirmed)",
        "15:00          Hotel check-in: Fictional Lodge\n               Check in from: 15:00",
        "Phone: 0300 000 0000",
        "10:00          Hotel check-out: Fictional Lodge\n               Check out by: 10:00",
        "11:00 – 12:00  Meeting with your care team",
        "14:30 – 17:00  Travel home (train)",
        "Please note: Please bring the red book.",
        "WHAT TO BRING\n=============\n- Any medicines you take (or a list of them)\n",
    ):
        assert expected in text, expected
    assert text.index("Travel to the clinic") < text.index("09:30 – 10:15  Eye clinic") < text.index("Travel home")
    assert "Olu Madeup and Dr Priya Placeholder" not in text  # the care team meeting lists no names


def test_html_is_self_contained_semantic_and_escaped(session: Session) -> None:
    seed = seed_clinic(session, patient_given="<script>alert('x')</script>", patient_family='"&amp;')
    page = render_html(build_itinerary(session, seed.clinic_id, seed.patient_id))
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert '"&amp;' not in page and "&quot;&amp;amp;" in page
    outline = Outline()
    outline.feed(page)
    assert outline.lang == "en-GB"
    assert outline.external == []
    assert "script" not in outline.tags and "link" not in outline.tags and "img" not in outline.tags
    assert not re.search(r"url\(|@import|https?://", page)
    levels = [h for h, _ in outline.headings]
    assert levels[0] == "h1" and levels.count("h1") == 1
    assert [t for h, t in outline.headings if h == "h2"] == [
        "What to bring",
        "Monday 29 March 2027",
        "Tuesday 30 March 2027",
    ]
    appointment_blocks = re.findall(r'<li class="item appointment[^"]*">', page)
    assert len(appointment_blocks) == 8  # one block per appointment
    cancelled = [t for h, t in outline.headings if h == "h3" and "Physiotherapist" in t]
    assert cancelled == ["14:00 to 14:30 Cancelled: Physiotherapist (movement and exercise)"]  # in words


def _font_size_pt(page: str) -> float:
    sizes = re.findall(r"body \{[^}]*font-size: (\d+(?:\.\d+)?)pt", page)
    return float(sizes[-1])


def test_large_print(session: Session) -> None:
    seed = seed_clinic(session)
    itinerary = build_itinerary(session, seed.clinic_id, seed.patient_id)
    standard, large = render_html(itinerary), render_html(itinerary, large_print=True)
    assert _font_size_pt(standard) < 18 <= _font_size_pt(large)
    assert 'class="large-print"' in large
    for page in (standard, large):
        assert "html { background: #fff; color: #000; }" in page  # black on white
    # The patient's recorded need gives large print without asking.
    patient = session.get(Patient, seed.patient_id)
    assert patient is not None
    patient.large_print = True
    session.add(patient)
    session.flush()
    assert _font_size_pt(render_html(build_itinerary(session, seed.clinic_id, seed.patient_id))) >= 18


def test_privacy_no_internal_text_in_any_output(session: Session, tmp_path: Path) -> None:
    seed = seed_clinic(session)
    one = export_itineraries(session, seed.clinic_id, seed.patient_id, tmp_path / "one")
    assert {p.suffix for p in one} == {".ics", ".txt", ".html"}
    patient = session.get(Patient, seed.patient_id)
    assert patient is not None
    for path in one:
        content = path.read_bytes().decode("utf-8")
        for marker in [*SECRET_MARKERS.values(), *OTHER_FAMILY_MARKERS.values(), patient.nhs_number]:
            assert marker not in content, (marker, path.name)
    everyone = export_itineraries(session, seed.clinic_id, None, tmp_path / "all")
    assert len(everyone) == 6
    for path in everyone:
        content = path.read_bytes().decode("utf-8")
        for marker in SECRET_MARKERS.values():
            assert marker not in content, (marker, path.name)
        if f"family-p{seed.patient_id}." in path.name:
            for marker in OTHER_FAMILY_MARKERS.values():
                assert marker not in content
        else:
            assert "Ava" not in content and "Testperson" not in content
    assert not any("declined" in p.name for p in everyone)


def test_file_names_are_safe_and_readable(session: Session) -> None:
    seed = seed_clinic(session, patient_given="Seán", patient_family="O'Brien-Ærø/../..\\x")
    stem = file_stem(build_itinerary(session, seed.clinic_id, seed.patient_id))
    assert stem == f"2027-03-29_family-p{seed.patient_id}"  # the date and the family reference, never the name
    assert parse_formats("ics, HTML") == ("ics", "html")
    with pytest.raises(ValueError, match="unknown format pdf"):
        parse_formats("ics,pdf")
    with pytest.raises(ValueError, match="no format"):
        parse_formats(" , ")


def test_same_names_get_distinct_files(session: Session, tmp_path: Path) -> None:
    seed = seed_clinic(session)
    other = session.get(Patient, seed.other_patient_id)
    assert other is not None
    other.given_name, other.family_name = "Ava", "Testperson"
    session.add(other)
    session.flush()
    paths = export_itineraries(session, seed.clinic_id, None, tmp_path, ["txt"])
    assert len({p.name for p in paths}) == 2
    assert {p.name for p in paths} == {f"2027-03-29_family-p{pid}.txt" for pid in (seed.patient_id, other.id)}


def test_progress_callback(session: Session, tmp_path: Path) -> None:
    seed = seed_clinic(session)
    calls: list[tuple[int, int]] = []
    export_itineraries(
        session,
        seed.clinic_id,
        None,
        tmp_path / "out",
        ["txt"],
        False,
        lambda d, t: calls.append((d, t)),
    )
    assert calls == [(1, 2), (2, 2)]


# ------------------------------------------------------------------------------------------------------------
# Atomic, owner-only writes
# ------------------------------------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_written_files_and_new_folders_are_owner_only(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        target = tmp_path / "new" / "deeper" / "file.ics"
        write_atomic(target, b"data", what="a test file")
        assert target.read_bytes() == b"data"
        assert _mode(target) == 0o600
        assert _mode(tmp_path / "new") == 0o700 and _mode(tmp_path / "new" / "deeper") == 0o700
        tmp_path.chmod(0o755)
        existing = tmp_path / "existing.txt"
        existing.write_bytes(b"old")
        existing.chmod(0o644)
        write_atomic(existing, b"new", what="a test file")
        assert existing.read_bytes() == b"new" and _mode(existing) == 0o600
        assert _mode(tmp_path) == 0o755  # an existing folder is left as it was
    finally:
        os.umask(old_umask)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.txt", "new"]  # no temporary files left


def test_failure_mid_write_leaves_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "itinerary.ics"
    target.write_bytes(b"previous version")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(ExportError, match="the disk is full") as info:
        write_atomic(target, b"new version", what="the .ics itinerary of patient 1 at clinic 1")
    assert "\n" not in str(info.value)
    assert target.read_bytes() == b"previous version"
    assert [p.name for p in tmp_path.iterdir()] == ["itinerary.ics"]


def test_a_file_in_the_way_is_a_clear_error(tmp_path: Path, session: Session) -> None:
    seed = seed_clinic(session)
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    with pytest.raises(ExportError, match="cannot create the folder") as info:
        export_itineraries(session, seed.clinic_id, seed.patient_id, blocker / "out")
    assert "\n" not in str(info.value)
    with pytest.raises(ExportError, match="not a folder"):
        export_itineraries(session, seed.clinic_id, seed.patient_id, blocker)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(("blocker", ".blocker"))][1:]
    assert blocker.read_text() == "not a folder"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write to any folder")
def test_unwritable_folder_leaves_no_file(tmp_path: Path, session: Session) -> None:
    seed = seed_clinic(session)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="permission denied"):
            export_itineraries(session, seed.clinic_id, seed.patient_id, locked)
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_permission_denied_while_writing_leaves_no_file(
    tmp_path: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulated for root (who can write anywhere): the temporary file cannot be created."""
    from coordinator_tui.export import atomic

    seed = seed_clinic(session)

    def denied(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic, "create_temp_file", denied)
    with pytest.raises(ExportError, match="permission denied"):
        export_itineraries(session, seed.clinic_id, seed.patient_id, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "main", "h1", "div", "dl", "dt", "dd",
    "section", "h2", "ol", "ul", "li", "h3", "time", "span", "footer", "p", "br", "strong",
}  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(text=st.one_of(st.text(max_size=200), st.text(alphabet="<>&\"'/ =scriptimg", max_size=200)))
def test_html_escapes_any_text(text: str) -> None:
    page = render_html(hostile_itinerary(text, text, text))
    outline = Outline()
    outline.feed(page)
    assert set(outline.tags) <= ALLOWED_TAGS  # user text never opens an element of its own
    assert outline.tags.count("h3") == 2 and outline.tags.count("h1") == 1
    assert outline.external == []
    render_text(hostile_itinerary(text, text, text)).encode("utf-8")


# ------------------------------------------------------------------------------------------------------------
# Plain language, what to bring, whom to call, cancelled items (standard and large print)
# ------------------------------------------------------------------------------------------------------------


def _pages(itinerary: Itinerary) -> dict[str, str]:
    """The plain text, and the HTML pages as text without tags (standard and large print)."""
    return {
        "txt": render_text(itinerary),
        "html": _visible_text(render_html(itinerary)),
        "large": _visible_text(render_html(itinerary, large_print=True)),
    }


def _visible_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page.split("<body", 1)[1]))


def test_printed_itineraries_say_whom_to_call_and_what_to_bring(session: Session) -> None:
    seed = seed_clinic(session)
    service = session.get(Service, seed.service_id)
    assert service is not None
    service.phone, service.short_name = "0121 496 0000", "Children's clinic"
    session.add(service)
    session.flush()
    itinerary = build_itinerary(session, seed.clinic_id, seed.patient_id)
    for fmt, text in _pages(itinerary).items():
        assert "If you are running late or cannot come, call Children's clinic on 0121 496 0000." in text, fmt
        for thing in DEFAULT_WHAT_TO_BRING:  # nothing set by the service: the defaults
            assert thing in text, (fmt, thing)
        assert "Meeting with your care team" in text and "Team meeting" not in text, fmt
        assert "Eye clinic (ophthalmology)" in text and "Hearing test (audiology)" in text, fmt
        flat = " ".join(text.split())
        assert "Please follow the fasting instructions for the Eye clinic (ophthalmology) at 09:30" in flat, fmt
    service.what_to_bring = "Snacks for a long day\n\nPhone charger"
    session.add(service)
    session.flush()
    page = render_html(build_itinerary(session, seed.clinic_id, seed.patient_id), large_print=True)
    bring = page.split('<ul class="bring">', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r"<li>(.*?)</li>", bring) == ["Snacks for a long day", "Phone charger"]
    assert DEFAULT_WHAT_TO_BRING[0] not in page


def test_cancelled_items_are_shown_cancelled_not_as_things_to_do(session: Session) -> None:
    seed = seed_clinic(session)
    eyes = session.get(Appointment, seed.appointment_ids[0])
    assert eyes is not None and eyes.fasting
    eyes.status = AppointmentStatus.CANCELLED
    session.add(eyes)
    session.flush()
    for fmt, text in _pages(build_itinerary(session, seed.clinic_id, seed.patient_id)).items():
        flat = " ".join(text.split())
        assert "Cancelled: Eye clinic (ophthalmology)" in flat or "CANCELLED: Eye clinic (ophthalmology)" in flat, fmt
        assert "Bring your glasses" not in text and "Fasting" not in text, fmt  # its instructions, the fasting note
        assert DEFAULT_WHAT_TO_BRING[0] in text, fmt  # the visit is still on

    clinic = session.get(ClinicEvent, seed.clinic_id)
    assert clinic is not None
    clinic.status = ClinicStatus.CANCELLED
    session.add(clinic)
    session.flush()
    for fmt, text in _pages(build_itinerary(session, seed.clinic_id, seed.patient_id)).items():
        assert "This clinic has been cancelled: the visit will not take place." in text, fmt
        assert "Please bring the red book" not in text, fmt  # the visit's instructions are not to-dos any more
        assert DEFAULT_WHAT_TO_BRING[0] not in text and "What to bring" not in text.title(), fmt
        assert "Break" not in text and "Lunch" not in text, fmt
