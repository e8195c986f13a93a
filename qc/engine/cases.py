"""Rule test cases in the layout of cdisc-open-rules: run a rule on a case, compare with the answer.

A rule folder holds `rule.yml` and cases `positive/NN/` (no finding expected) and
`negative/NN/` (the findings in `results/results.csv`: Dataset, Record, Variable, Value). A case's
`data/` has one CSV per dataset, `_datasets.csv` (Filename, Label; for ADaM Class, Subclass as
define.xml would declare them; optionally Size, the file size in bytes the dataset stands for),
`_variables.csv` (dataset, variable, label, type, length, optionally format), `.env` (PRODUCT,
VERSION) and, for the rules that compare a submission with its define.xml, `define.xml`.
clinforge's own catalogue uses the same layout, so one harness checks both.
"""

from __future__ import annotations

import ast
import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from qc.engine.data import Dataset, Submission, VariableInfo
from qc.engine.define_meta import read_define_metadata
from qc.engine.library import Library
from qc.engine.operations import UNORDERED
from qc.engine.rule import Rule, load_rule
from qc.engine.run import FAILED, NOT_RUN, run_rule

PASS, FAIL, UNSUPPORTED = "passed", "failed", "not supported"
Row = tuple[str, str, str, str]  # Dataset, Record, Variable, Value


@dataclass(frozen=True)
class CaseResult:
    rule: str
    case: str  # positive/01, negative/02
    status: str  # passed, failed, not supported
    missing: tuple[Row, ...] = ()  # expected but not found
    extra: tuple[Row, ...] = ()  # found but not expected
    reason: str = ""


def read_case(folder: Path, libraries: dict[str, Library] | None = None, standard: str = "SDTMIG"
              ) -> Submission:
    """The datasets of one case's data/ folder, typed by _variables.csv; `standard` when the
    case's .env names none."""
    data = folder / "data"
    env = _env(data / ".env")
    listed = {r["Filename"].lower(): r for r in _csv(data / "_datasets.csv")}
    variables: dict[str, list[VariableInfo]] = {}
    for position, row in enumerate(_variable_rows(data / "_variables.csv")):
        dataset, name, label, kind, length, sas_format = row
        variables.setdefault(dataset.lower(), []).append(VariableInfo(
            name=name, label=label, type=kind, order=position, format=sas_format,
            length=int(float(length)) if length.replace(".", "", 1).isdigit() else None))
    datasets = {}
    for path in sorted(data.glob("*.csv")):
        if path.name.startswith("_") or path.stat().st_size < 2:
            continue
        stem = path.stem.lower()
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8-sig")
        infos = {v.name: v for v in variables.get(stem, ())}
        for column in frame.columns:
            if infos.get(column) is not None and infos[column].type.lower() == "num":
                # Numbers as transport files hold them: floats (CORE reports them as "3.0").
                numbers = pd.to_numeric(frame[column].str.strip(), errors="coerce")
                if not (numbers.isna() & (frame[column].str.strip() != "")).any():
                    frame[column] = numbers.astype("float64")
        ordered = tuple(infos.get(c) or VariableInfo(c, order=i) for i, c in enumerate(frame.columns))
        row = listed.get(stem, {})
        datasets[stem.upper()] = Dataset(name=stem.upper(), frame=frame, label=row.get("Label", ""),
                                         filename=path.name, size=_size(row, path), variables=ordered,
                                         declared_class=(row.get("Class") or "").strip().upper(),
                                         declared_subclass=(row.get("Subclass") or "").strip().upper())
    standard = env.get("PRODUCT", standard).upper()
    version = env.get("VERSION", "").replace("-", ".")
    library = (libraries or {}).get(standard)
    define = read_define_metadata(data / "define.xml") if (data / "define.xml").is_file() else None
    return Submission(datasets=datasets, standard=standard, version=version, library=library, define=define)


