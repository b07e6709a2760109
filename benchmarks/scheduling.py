"""Benchmark: CP-SAT clinic timetables against a greedy first-fit baseline, and repair after a cancellation.

Generated instances (fixed seeds, fictional people): 6, 12 and 18 patients, each needing 12–15 of 15
professionals over two days at a 5-minute resolution; two buildings (10-minute walk); lunch 30 minutes inside
12:00–14:00 for everyone; half the patients are children (day ends 16:00); families arrive 09:30–11:00 on day 1
and leave 14:30–16:30 on day 2; some appointments are fasting bloods first thing on day 1.

Per size it prints: CP-SAT build time (the whole build: start timetable, ruin and recreate, then the whole model),
appointments placed, total waiting minutes, objective (5-minute units: 3 x waiting + each family-day's end counted
from the family's earliest possible start), proven bound and gap = (objective - bound) / objective. The bound is
CP-SAT's, or the families' floors summed when higher; both are proven lower bounds of the same objective over
every timetable placing all the requests (the optimum places them all when one such timetable exists), so the gap
is how far the timetable can at most be from the optimum. With ``--runs N`` the build runs N times (solver seeds
0..N-1) and a median row follows. Then the same figures for the greedy baseline (its gap against the best bound);
then the repair of one cancelled professional-day on the 12-patient timetable (time and appointments moved,
against a rebuild).

Run: ``.venv/bin/python benchmarks/scheduling.py [--time-limit 10] [--sizes 6 12 18] [--seed 1] [--runs 1]``
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coordinator_tui.services.clinics.scheduling import (
    Instance,
    PatientSpec,
    ProfessionalSpec,
    Request,
    RoomSpec,
    StaffDay,
    compute_moves,
    evaluate,
    greedy_timetable,
    has_useful_bound,
    solve,
    waiting_minutes,
)
from coordinator_tui.services.clinics.timetable_checker import check_timetable
from coordinator_tui.services.clinics.timetable_plan import as_booked, repair_timetable

# (discipline, minutes, building, fasting)
DISCIPLINES = [
    ("phlebotomy", 15, "Main", True),
    ("ophthalmology", 45, "Eye and Ear", False),
    ("audiology", 45, "Eye and Ear", False),
    ("cardiology", 30, "Main", False),
    ("endocrinology", 30, "Main", False),
    ("renal", 30, "Main", False),
    ("hepatology", 30, "Main", False),
    ("dietetics", 30, "Main", False),
    ("physiotherapy", 30, "Main", False),
    ("psychology", 45, "Main", False),
    ("respiratory", 20, "Main", False),
    ("genetics", 20, "Main", False),
    ("specialist nursing", 20, "Main", False),
    ("occupational therapy", 30, "Main", False),
    ("social work", 15, "Main", False),
]


def generate(n_patients: int, seed: int = 1) -> Instance:
    rng = random.Random(seed * 1000 + n_patients)
    professionals = {}
    rooms = {}
    staffing = []
    for i, (disc, _m, building, _f) in enumerate(DISCIPLINES, start=1):
        professionals[i] = ProfessionalSpec(i, f"Clinician {i} ({disc})", disc)
        rooms[i] = RoomSpec(i, f"Room {i}", building)
        for day in (0, 1):
            start, end = 9 * 60, 17 * 60
            if i in (12, 15) and day == 1:  # two part-time professionals leave at 13:00 on day 2
                end = 13 * 60
            staffing.append(StaffDay(i, day, start, end, room_id=i))
    patients = {}
    requests = []
    for p in range(1, n_patients + 1):
        patients[p] = PatientSpec(
            p,
            f"Test Family {p}",
            is_child=p % 2 == 0,
            arrival=rng.choice([570, 600, 630, 660]),
            departure=rng.choice([870, 900, 930, 960, 990]),
        )
        k = rng.randint(12, 15)
        chosen = sorted(rng.sample(range(1, 16), k))
        for i in chosen:
            disc, minutes, _b, fasting = DISCIPLINES[i - 1]
            requests.append(
                Request(
                    key=f"p{p}-{disc}",
                    patient_id=p,
                    discipline=disc,
                    minutes=minutes,
                    professional_ids=(i,),
                    kind="test" if fasting else "consultation",
                    fasting=fasting,
                )
            )
    return Instance(
        professionals=professionals,
        staffing=staffing,
        rooms=rooms,
        patients=patients,
        requests=requests,
        days=2,
        day_start=9 * 60,
        day_end=17 * 60,
        child_day_end=16 * 60,
        adult_day_end=17 * 60,
        transfer_minutes=10,
    )


def with_current(instance: Instance, items: list) -> Instance:
    return as_booked(instance, items)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--sizes", type=int, nargs="+", default=[6, 12, 18])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--runs", type=int, default=1, help="CP-SAT runs per size (solver seeds 0, 1, ...): a median row"
    )
    args = parser.parse_args(argv)

    header = (
        f"{'patients':>8} {'appts':>5} | {'method':<8} {'time s':>7} {'placed':>7} {'waiting':>8} "
        f"{'objective':>9} {'bound':>7} {'gap':>6} {'status':<8} {'violations':>10}"
    )
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    print(header)
    print("-" * len(header))
    solved: dict[int, tuple[Instance, list]] = {}

    def row(n: int, inst: Instance, method: str, values: tuple) -> None:
        secs, placed, wait, obj, bnd, gap, status, viol = values
        print(
            f"{n:>8} {len(inst.requests):>5} | {method:<8} {secs:>7.2f} {placed:>7} {wait:>8} {obj:>9.0f} "
            f"{bnd:>7.0f} {gap * 100:>5.1f}% {status:<8} {viol:>10}"
        )

    for n in args.sizes:
        inst = generate(n, args.seed)
        t0 = time.perf_counter()
        greedy = greedy_timetable(inst)
        g_time = time.perf_counter() - t0
        runs = []
        for k in range(args.runs):
            res = solve(inst, time_limit=args.time_limit, seed=k)
            if k == 0:
                solved[n] = (inst, res.scheduled)
            values = (
                res.wall_time,
                len(res.scheduled),
                res.total_waiting_minutes,
                res.objective or 0,
                res.bound if res.bound is not None else float("nan"),
                res.gap if res.gap is not None else float("nan"),  # no bound worth a gap: shown as nan
                res.status,
                len(check_timetable(inst, res.scheduled)),
            )
            runs.append(values)
            row(n, inst, "CP-SAT" if args.runs == 1 else f"CP-SAT {k + 1}", values)
        if args.runs > 1:  # the median of each column (status: the worst)
            columns = list(zip(*runs, strict=True))
            median = tuple(statistics.median(c) for c in columns[:6])
            worst = "feasible" if "feasible" in columns[6] else columns[6][0]
            row(n, inst, "median", (*median, worst, max(columns[7])))
        bounds = [r[4] for r in runs if has_useful_bound("feasible", r[4])]
        bound = max(bounds) if bounds else float("nan")
        g_obj = evaluate(inst, greedy)
        g_gap = (g_obj - bound) / g_obj if bounds and g_obj else float("nan")  # no bound worth a gap: nan
        g_wait = sum(waiting_minutes(inst, greedy).values())
        row(
            n,
            inst,
            "greedy",
            (g_time, len(greedy), g_wait, g_obj, bound, g_gap, "-", len(check_timetable(inst, greedy))),
        )

    if 12 in solved:
        inst, items = solved[12]
        base = with_current(inst, items)
        # Cancel one professional-day: ophthalmology (professional 2) is off on day 2.
        cancelled = replace(base, staffing=[s for s in base.staffing if not (s.professional_id == 2 and s.day == 1)])
        affected = sum(1 for it in items if 2 in it.professional_ids and it.day == 1)
        rep = repair_timetable(cancelled)
        rebuild = solve(cancelled, time_limit=args.time_limit, use_hint=True)
        rebuild_moves = len(compute_moves(cancelled, rebuild.scheduled))
        print()
        print(f"Repair (12 patients, ophthalmology cancels day 2; {affected} appointments displaced):")
        print(
            f"  repair : {rep.wall_time:.2f} s, status {rep.status}, moved {len(rep.moves)}, placed "
            f"{len(rep.scheduled)}/{len(inst.requests)}, waiting {rep.total_waiting_minutes} min, "
            f"violations {len(check_timetable(cancelled, rep.scheduled))}"
        )
        print(
            f"  rebuild: {rebuild.wall_time:.2f} s, status {rebuild.status}, moved {rebuild_moves}, placed "
            f"{len(rebuild.scheduled)}/{len(inst.requests)}, waiting {rebuild.total_waiting_minutes} min"
        )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
