"""The steps the command line chains: each reads its input, writes one folder atomically, and reports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clinforge.atomic import atomic_folder
from clinforge.console import Output
from specs.loader import load_study

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
    from edc.simulator import simulate, write_raw

    study = load_study(study_name)
    output.info(f"Simulating {subjects} subjects of {study.studyid} (seed {seed})")
    frames = simulate(study, subjects, seed)
    with atomic_folder(out) as work:
        write_raw(frames, work)
    return StepResult(study.name, "synth", Path(out), {k: len(v) for k, v in frames.items()})


def demo(out: Path, *, subjects: int | None, seed: int, output: Output) -> list[StepResult]:
    """Both seed studies, every step implemented so far, into `out/<study>/<step>`."""
    results = []
    for name in output.track(DEMO_STUDIES, "demo"):
        results.append(synth(name, Path(out) / name / "raw", subjects=subjects or DEMO_STUDIES[name],
                             seed=seed, output=output))
    return results
