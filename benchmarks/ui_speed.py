"""Speed of the screens on a large database (issue 3's targets; start-up as issue 15 measures it).

    .venv/bin/python benchmarks/ui_speed.py [--db PATH] [--runs N] [--start-up-only] [--postgres-url URL]

Builds (once, cached in /tmp) the benchmark database with ``coordinator-tui demo --patients 10000`` (10,000
patients, 2,000 professionals, about 200,000 appointments), then measures:

1. start-up: the command a nurse types, ``coordinator-tui --db FILE`` (the installed console script), launched as a
   separate process in a pseudo-terminal of 120×40; the clock runs from launching it to the first output that
   shows the first patient of the list (its NHS number, as the list shows it, escape sequences removed). Against it,
   the floor: ``benchmarks/bare_app.py``, a bare Textual app that reads the same first 100 patients with the
   standard library's ``sqlite3`` and shows them in a DataTable, launched and timed the same way. The two are
   alternated (one of each per run, the order swapped every run, so both see the same load), after one launch of
   each that is not counted (it fills the file cache, the app's first start of the day makes its daily backup,
   and its first start with the service's settings file checks that file); medians of N runs each. The app runs
   with a settings file, as every service's installation does. Target: at most 1.5 times the floor;
2. each keystroke of the patient filter until the table shows the new rows, once the app's start-up work in the
   background is done; target: under 50 ms;
3. opening a patient record, and opening a clinic day; target: each under 200 ms.

With ``--postgres-url URL``, measures 2 and 3 are taken on that PostgreSQL database too, after SQLite's, in the same
run (the app opened as ``coordinator-tui --db URL`` opens it: the database first); an empty database is filled with
``coordinator-tui demo --patients 10000 --db URL`` first. The targets are the same.

Every figure is printed, with the load average at the start and the end; the exit status is 1 when a target is
missed.

Before measuring, the package's bytecode is compiled (``compileall``), as ``pip install`` does for an installed
package and as Python does at an app's first launch. Where ``PYTHONDONTWRITEBYTECODE`` is set (as on the
development machine), every launch would otherwise compile this package's modules from source, while the bare app's
Textual, installed by pip, is already compiled.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import fcntl
import os
import pty
import re
import select
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = Path("/tmp/coordinator-benchmark-10000.db")
COMMAND = Path(sys.executable).parent / "coordinator-tui"  # the console script pip installed
BARE_APP = Path(__file__).resolve().parent / "bare_app.py"
TERMINAL_SIZE = (40, 120)  # rows, columns
FIRST_FRAME_TEXT = b"name, NHS number or hospital number"  # the patient filter's placeholder: the app's first frame
ESCAPE_SEQUENCE = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|P[^\x1b]*\x1b\\|[@-Z\\-_])")


def ensure_database(path: Path) -> None:
    if path.exists():
        return
    print(f"building the benchmark database at {path} (a few minutes)…", flush=True)
    subprocess.run([str(COMMAND), "demo", "--db", str(path), "--patients", "10000"], check=True, cwd=ROOT)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def first_patient_nhs_number(db: Path) -> bytes:
    """The first patient of the list (name order, not archived), as the list shows the NHS number."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        (nhs,) = connection.execute(
            "SELECT nhs_number FROM patient WHERE archived = 0 ORDER BY family_name, given_name, id LIMIT 1"
        ).fetchone()
    finally:
        connection.close()
    return f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}".encode()


