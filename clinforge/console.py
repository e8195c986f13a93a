"""What the user sees: progress on stderr, a summary, one-paragraph errors, JSON for machines."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

T = TypeVar("T")


@dataclass
class Output:
    """Console settings of one command: `--quiet` silences progress, `--json` prints a JSON summary."""

    quiet: bool = False
    as_json: bool = False
    err: Console = field(default_factory=lambda: Console(stderr=True, highlight=False))
    lines: list[str] = field(default_factory=list)  # everything said, for the package's log
    warnings: list[str] = field(default_factory=list)  # also in the JSON summary

    def info(self, message: str) -> None:
        self.lines.append(message)
        if not self.quiet and not self.as_json:
            self.err.print(message)

    def warning(self, message: str) -> None:
        """Something the user should know that does not stop the command (e.g. text read as
        Windows-1252); `--quiet` silences it, `--json` lists it in the summary."""
        self.lines.append(f"warning: {message}")
        self.warnings.append(message)
        if not self.quiet and not self.as_json:
            # Values in the message may hold [brackets], which are not rich markup.
            self.err.print(f"[bold yellow]warning:[/] {escape(message)}", soft_wrap=True)

    def error(self, message: str) -> None:
        if self.as_json:
            print(json.dumps({"status": "error", "message": message}))
        else:
            self.err.print(f"[bold red]error:[/] {message}", soft_wrap=True)

    @contextmanager
    def progress(self, description: str, total: int) -> Iterator[Callable[[str], None]]:
        """A progress bar on stderr (only for a person at a terminal); yields `step(label)`."""
        if self.quiet or self.as_json or not self.err.is_terminal:
            yield lambda label: None
            return
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=self.err, transient=True) as bar:
            task = bar.add_task(description, total=total)

            def step(label: str) -> None:
                bar.update(task, description=f"{description} {label}", advance=1)

            yield step

    def track(self, items: Iterable[T], description: str) -> Iterator[T]:
        """Iterate with a progress bar."""
        items = list(items)
        with self.progress(description, len(items)) as step:
            for item in items:
                yield item
                step(str(item))

    def summary(self, title: str, columns: list[str], rows: list[list[Any]], extra: dict) -> None:
        if self.as_json:
            warned = {"warnings": self.warnings} if self.warnings else {}
            print(json.dumps({"status": "ok", "title": title, **extra, **warned,
                              "rows": [dict(zip(columns, r, strict=True)) for r in rows]},
                             indent=2, default=str))
            return
        if self.quiet:
            return
        table = Table(title=title)
        for c in columns:
            table.add_column(c)
        for r in rows:
            table.add_row(*(str(x) for x in r))
        Console(file=sys.stdout, highlight=False).print(table)
