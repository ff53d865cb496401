"""``python -m amzv_pandas`` is the ``amzv`` command."""

from .cli import main

raise SystemExit(main())
