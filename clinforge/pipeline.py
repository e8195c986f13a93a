"""The steps the command line chains: each reads its input, writes one folder atomically, and reports."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from clinforge.atomic import atomic_folder
from clinforge.console import Output
from specs.loader import load_study
from specs.model import Study

# Demo sizes: the registered enrolment of the two seed studies.
DEMO_STUDIES = {"ovarian": 30, "cervical": 24}


@dataclass(frozen=True)
class StepResult:
    study: str
    step: str
    folder: Path
    counts: dict[str, int]  # dataset or form → records


def synth(study_name: str | Path, out: Path, *, subjects: int, seed: int,
          output: Output) -> StepResult:
    """Simulate the study's EDC exports into `out` (replaced only when complete)."""
    from edc.simulator import simulate
    from edc.writer import write_raw

    study = load_study(study_name)
    output.info(f"Simulating {subjects} subjects of {study.studyid} (seed {seed})")
    frames = simulate(study, subjects, seed)
    with atomic_folder(out) as work:
        write_raw(frames, work)
    return StepResult(study.name, "synth", Path(out), {k: len(v) for k, v in frames.items()})


def sdtm(study_name: str | Path, raw: Path, out: Path, *, output: Output,
         formats: tuple[str, ...] = ("xpt",)) -> StepResult:
    """Convert the raw exports in `raw` to SDTM datasets in `out` (replaced only when complete)."""
    from edc.readers import read_raw
    from sdtm.engine import convert

    study = load_study(study_name)
    frames = read_raw(raw, study)
    later = {name for name, spec in study.sdtm.items() if spec.parameters.get("from_analysis")}
    collected = replace(study, sdtm={k: v for k, v in study.sdtm.items() if k not in later})
    with output.progress("SDTM", len(collected.sdtm)) as step:
        datasets = convert(collected, frames, progress=step)
    if later:
        datasets |= analysis_sdtm(study, datasets)
    _write(datasets, study.sdtm, out, formats, output)
    return StepResult(study.name, "sdtm", Path(out), {k: len(v) for k, v in datasets.items()})


def analysis_sdtm(study: Study, sdtm: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """SDTM PP and its RELREC from the NCA, which lives in the ADaM layer (ADSL → ADPC → ADPP).

    `sdtm` never imports `adam`; the pipeline joins them, so SDTM PP and ADPP hold the same results.
    """
    from adam.build import build_adam
    from adam.pp import build_pp, build_pp_relrec

    nca = replace(study, adam={k: study.adam[k] for k in ("ADSL", "ADPC", "ADPP")})
    adam_frames = build_adam(nca, sdtm)
    pp = build_pp(adam_frames["ADPP"], adam_frames["ADPC"])
    return {"PP": pp, "RELREC": build_pp_relrec(pp, adam_frames["ADPC"])}


def adam(study_name: str | Path, sdtm_dir: Path, out: Path, *, output: Output,
         formats: tuple[str, ...] = ("xpt",)) -> StepResult:
    """Build the study's ADaM datasets from the SDTM datasets in `sdtm_dir`, into `out`."""
    from adam.build import build_adam
    from specs.readers import read_folder

    study = load_study(study_name)
    frames = read_folder(sdtm_dir)
    with output.progress("ADaM", len(study.adam)) as step:
        datasets = build_adam(study, frames, progress=step, sdtm_folder=sdtm_dir)
    _write(datasets, study.adam, out, formats, output)
    return StepResult(study.name, "adam", Path(out), {k: len(v) for k, v in datasets.items()})


def _write(datasets: dict, specs: dict, out: Path, formats: tuple[str, ...], output: Output) -> None:
    from specs.xpt import write_dataset

    # The FDA's conformance guide asks that empty datasets not be submitted.
    empty = sorted(name for name, frame in datasets.items() if frame.empty)
    if empty:
        output.info(f"Not written, no records: {', '.join(empty)}")
    with atomic_folder(out) as work, output.progress("writing", len(datasets)) as step:
        for name in sorted(set(datasets) - set(empty)):
            step(name)
            write_dataset(datasets[name], specs[name], work, formats)


def demo(out: Path, *, subjects: int | None, seed: int, output: Output) -> list[StepResult]:
    """Both seed studies, every step implemented so far, into `out/<study>/<step>`."""
    results = []
    for name in DEMO_STUDIES:
        folder = Path(out) / name
        results.append(synth(name, folder / "raw", subjects=subjects or DEMO_STUDIES[name],
                             seed=seed, output=output))
        results.append(sdtm(name, folder / "raw", folder / "sdtm", output=output))
        results.append(adam(name, folder / "sdtm", folder / "adam", output=output))
    return results
