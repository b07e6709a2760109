from coordinator_tui.cli import main

raise SystemExit(main())
