"""``python -m linli.circle``."""

import sys

from ._startup import defer_unused_modules

defer_unused_modules()

from .cli import main  # noqa: E402  (after the deferral, which must precede scipy's import)

sys.exit(main())
