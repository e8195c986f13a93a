"""Run-to-run differences: each issue of this run new or persisting, and the issues resolved since.

The baseline is the findings.json of an earlier run (in CI, the previous run's report). Issues
are compared by what identifies them (rule, dataset, variable and, for terminology, the value),
not by record numbers, which move whenever records are added.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from qc.findings import Finding
from qc.summary import Issue, issues
from specs.errors import InputError

NEW, PERSISTING, RESOLVED = "new", "persisting", "resolved"


def load_baseline(path: str | Path) -> list[Finding]:
    """The findings of an earlier run's findings.json."""
    source = Path(path)
    try:
        records = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("baseline not found", file=str(source),
                         expected="the findings.json of an earlier `clinforge validate --report`") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"not a findings.json: {error}", file=str(source)) from None
    known = {f.name for f in fields(Finding)}
    if not isinstance(records, list) or any(not isinstance(r, dict) or "rule" not in r for r in records):
        raise InputError("not a findings.json: expected a list of findings with a rule each",
                         file=str(source))
    return [Finding(**{k: v for k, v in r.items() if k in known}) for r in records]


def changes(current: list[Issue], previous: list[Finding]) -> tuple[dict[tuple, str], list[Issue]]:
    """Each current issue's key → new or persisting, and the earlier issues no longer found."""
    before = {i.key: i for i in issues(previous)}
    now = {i.key for i in current}
    marks = {i.key: PERSISTING if i.key in before else NEW for i in current}
    return marks, [i for key, i in before.items() if key not in now]
