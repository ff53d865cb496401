"""``python -m amzv_pandas`` is the ``amzv`` command."""

from ._frontends.cli import main

raise SystemExit(main())
