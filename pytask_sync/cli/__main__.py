"""``python -m pytask_sync.cli``: the same as ``pytask-sync``."""

from . import main

raise SystemExit(main())
