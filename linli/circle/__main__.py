"""``python -m linli.circle``."""

import sys

from .cli import run

sys.exit(run())
