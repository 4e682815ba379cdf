#!/usr/bin/env python
"""Django's command-line utility; the installed ``linli`` command is the same plus ``circle``."""

import sys

from linli.__main__ import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
