"""Running the command line in-process, as the CLI tests do: the exit status, what was printed, and the one-line
error a refusal prints."""

from __future__ import annotations

import pytest

from coordinator_tui.cli import main


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``coordinator-tui ARGV``: (exit status, standard output, standard error)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    """A refusal's standard error: one line, the program's name first, no traceback or crash report."""
    assert err.count("\n") == 1 and err.startswith("coordinator-tui: "), err
    assert "Traceback" not in err and "crash report" not in err, err
    return err.strip()
