"""``python -m linli.circle``."""

import sys

from .cli import main

sys.exit(main())
