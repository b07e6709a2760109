"""Speed of the screens on a large database (issue 3's targets).

    .venv/bin/python benchmarks/ui_speed.py [--db PATH] [--runs N]

Builds (once, cached in /tmp) the benchmark database with ``coordinator-tui demo --patients 10000`` (10,000
patients, 2,000 professionals, about 200,000 appointments), then measures:

1. start-up: from launching a process to the patient table being shown and accepting a key, for
   ``coordinator-tui``'s app and, side by side in the same run, for a bare Textual app that shows one empty
   DataTable (median of N runs each, alternating); target: at most 1.5 times the bare app;
2. each keystroke of the patient filter until the table shows the new rows; target: under 50 ms;
3. opening a patient record, and opening a clinic day; target: each under 200 ms.

Every figure is printed; the exit status is 1 when a target is missed.

Before measuring, the package's bytecode is compiled (``compileall``), as ``pip install`` does for an installed
package and as Python does at an app's first launch. Where ``PYTHONDONTWRITEBYTECODE`` is set (as on the
development machine), every launch would otherwise compile this package's modules from source, while the bare app's
Textual, installed by pip, is already compiled.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = Path("/tmp/coordinator-benchmark-10000.db")

PROBE = r"""
import asyncio, sys, time
kind, db_path = sys.argv[1], sys.argv[2]

def mark(name):
    print(f"{name}={time.time():.6f}", flush=True)

async def main():
    from textual import events

    if kind == "bare":
        from textual.app import App
        from textual.widgets import DataTable

        class Bare(App):
            def compose(self):
                yield DataTable()

        app = Bare()
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.query_one(DataTable)
            table.add_column("x")
            table.add_rows([("1",), ("2",)])
            table.focus()
            # A key posted as the terminal would post it; done when the table has acted on it.
            app.post_message(events.Key("down", None))
            while table.cursor_row != 1:
                await asyncio.sleep(0.0005)
            mark("interactive")
            mark("rows")
        return
    # The same path as `coordinator-tui --db FILE` (commands/app.py): parse the command line, check the file
    # with the standard library, show the first screen, open the database in the background.
    from pathlib import Path
    from coordinator_tui.cli import build_parser
    from coordinator_tui.db_file import is_current_database_file
    from coordinator_tui.ui.app import CoordinatorApp

    build_parser().parse_args(["--db", db_path])
    assert is_current_database_file(Path(db_path)), "benchmark database not at the current schema"

    def open_in_background():
        from coordinator_tui.db import open_database

        return open_database(db_path, create=False)

    app = CoordinatorApp(open_database=open_in_background)
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.screen.query("#patients-table"):
            await asyncio.sleep(0.001)
        # A key posted as the terminal would post it (Pilot.press would also wait for the background open to
        # finish); done when the filter shows it. The filter applies it as soon as the patients are loaded.
        app.post_message(events.Key("a", "a"))
        filter_box = app.screen.query_one("#patient-filter")
        while filter_box.value != "a":
            await asyncio.sleep(0.0005)
        mark("interactive")
        table = app.screen.query_one("#patients-table")
        while not table.row_count:
            await asyncio.sleep(0.001)
        await pilot.pause()
        mark("rows")

asyncio.run(main())
"""


def ensure_database(path: Path) -> None:
    if path.exists():
        return
    print(f"building the benchmark database at {path} (about a minute)…", flush=True)
    subprocess.run(
        [sys.executable, "-m", "coordinator_tui", "demo", "--db", str(path), "--patients", "10000"],
        check=True,
        cwd=ROOT,
    )


def time_process(kind: str, db: Path) -> dict[str, float]:
    """Seconds from launching the process to each mark it prints (wall clock)."""
    start = time.time()
    result = subprocess.run(
        [sys.executable, "-c", PROBE, kind, str(db)],
        check=True,
        cwd=ROOT,
        env=os.environ | {"CI": ""},
        capture_output=True,
        text=True,
    )
    marks = dict(line.split("=", 1) for line in result.stdout.split() if "=" in line)
    return {name: float(value) - start for name, value in marks.items()}


class Landing:
    """When a screen's data landed on screen, and when the next frame was composed after it.

    The screens' own methods that put loaded data into their widgets are wrapped (benchmark-only instrumentation),
    and so is ``App._display``, which Textual calls with each composed frame (headless runs compose frames too,
    they only skip writing them to a terminal).
    """

    def __init__(self) -> None:
        self.landed: dict[str, float] = {}
        self.frames: list[float] = []

    def wrap(self, cls: type, method: str, key: str) -> None:
        original = getattr(cls, method)

        def wrapper(screen, *args, **kwargs):  # type: ignore[no-untyped-def]
            result = original(screen, *args, **kwargs)
            self.landed[key] = time.perf_counter()
            return result

        setattr(cls, method, wrapper)

    def watch_frames(self, app) -> None:  # type: ignore[no-untyped-def]
        original = app._display

        def display(screen, renderable):  # type: ignore[no-untyped-def]
            original(screen, renderable)
            if renderable is not None:
                self.frames.append(time.perf_counter())

        app._display = display

    async def until_painted(self, key: str, since: float, timeout: float = 10.0) -> float:
        """Seconds from ``since`` to the first frame composed after ``key``'s data landed."""
        deadline = time.perf_counter() + timeout
        while self.landed.get(key, 0.0) <= since:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{key}: the data never landed")
            await asyncio.sleep(0.0002)
        landed = self.landed[key]
        while not self.frames or self.frames[-1] <= landed:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{key}: no frame after the data landed")
            await asyncio.sleep(0.0002)
        return next(f for f in self.frames if f > landed) - since


