"""``python -m linli.circle``."""

from .cli import exit_now, run

exit_now(run())
