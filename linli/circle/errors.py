"""The engine's error for input it cannot use (kept apart from :mod:`.io` so that the command
line can report it without importing numpy first)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["CircleInputError"]


class CircleInputError(ValueError):
    """An input file the engine cannot use, with the place of the problem.

    Attributes
    ----------
    path, row, column, value, problem
        Where and what; ``row`` is 1-based with the header as row 1.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        problem: str,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.path = str(path)
        self.row = row
        self.column = column
        self.value = value
        self.problem = problem
        where = [self.path]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        text = ", ".join(where)
        if value is not None:
            text += f", value {value!r}"
        super().__init__(f"{text}: {problem}")
