"""Errors that name the place: file, line (or row), column, value and what was expected."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class SpecError(Exception):
    """One or more problems in spec files; the study is not loaded at all."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class InputError(Exception):
    """Bad input data (raw exports, datasets): the message names file, row, column and value."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
        expected: str | None = None,
    ):
        self.file, self.row, self.column, self.value, self.expected = (
            file, row, column, value, expected,
        )
        parts = []
        if file:
            parts.append(file)
        if row is not None:
            parts.append(f"row {row}")
        if line is not None:
            parts.append(f"line {line}")
        if column:
            parts.append(f"column {column}")
        where = ", ".join(parts)
        text = f"{where}: {message}" if where else message
        if value is not None:
            text += f" (value {value!r})"
        if expected:
            text += f"; expected {expected}"
        super().__init__(text)
