"""The README's two commands are the ones the project actually supports, and CI runs the test command as written."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bash_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    test_lines = [b for b in _bash_blocks(readme) if "pytest" in b]
    assert test_lines, "README shows no test command"
    readme_command = test_lines[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_command = next(line for line in ci.splitlines() if "pytest" in line and not line.startswith("#"))
    assert ci_command.replace('"$PYTHON"', "python3.11") == readme_command


def test_readme_demo_command_uses_the_console_script_and_demo_flag() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    demo = next(b for b in _bash_blocks(readme) if "--demo" in b)
    assert "pip install -e ." in demo
    assert demo.endswith("coordinator-tui --demo")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'coordinator-tui = "coordinator_tui.cli:main"' in pyproject


def test_list_command_offers_the_kinds_the_listing_service_knows() -> None:
    from coordinator_tui.commands.listing import KINDS as command_kinds
    from coordinator_tui.services.people.listing import KINDS as service_kinds

    assert command_kinds == service_kinds
