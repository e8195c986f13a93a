"""Run the real command line on damaged input and check how it refuses.

A refusal is exit status 2 with one paragraph that names the place (file, row, column, value)
and what was expected, no traceback, and nothing partial left where the output would go.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner, Result

from clinforge.cli import app

runner = CliRunner()

Damage = Callable[[Path], None]
# Exception class names (KeyError, ArrowInvalid, ReadstatError ...): a message must say what is
# wrong in words, not leak the type of a Python error.
EXCEPTION_NAME = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception|Invalid)\b")


def invoke(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` by relative path, with its bytes."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_refused(result: Result, out: Path | None, says: tuple[str, ...],
                   previous: dict[str, bytes] | None = None, siblings: set[str] | None = None) -> str:
    """Exit 2, one paragraph holding every fragment of `says`, and `out` untouched."""
    text = result.output
    assert result.exit_code == 2, f"exit {result.exit_code}, expected 2:\n{text}\n{result.exception!r}"
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in text, text
    # Progress notes may come first (e.g. datasets left out for having no records); the error
    # is the last paragraph.
    assert "error:" in text, text
    message = text[text.index("error:"):].strip()
    assert "\n\n" not in message, f"more than one paragraph:\n{message}"
    assert not EXCEPTION_NAME.search(message), f"Python exception name in the message:\n{message}"
    missing = [s for s in says if s not in message]
    assert not missing, f"the message lacks {missing}:\n{message}"
    if out is not None:
        if previous is None:
            assert not out.exists(), f"{out} was created: {sorted(snapshot(out))}"
        else:
            assert snapshot(out) == previous, f"{out} changed"
        if siblings is not None:
            assert {p.name for p in out.parent.iterdir()} == siblings, "leftovers beside the output"
    return message


def assert_usage_error(result: Result, *says: str) -> None:
    """Exit 2 from argument checking: click's usage message naming the option, no traceback."""
    assert result.exit_code == 2, f"exit {result.exit_code}:\n{result.output}"
    assert "Traceback" not in result.output
    missing = [s for s in says if s not in result.output]
    assert not missing, f"the message lacks {missing}:\n{result.output}"


def copy_tree(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


# --- damaging CSV exports --------------------------------------------------------------------

def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def cell(form: str, row: int, column: str, value: str) -> Damage:
    """Set one value: `row` is the 1-based data row (file line row + 1)."""
    def damage(folder: Path) -> None:
        path = folder / f"{form}.csv"
        rows = read_rows(path)
        rows[row][rows[0].index(column)] = value
        write_rows(path, rows)
    return damage


def drop_column(form: str, column: str) -> Damage:
    def damage(folder: Path) -> None:
        path = folder / f"{form}.csv"
        rows = read_rows(path)
        i = rows[0].index(column)
        write_rows(path, [r[:i] + r[i + 1:] for r in rows])
    return damage


def rename_column(form: str, column: str, new: str) -> Damage:
    def damage(folder: Path) -> None:
        path = folder / f"{form}.csv"
        rows = read_rows(path)
        rows[0][rows[0].index(column)] = new
        write_rows(path, rows)
    return damage


def edit_rows(form: str, change: Callable[[list[list[str]]], list[list[str]]]) -> Damage:
    def damage(folder: Path) -> None:
        path = folder / f"{form}.csv"
        write_rows(path, change(read_rows(path)))
    return damage


def edit_text(form: str, change: Callable[[str], str]) -> Damage:
    def damage(folder: Path) -> None:
        path = folder / f"{form}.csv"
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    return damage


def write_bytes(name: str, data: bytes | Callable[[bytes], bytes]) -> Damage:
    """Replace a file's bytes (or transform them)."""
    def damage(folder: Path) -> None:
        path = folder / name
        path.write_bytes(data(path.read_bytes()) if callable(data) else data)
    return damage


def remove(name: str) -> Damage:
    def damage(folder: Path) -> None:
        (folder / name).unlink()
    return damage


def both(*damages: Damage) -> Damage:
    def damage(folder: Path) -> None:
        for d in damages:
            d(folder)
    return damage
