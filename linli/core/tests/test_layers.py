"""The layers of docs/architecture.md hold, and ``lint-imports`` fails when one is crossed.

Each case copies the ``linli`` package and ``pyproject.toml`` (with its contracts) to a temporary
folder, adds one module that imports the wrong way, and runs ``lint-imports`` there: the
contracts must catch it. The repository itself must pass the same command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(where: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("layers")
    shutil.copytree(
        ROOT / "linli",
        where / "linli",
        ignore=shutil.ignore_patterns("__pycache__", "static", "locale", "templates", "data"),
    )
    shutil.copy(ROOT / "pyproject.toml", where / "pyproject.toml")
    return where


def test_the_repository_keeps_its_layers(copy: Path) -> None:
    result = _lint(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "source", "refusal"),
    [
        (
            "linli/core/_probe.py",
            "from linli.places.models import Station\n",
            "linli.core is not allowed to import linli.places",
        ),
        (
            "linli/accounts/_probe.py",
            "from linli.planning import queries\n",
            "linli.accounts is not allowed to import linli.planning",
        ),
        (
            "linli/circle/_probe.py",
            "import django.conf\n",
            "linli.circle is not allowed to import django",
        ),
    ],
)
def test_a_lower_layer_importing_a_higher_one_fails(
    copy: Path, module: str, source: str, refusal: str
) -> None:
    probe = copy / module
    probe.write_text(source)
    try:
        result = _lint(copy)
    finally:
        probe.unlink()
    assert result.returncode != 0
    assert refusal in result.stdout, result.stdout