async def interaction_timings(db_path: Path) -> dict[str, list[float]]:
    from textual import events

    from coordinator_tui.db import open_database
    from coordinator_tui.services.clinics import upcoming_clinics
    from coordinator_tui.ui.app import CoordinatorApp
    from coordinator_tui.ui.screens.clinic_days import ClinicEventScreen
    from coordinator_tui.ui.screens.patient_record import PatientRecordScreen
    from coordinator_tui.ui.screens.patients import PatientsScreen, PatientTable

    landing = Landing()
    landing.wrap(PatientsScreen, "show_rows", "patients")
    landing.wrap(PatientRecordScreen, "show", "record")
    landing.wrap(ClinicEventScreen, "_show", "clinic")
    opened: list = []

    def open_in_background():  # type: ignore[no-untyped-def]
        opened.append(open_database(str(db_path), create=False))
        return opened[0]

    app = CoordinatorApp(open_database=open_in_background)  # as `coordinator-tui --db FILE` starts it
    results: dict[str, list[float]] = {
        "filter keystroke": [],
        "open patient record": [],
        "  of which until the record is in its widgets": [],  # read, screen built, data shown; the rest is paint
        "open clinic day": [],
    }

    async with app.run_test(size=(120, 40)) as pilot:
        landing.watch_frames(app)
        screen = app.screen
        await landing.until_painted("patients", 0.0)
        await asyncio.sleep(1.0)  # the coordinator reads the list for a moment (the app loads its other screens)
        db = opened[0]
        filter_box = screen.query_one("#patient-filter")
        for word in ("apple", "bramble", "999001", "zest"):
            for length in range(1, len(word) + 1):
                filter_box.focus()
                filter_box.value = word[: length - 1]  # type: ignore[attr-defined]
                await pilot.pause()
                await asyncio.sleep(0.05)  # let that filter land first
                start = time.perf_counter()
                app.post_message(events.Key(word[length - 1], word[length - 1]))  # one keystroke
                results["filter keystroke"].append(await landing.until_painted("patients", start))
        filter_box.value = ""  # type: ignore[attr-defined]
        await pilot.pause()
        await asyncio.sleep(0.1)
        for _ in range(5):
            table = screen.query_one("#patients-table", PatientTable)
            table.focus()
            await pilot.pause()
            start = time.perf_counter()
            app.post_message(events.Key("enter", None))
            results["open patient record"].append(await landing.until_painted("record", start))
            results["  of which until the record is in its widgets"].append(landing.landed["record"] - start)
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
            table.move_cursor(row=table.cursor_row + 7)
        with db.session() as session:
            clinic_ids = [c.id for c in upcoming_clinics(session)][:5]
        for clinic_id in clinic_ids:
            await app.action_switch_to("clinic_days")
            await pilot.pause()
            start = time.perf_counter()
            app.screen.open_clinic(clinic_id)  # type: ignore[attr-defined]  (what Enter on the clinic list does)
            results["open clinic day"].append(await landing.until_painted("clinic", start))
            await pilot.pause()
    db.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ensure_database(args.db)
    compileall.compile_dir(ROOT / "coordinator_tui", quiet=1)

    bare, ours = [], []
    for _ in range(args.runs):
        bare.append(time_process("bare", args.db))
        ours.append(time_process("coordinator", args.db))
    bare_median = statistics.median(run["interactive"] for run in bare)
    interactive = statistics.median(run["interactive"] for run in ours)
    rows = statistics.median(run["rows"] for run in ours)
    ratio = interactive / bare_median
    ok = ratio <= 1.5
    print(f"start-up, bare Textual app with one empty DataTable: median {bare_median * 1000:.0f} ms ({args.runs} runs)")
    print(
        f"start-up, coordinator-tui: patient table shown and taking keys: median {interactive * 1000:.0f} ms; "
        f"first page of patients shown: median {rows * 1000:.0f} ms"
    )
    print(f"start-up ratio (table taking keys / bare): {ratio:.2f} (target ≤ 1.50) {'ok' if ok else 'MISSED'}")
    print(f"start-up ratio (patients shown / bare): {rows / bare_median:.2f} (reported, no target)")

    timings = asyncio.run(interaction_timings(args.db))
    targets = {"filter keystroke": 0.050, "open patient record": 0.200, "open clinic day": 0.200}
    for name, values in timings.items():
        worst, median = max(values), statistics.median(values)
        if name not in targets:
            print(f"{name}: median {median * 1000:.1f} ms, worst {worst * 1000:.1f} ms (reported, no target)")
            continue
        met = worst < targets[name]
        ok = ok and met
        print(
            f"{name}: median {median * 1000:.1f} ms, worst {worst * 1000:.1f} ms over {len(values)} "
            f"(target < {targets[name] * 1000:.0f} ms) {'ok' if met else 'MISSED'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
