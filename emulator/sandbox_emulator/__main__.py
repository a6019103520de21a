from sandbox_emulator.cli import main

raise SystemExit(main())
