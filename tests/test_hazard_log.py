"""The clinical hazard log names the tests that prove its controls: each named test file and test must exist, so a
renamed or deleted test cannot leave a control proved by nothing."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOG = REPO / "docs" / "clinical-safety" / "hazard-log.md"
# `tests/x.py::test_name`, `tests/x.py`, or `::test_name` (a test of the file named last before it)
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?(?:::(\w+))?`")


def cited_tests() -> list[tuple[str, str | None]]:
    cited: list[tuple[str, str | None]] = []
    current: str | None = None
    for match in REFERENCE.finditer(LOG.read_text(encoding="utf-8")):
        path, name = match.groups()
        current = path or current
        if current and (path or name):
            cited.append((current, name))
    return cited


def test_the_log_cites_tests() -> None:
    assert len(cited_tests()) > 100


def test_every_test_the_hazard_log_cites_exists() -> None:
    missing = []
    for path, name in cited_tests():
        source = REPO / path
        if not source.is_file():
            missing.append(path)
        elif name and not re.search(rf"^(async )?def {name}\b", source.read_text(encoding="utf-8"), re.M):
            missing.append(f"{path}::{name}")
    assert sorted(set(missing)) == []
