"""An app given a database already open (a server's URL, the first run, the demo) does the same start-up work in
the background as one that opens its file itself: the other screens' code is loaded and what is loaded by then is
moved out of the collector's reach (``gc.freeze``), so the first record, clinic day and keystrokes do not wait
for imports or a full collection; all of it is released when the app ends. Both databases (issue 16's speed on
PostgreSQL)."""

from __future__ import annotations

import gc
import sys

import pytest

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.navigation import WARM_UP_MODULES
from tests.ui.helpers import SIZE, pilot_test, settle


@pytest.mark.both_databases
@pilot_test
async def test_an_app_given_an_open_database_warms_up_in_the_background_and_releases_it_at_the_end(
    db: Database,
) -> None:
    assert gc.get_freeze_count() == 0, "nothing frozen before the app starts"
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert gc.get_freeze_count() > 0, "what the app loaded is out of the collector's reach while it runs"
        assert all(module in sys.modules for module in WARM_UP_MODULES)
        assert app.title != "", "the service's details were read in the same start-up work"
    assert gc.get_freeze_count() == 0, "released when the app ends: a later app in this process starts clean"
