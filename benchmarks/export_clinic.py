"""Benchmark: export every family itinerary of a clinic in every format (ics, txt, html, large print, eml).

Builds, in a temporary SQLite database, a two-day clinic with 12 families (fictional people) of about 13
appointments each (7 on day 1, 6 on day 2, with a lunch gap), travel and a hotel night, two contacts with an email
address each, then times ``export_itineraries`` for the whole clinic in all formats with large print: the database
reads, the SEQUENCE bookkeeping and the atomic, fsynced writes of 60 files (per family: .ics, .txt, .html, the
large-print page and the email draft). The first export (every event new) and a re-export (every event unchanged)
are timed separately; the figure is the median of ``--repeat`` runs of each. The machine's load average is printed
with it: the figure means little on a machine busy with something else.

Run: ``.venv/bin/python benchmarks/export_clinic.py [--families 12] [--repeat 5]``   (target: under 1 second)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coordinator_tui.clinic_time import local_to_utc
from coordinator_tui.db import Database, open_database
from coordinator_tui.export import export_itineraries
from coordinator_tui.export.checks import export_concerns
from coordinator_tui.models import (
    Appointment,
    AppointmentProfessional,
    AttendanceStatus,
    ClinicAttendance,
    ClinicEvent,
    ClinicRoom,
    Contact,
    Patient,
    Professional,
    Room,
    Service,
    Venue,
)
from coordinator_tui.validation import nhs_check_digit

DISCIPLINES = [
    "Ophthalmology", "Audiology", "Cardiology", "Endocrinology", "Dietetics", "Hepatology", "Nephrology",
    "Physiotherapy", "Psychology", "Occupational therapy", "Respiratory", "Diabetes", "Social work", "Genetics",
]  # fmt: skip
START = dt.date(2027, 3, 29)
ZONE = "Europe/London"


def nhs_number(n: int) -> str:
    while True:
        first_nine = f"999{n:06d}"
        check = nhs_check_digit(first_nine)
        if check is not None:
            return f"{first_nine}{check}"
        n += 1_000


def build(db: Database, families: int) -> int:
    with db.session() as s:
        service = Service(name="Fictional Benchmark Service", timezone=ZONE)
        s.add(service)
        s.flush()
        venue = Venue(service_id=service.id, name="Example Hospital")  # type: ignore[arg-type]
        s.add(venue)
        s.flush()
        clinic = ClinicEvent(
            service_id=service.id, name="Benchmark clinic", venue_id=venue.id, venue=venue.name, start_date=START
        )
        s.add(clinic)
        s.flush()
        rooms = [
            Room(venue_id=venue.id, name=f"Room {i}", building="Main" if i < 8 else "East")  # type: ignore[arg-type]
            for i in range(14)
        ]
        pros = [Professional(title="Dr", given_name=f"Fic{i}", family_name=f"Tional{i}", discipline=d,
                             phone="0000", email="x@example.invalid") for i, d in enumerate(DISCIPLINES)]  # fmt: skip
        s.add_all(rooms + pros)
        s.flush()
        s.add_all(ClinicRoom(clinic_event_id=clinic.id, room_id=room.id) for room in rooms)  # type: ignore[arg-type]
        s.flush()
        uid = 0
        for f in range(families):
            patient = Patient(
                nhs_number=nhs_number(100_000 + f),
                hospital_number=f"B{f:04d}",
                given_name=f"Child{f}",
                family_name=f"Benchfamily{f}",
                date_of_birth=dt.date(2012, 1, 1),
                registered_on=dt.date(2020, 1, 1),
                internal_notes="internal",
                large_print=f % 3 == 0,
            )
            s.add(patient)
            s.flush()
            s.add_all(
                Contact(patient_id=patient.id or 0, name=f"Parent{k} Benchfamily{f}", email=f"p{k}.f{f}@mail.example")
                for k in range(2)
            )
            s.add(
                ClinicAttendance(
                    clinic_event_id=clinic.id,
                    patient_id=patient.id,
                    status=AttendanceStatus.CONFIRMED,
                    travel_out_mode="train",
                    travel_out_depart=local_to_utc(START, dt.time(6, 30), ZONE),
                    travel_out_arrive=local_to_utc(START, dt.time(9, 0), ZONE),
                    travel_out_reference=f"OUT{f}",
                    travel_home_mode="train",
                    travel_home_depart=local_to_utc(START + dt.timedelta(days=1), dt.time(16, 0), ZONE),
                    travel_home_arrive=local_to_utc(START + dt.timedelta(days=1), dt.time(18, 30), ZONE),
                    hotel_name="Fictional Lodge",
                    hotel_address="1 Imaginary Road",
                    hotel_phone="0300 000 0000",
                    hotel_check_in=START,
                    hotel_nights=1,
                    family_instructions="Bring the red book.",
                )
            )
            slots = [(0, 9 * 60 + 30 + 30 * k) for k in range(4)] + [(0, 13 * 60 + 30 * k) for k in range(3)]
            slots += [(1, 9 * 60 + 30 * k) for k in range(4)] + [(1, 13 * 60 + 30 * k) for k in range(2)]
            for k, (day, minute) in enumerate(slots):  # 13 appointments
                when = START + dt.timedelta(days=day)
                start = local_to_utc(when, dt.time(minute // 60, minute % 60), ZONE)
                discipline_index = (k + f) % len(DISCIPLINES)
                uid += 1
                appointment = Appointment(
                    uid=f"bench-{uid}@example.invalid",
                    clinic_event_id=clinic.id or 0,
                    patient_id=patient.id or 0,
                    discipline=DISCIPLINES[discipline_index],
                    start=start,
                    end=start + dt.timedelta(minutes=25),
                    room_id=rooms[discipline_index].id,
                    family_instructions="Please bring your glasses, hearing aids and medicines list.",
                    internal_notes="internal",
                )
                s.add(appointment)
                s.flush()
                s.add(AppointmentProfessional(appointment_id=appointment.id or 0,
                                              professional_id=pros[discipline_index].id or 0))  # fmt: skip
        assert clinic.id is not None
        return clinic.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    formats = ("ics", "txt", "html", "eml")
    first_runs: list[float] = []
    again_runs: list[float] = []
    check_runs: list[float] = []
    files = 0
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            db = open_database(str(Path(tmp) / "bench.db"))
            clinic_id = build(db, args.families)
            t0 = time.perf_counter()
            concerns = db.read(export_concerns, clinic_id, None)  # what the app and the command check first
            check_runs.append(time.perf_counter() - t0)
            assert not concerns, concerns
            t0 = time.perf_counter()
            paths = export_itineraries(db, clinic_id, None, Path(tmp) / "out1", formats, large_print=True)
            first_runs.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            export_itineraries(db, clinic_id, None, Path(tmp) / "out2", formats, large_print=True)
            again_runs.append(time.perf_counter() - t0)
            files = len(paths)
            db.dispose()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    print(f"formats: {', '.join(formats)} and large print; load average (1, 5, 15 min): {load}; cpus: {os.cpu_count()}")
    print(f"families: {args.families}, appointments each: 13, files per export: {files}")
    print(f"first export (all events new):  median {statistics.median(first_runs):.3f} s, max {max(first_runs):.3f} s")
    print(f"re-export (no changes):         median {statistics.median(again_runs):.3f} s, max {max(again_runs):.3f} s")
    print(f"check before writing:           median {statistics.median(check_runs):.3f} s, max {max(check_runs):.3f} s")
    verdict = "PASS" if max(first_runs + again_runs) < 1.0 else "FAIL"
    print(f"target < 1 s: {verdict}")


if __name__ == "__main__":
    main()
