"""``coordinator-tui list``: print patients, professionals, clinics or appointments."""

from __future__ import annotations

import argparse
import json
import sys

from coordinator_tui.cli import add_db_argument
from coordinator_tui.commands.common import open_from_args
from coordinator_tui.terminal_text import json_safe, visible

# The same kinds as services.listing.KINDS (a test checks); named here so --help loads no database code.
KINDS = ("patients", "professionals", "clinics", "appointments")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "list",
        help="print patients, professionals, clinics or appointments",
        description="Print records in name or date order: a readable table, or with --json one JSON object per "
        "line holding every column (ids and foreign-key ids, ISO 8601 dates, datetimes with their UTC offset).",
    )
    parser.add_argument("kind", choices=KINDS, help="what to list")
    add_db_argument(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per line, for scripts")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from coordinator_tui.services.people.listing import rows

    db = open_from_args(args, writable=False)
    try:
        with db.session() as session:
            headings, records = rows(session, args.kind)
            if args.json:
                for _cells, obj in records:
                    sys.stdout.write(json_safe(json.dumps(obj, ensure_ascii=False, sort_keys=True)) + "\n")
                return 0
            table = [[visible(cell) for cell in cells] for cells, _obj in records]  # one line per record
    finally:
        db.dispose()
    widths = [max([len(h)] + [len(r[i]) for r in table]) for i, h in enumerate(headings)]
    print("  ".join(h.ljust(w) for h, w in zip(headings, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    print(f"({len(table)} {args.kind})")
    return 0
