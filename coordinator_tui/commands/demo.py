"""``coordinator-tui demo``: write the fictional demo data set into a new database file."""

from __future__ import annotations

import argparse
from pathlib import Path

from coordinator_tui.cli import CommandError, add_db_argument


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="write the fictional demo data set into a new database and exit",
        description="Write a deterministic, obviously fictional data set (one national service) into a new "
        "database file. Refuses a database that already holds patients.",
    )
    add_db_argument(parser)
    parser.add_argument("--patients", type=_positive, default=40, metavar="N", help="how many patients (default 40)")
    parser.add_argument("--seed", type=int, default=7, metavar="S", help="random seed (default 7)")
    parser.set_defaults(func=run)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError("must be between 1 and 100000")
    return value


def run(args: argparse.Namespace) -> int:
    from coordinator_tui.db import is_url, open_database, refresh_statistics
    from coordinator_tui.services.demo_data import load_demo

    target = getattr(args, "db", None)
    if not target:
        raise CommandError("say where to write the demo data: demo --db PATH (your real database is never used)")
    if not is_url(target) and Path(target).exists() and Path(target).stat().st_size > 0:
        raise CommandError(f"{target} already exists; the demo is written into a new database file only")
    db = open_database(target, empty_ok=True)
    try:
        with db.session() as session:
            summary = load_demo(session, patients=args.patients, seed=args.seed)
        refresh_statistics(db)  # a server plans the screens' queries with what was just written
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    finally:
        db.dispose()
    print(
        f"wrote {summary.patients} patients, {summary.professionals} professionals, {summary.clinics} clinics "
        f"and {summary.appointments} appointments to {target}"
    )
    return 0