def _size(row: dict, path: Path) -> int:
    """The file size the case's dataset stands for: `Size` in _datasets.csv (a case cannot hold
    the 5 GB a size rule is about), else the CSV file's."""
    given = (row.get("Size") or "").strip()
    return int(given) if given.isdigit() else path.stat().st_size


def expected_rows(folder: Path) -> list[Row]:
    path = folder / "results" / "results.csv"
    if not path.is_file():
        return []
    return [(r["Dataset"], r["Record"], r["Variable"], r["Value"]) for r in _csv(path)]


def found_rows(rule: Rule, submission: Submission) -> tuple[list[Row], str]:
    """The rule's findings on a case as results.csv rows, and why it did not run (if it did not)."""
    rows: list[Row] = []
    reasons = []
    for outcome in run_rule(rule, submission):
        if outcome.status == NOT_RUN:
            reasons.append(f"{outcome.dataset or 'rule'}: {outcome.reason}")
        if outcome.status != FAILED:
            continue
        for hit in outcome.hits.to_dict("records"):
            record = "" if pd.isna(hit["record"]) else str(int(hit["record"]))
            for variable in outcome.variables:
                rows.append((outcome.dataset, record, variable, hit[variable]))
    return rows, "; ".join(reasons)


def check_case(rule: Rule, folder: Path, libraries: dict[str, Library] | None = None) -> CaseResult:
    kind = folder.parent.name
    name = f"{kind}/{folder.name}"
    submission = read_case(folder, libraries, "ADAMIG" if rule.is_adam else "SDTMIG")
    found, reason = found_rows(rule, submission)
    expected = expected_rows(folder) if kind == "negative" else []
    found, expected = _unordered(rule, found), _unordered(rule, expected)
    missing = Counter(expected) - Counter(found)
    extra = Counter(found) - Counter(expected)
    if kind == "negative" and not expected and found:
        # Cases without results.csv (ADaMIG) only say that the rule must find something.
        missing, extra = Counter(), Counter()
    ok = not missing and not extra and (kind == "positive" or found)
    status = PASS if ok else (UNSUPPORTED if reason and "not supported" in reason else FAIL)
    return CaseResult(rule.id, name, status, tuple(sorted(missing.elements())),
                      tuple(sorted(extra.elements())), reason)


def _unordered(rule: Rule, rows: list[Row]) -> list[Row]:
    """Rows whose value is the list of a set-valued operation (dataset_names, study_domains)
    with the list sorted: CORE builds those lists from a Python set, so their order in the
    expected results is one run's accident (string hashing is randomised per process)."""
    ids = {str(op.get("id")) for op in rule.operations if op.get("operator") in UNORDERED}
    out = []
    for dataset, record, variable, value in rows:
        if variable in ids and value.startswith("["):
            items = ast.literal_eval(value)
            value = repr(sorted(items, key=lambda item: (item is not None, str(item))))
        out.append((dataset, record, variable, value))
    return out


def check_rule(folder: Path, libraries: dict[str, Library] | None = None) -> list[CaseResult]:
    """Every case of one rule folder."""
    rule = load_rule(folder / "rule.yml")
    cases = sorted(p for kind in ("positive", "negative") for p in (folder / kind).glob("*") if p.is_dir())
    return [check_case(rule, case, libraries) for case in cases]


def _variable_rows(path: Path) -> list[tuple[str, str, str, str, str, str]]:
    """(dataset, variable, label, type, length, format) rows. A header naming `format` gives
    the variables' SAS formats (clinforge's cases of format rules); some of CORE's cases add the
    variable's order after the dataset name, which their header does not list."""
    if not path.is_file():
        return []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle)) or [[]]
    names = [h.strip().lower() for h in header]
    if "format" in names:
        at = [names.index(n) for n in ("dataset", "variable", "label", "type", "length", "format")]
        return [tuple(r[i] if i < len(r) else "" for i in at) for r in rows if r]
    return [tuple((r[:1] + r[2:6]) if len(r) == 6 else (r + [""] * 5)[:5]) + ("",) for r in rows if r]


def _env(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k.strip().upper(): v.strip() for k, v in pairs}


def _csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
