"""``linli cobuild days``: one ISO date a line; an unknown year exits 3 with a message."""

from __future__ import annotations

import subprocess
import sys


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "linli", "cobuild", "days", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_it_prints_the_year_by_the_rule() -> None:
    done = _run("--year", "2025")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert len(lines) == 12
    assert lines[9] == "2025-10-10"
    assert lines[3] == "2025-04-11"
    assert _run("--year", "2025", "--rule", "keep").stdout.splitlines()[9] == "2025-10-03"


def test_an_unknown_year_says_so_on_stderr_and_exits_3() -> None:
    done = _run("--year", "2099")
    assert done.returncode == 3
    assert done.stdout == ""
    assert "2099" in done.stderr
    assert "not known" in done.stderr


def test_a_wrong_rule_is_a_usage_error() -> None:
    assert _run("--year", "2025", "--rule", "sometimes").returncode == 2
