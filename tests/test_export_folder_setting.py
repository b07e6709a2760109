"""The export folder remembered in settings.toml: the key written, the file's other lines kept, never a file the
app could not start with."""

from __future__ import annotations

import stat
from pathlib import Path

from coordinator_tui.config import load_settings, remember_export_dir
from coordinator_tui.settings import with_export_dir


def test_the_key_is_replaced_or_added_before_any_table_and_the_rest_kept() -> None:
    text = '# workstation\nexport_dir = "/old"\nbackup_dir = "/b"\n'
    assert with_export_dir(text, "/new") == '# workstation\nexport_dir = "/new"\nbackup_dir = "/b"\n'
    assert with_export_dir('backup_dir = "/b"\n', "/n") == 'backup_dir = "/b"\nexport_dir = "/n"\n'
    assert with_export_dir('a = 1\n[table]\nexport_dir = "x"\n', "/n") == (
        'a = 1\nexport_dir = "/n"\n[table]\nexport_dir = "x"\n'
    )
    assert with_export_dir("", "/n") == 'export_dir = "/n"\n'


def test_a_folder_is_remembered_and_read_back_exactly(tmp_path: Path) -> None:
    settings = tmp_path / "config" / "settings.toml"
    odd = str(tmp_path / 'Exports "Dec" \\ Seán')
    assert remember_export_dir(odd, settings) is None
    assert load_settings(settings).export_dir == odd
    assert load_settings(settings).export_path() == Path(odd)
    assert stat.S_IMODE(settings.stat().st_mode) & 0o077 == 0  # owner-only
    assert remember_export_dir("/second", settings) is None
    assert settings.read_text().count("export_dir") == 1 and load_settings(settings).export_dir == "/second"


def test_a_folder_the_settings_cannot_hold_is_not_written(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('backup_dir = "/b"\n')
    problem = remember_export_dir("x" * 5000, settings)  # longer than the settings allow
    assert problem is not None and problem.startswith("the export folder was not remembered") and "\n" not in problem
    assert settings.read_text() == 'backup_dir = "/b"\n'
    assert [p.name for p in tmp_path.iterdir()] == ["settings.toml"]  # no temporary file left
