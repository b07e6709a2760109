"""Start-up stays fast: parsing the command line and building the app and its home screen load no database stack.

(The database opens in the background once the first screen shows; see commands/app.py.)
"""

from __future__ import annotations

import subprocess
import sys


def test_app_start_path_imports_neither_sqlalchemy_nor_alembic() -> None:
    code = (
        "import sys\n"
        "import coordinator_tui.cli as cli\n"
        "cli.build_parser().parse_args([])\n"
        "import coordinator_tui.commands.app\n"
        "from coordinator_tui.ui.app import CoordinatorApp\n"
        "import coordinator_tui.ui.screens.patients\n"
        "stack = {'sqlalchemy', 'sqlmodel', 'alembic', 'ortools'}\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in stack)\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_head_revision_read_from_files_matches_alembic() -> None:
    from coordinator_tui.db import head_revision
    from coordinator_tui.db_file import scanned_head_revision

    assert scanned_head_revision() == head_revision()