def time_in_terminal(command: list[str], marks: dict[str, bytes], env: dict[str, str]) -> dict[str, float]:
    """Launch ``command`` in a new pseudo-terminal and return the seconds from launch to the first output showing
    each mark's text (escape sequences removed); the process is then stopped."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", *TERMINAL_SIZE, 0, 0))
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, start_new_session=True
    )
    os.close(slave)
    output = b""
    seen: dict[str, float] = {}
    try:
        while len(seen) < len(marks):
            if time.perf_counter() - start > 60:
                shown = ESCAPE_SEQUENCE.sub(b"", output)[-2000:].decode(errors="replace")
                raise TimeoutError(f"{command[0]}: {sorted(set(marks) - set(seen))} not shown in 60 s:\n{shown}")
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                continue
            try:
                output += os.read(master, 1 << 16)
            except OSError:  # the process ended
                raise RuntimeError(f"{command[0]} ended early: {output[-2000:]!r}") from None
            now = time.perf_counter() - start
            text = ESCAPE_SEQUENCE.sub(b"", output)
            for name, mark in marks.items():
                if name not in seen and mark in text:
                    seen[name] = now
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the clock has stopped; nothing of it may load the next launch
        process.wait()
        os.close(master)
    return seen


SERVICE_SETTINGS = """service_name = "Northshire Rare Disease Service"
timezone = "Europe/London"
reminder_minutes_before = 90
adult_day_end = "16:30"
"""


def start_up_timings(db: Path, runs: int, command: Path = COMMAND) -> tuple[list[float], list[dict[str, float]]]:
    """Launches of the bare app and of ``coordinator-tui --db FILE``, alternated; the first of each not counted."""
    nhs = first_patient_nhs_number(db)
    with tempfile.TemporaryDirectory(prefix="ui-speed-") as folder:  # the app's log and settings: a user of its own
        home = Path(folder)
        unset = {"COORDINATOR_DB", "COORDINATOR_SETTINGS", "COLUMNS", "LINES"}  # the terminal gives the size
        env = {k: v for k, v in os.environ.items() if k not in unset}
        env |= {"TERM": "xterm-256color", "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config")}
        # A service's settings file, as every installation has: its first start (the uncounted one) checks it.
        settings = home / "config" / "coordinator-tui" / "settings.toml"
        settings.parent.mkdir(parents=True)
        settings.write_text(SERVICE_SETTINGS, encoding="utf-8")

        def bare() -> float:
            return time_in_terminal([sys.executable, str(BARE_APP), str(db)], {"rows": nhs}, env)["rows"]

        def ours() -> dict[str, float]:
            return time_in_terminal([str(command), "--db", str(db)], {"frame": FIRST_FRAME_TEXT, "rows": nhs}, env)

        bare(), ours()  # not counted
        bare_times, our_times = [], []
        for run in range(runs):
            if run % 2:
                our_times.append(ours())
                bare_times.append(bare())
            else:
                bare_times.append(bare())
                our_times.append(ours())
    return bare_times, our_times


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


async def interaction_timings(db_path: Path | None, url: str | None = None) -> dict[str, list[float]]:
    """The filter, record and clinic-day measures, on the SQLite file ``db_path`` as ``coordinator-tui --db FILE``
    starts it, or on the server database ``url`` as ``coordinator-tui --db URL`` starts it (opened first)."""
    from textual import events

    from coordinator_tui.commands.app import _read_first_page_meanwhile
    from coordinator_tui.db import open_database
    from coordinator_tui.services.clinics.clinics import upcoming_clinics
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

    if url is not None:  # as `coordinator-tui --db URL` starts it (commands/app.py): the database opened first
        opened.append(open_database(url, create=False))
        app = CoordinatorApp(database=opened[0])
    else:  # as `coordinator-tui --db FILE` starts it: the first page read with SQLite alone, the database opened
        assert db_path is not None  # in the background
        app = CoordinatorApp(open_database=open_in_background, first_page=_read_first_page_meanwhile(db_path))
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
        # The first patients are shown before the database opens. The keystrokes are measured once the app's
        # start-up work is done (the database opened, the other screens' code loaded, the page check run), and the
        # coordinator has read the list for a moment.
        for worker in list(app.workers):
            if worker.group in ("open-database", "start-up"):  # opening the file itself, or given it open (a URL)
                await worker.wait()
        await asyncio.sleep(1.0)
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


def milliseconds(values: Iterable[float]) -> str:
    return " ".join(f"{value * 1000:.0f}" for value in values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--start-up-only", action="store_true", help="measure start-up only")
    parser.add_argument(
        "--postgres-url",
        help="also measure the filter, record and clinic day on this PostgreSQL database, side by side with SQLite "
        "(filled with `coordinator-tui demo --patients 10000 --db URL` if it holds no patient)",
    )
    parser.add_argument(
        "--command",
        type=Path,
        default=COMMAND,
        help="the coordinator-tui command to start (default: the console script beside this Python), e.g. a wrapper "
        "that runs another version of the package for a comparison",
    )
    args = parser.parse_args()
    ensure_database(args.db)
    compileall.compile_dir(ROOT / "coordinator_tui", quiet=1)
    print(f"load average at the start: {load_average()} (1, 5, 15 minutes; {os.cpu_count()} CPUs)", flush=True)

    bare, ours = start_up_timings(args.db, args.runs, args.command)
    floor = statistics.median(bare)
    rows = statistics.median(run["rows"] for run in ours)
    frame = statistics.median(run["frame"] for run in ours)
    ratio = rows / floor
    ok = ratio <= 1.5
    print(
        f"start-up, in a {TERMINAL_SIZE[1]}×{TERMINAL_SIZE[0]} pseudo-terminal, {args.runs} launches each, alternated:"
    )
    print(f"  bare Textual app + sqlite3, first 100 patients shown: median {floor * 1000:.0f} ms")
    print(f"    each: {milliseconds(bare)}")
    print(f"  {args.command.name} --db FILE, first 100 patients shown: median {rows * 1000:.0f} ms")
    print(f"    each: {milliseconds(run['rows'] for run in ours)}")
    print(f"  {args.command.name} --db FILE, filter box on screen: median {frame * 1000:.0f} ms (reported)")
    ratios = " ".join(f"{run['rows'] / floor_run:.2f}" for run, floor_run in zip(ours, bare, strict=True))
    print(f"  each run's ratio: {ratios}")
    print(f"  ratio of the medians (patients shown / floor): {ratio:.2f} (target ≤ 1.50) {'ok' if ok else 'MISSED'}")
    if args.start_up_only:
        print(f"load average at the end: {load_average()}")
        return 0 if ok else 1

    databases = {"SQLite": asyncio.run(interaction_timings(args.db))}
    if args.postgres_url:
        ensure_server_database(args.postgres_url)
        databases["PostgreSQL"] = asyncio.run(interaction_timings(None, args.postgres_url))
    for database, timings in databases.items():
        print(f"{database}, load average now {load_average()}:")
        ok = report_interactions(timings) and ok
    print(f"load average at the end: {load_average()}")
    return 0 if ok else 1


def ensure_server_database(url: str) -> None:
    from coordinator_tui.db import open_database
    from coordinator_tui.services.people.patients import patient_list

    database = open_database(url, create=False)
    try:
        with database.read_session() as session:
            empty = not patient_list(session, "", limit=1)
    finally:
        database.dispose()
    if empty:
        print("filling the server database with 10,000 patients (several minutes)…", flush=True)
        subprocess.run([str(COMMAND), "demo", "--db", url, "--patients", "10000"], check=True, cwd=ROOT)


def report_interactions(timings: dict[str, list[float]]) -> bool:
    ok = True
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
    return ok


if __name__ == "__main__":
    raise SystemExit(main())
