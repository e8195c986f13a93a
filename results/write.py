"""A study's results from its ADaM datasets: the files `clinforge results` writes, as bytes.

- `ard.json` (Dataset-JSON 1.1) and `ard.csv`: the ARD, one record per result;
- `ars.json`: the ARS ReportingEvent (analysis sets, data subsets, groupings, methods, analyses);
- `report.html` (self-contained) and `report.pdf`: the study review report with its figures.

Everything is a function of the datasets and the study spec: the same input gives the same bytes.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from results.ars import ard_spec, ars_json, reporting_event
from results.compute import ard_frame, check_datasets, compute_results, select
from results.figures import Picture, draw
from results.pdf import render_pdf
from results.plan import study_plan
from results.report import build_report, render_html
from specs.dataset import build_timestamp, conform
from specs.datasetjson import JsonMeta, dataset_json_bytes
from specs.model import Study

FILES = ("ard.json", "ard.csv", "ars.json", "report.html", "report.pdf")


@dataclass(frozen=True)
class StudyResults:
    files: dict[str, bytes]  # file name → content
    records: int  # ARD records
    analyses: int
    figures: int


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def conventions() -> list[str]:
    """The methods section of the report: which library computes what, and the conventions."""
    v = {p: _version(p) for p in ("scipy", "statsmodels", "numpy", "matplotlib", "reportlab")}
    return [
        "Percentages are of the analysis set's subjects (the N of the table's group); a subject counts once "
        "per row. NE: not estimable (a median or confidence limit not reached, too few values).",
        f"Exact (Clopper-Pearson) confidence intervals of proportions: scipy {v['scipy']} "
        "stats.binomtest(...).proportion_ci(method='exact').",
        f"Kaplan-Meier estimates: statsmodels {v['statsmodels']} SurvfuncRight. The median's 95 % CI is "
        "Brookmeyer and Crowley's on the log-log scale (quantile_ci, method 'cloglog'), as SAS PROC LIFETEST "
        "reports it by default (CONFTYPE=LOGLOG); the landmark rate's 95 % CI is the log-log interval "
        "S^exp(±1.96·se/(S·log S)) with Greenwood's standard error from statsmodels. Times are in days "
        "from the infusion (ADTTE AVAL); CNSR 0 is an event.",
        f"Geometric mean and geometric CV % (100·sqrt(exp(s²) - 1), s the SD of the logarithms) over the "
        f"positive values: scipy stats.gmean and stats.gstd. Quartiles: numpy {v['numpy']} quantile "
        "method 'averaged_inverted_cdf' (SAS's default definition, PCTLDEF=5).",
        "Adverse events: treatment-emergent records (ADAE TRTEMFL = Y). Tables by worst grade count each "
        "subject once per term at its highest grade; CRS and ICANS are graded on the ASTCT 2019 scale and "
        "reported apart from the NCI CTCAE grades (ADAE ATOXSCL), so no table mixes scales.",
        f"Figures drawn with matplotlib {v['matplotlib']} (PNG at a fixed size whatever the number of "
        f"subjects); this PDF laid out with reportlab {v['reportlab']}. The analyses, populations and "
        "methods are declared in the study's analysis plan (analyses.yaml) and listed in ars.json; every "
        "number of this report is a record of ard.json / ard.csv.",
    ]


def study_results(study: Study, frames: Mapping[str, pd.DataFrame], source: str,
                  progress: Callable[[str], None] | None = None) -> StudyResults:
    """Every analysis of the study's plan on `frames` (ADaM dataset name → frame), its figures and
    report; `source` names where the datasets came from (the report says it)."""
    plan = study_plan(study)
    check_datasets(plan, frames, source)
    results = compute_results(plan, frames)
    ard = ard_frame(plan, results, study.studyid)
    pictures = []
    for figure in plan.figures:
        if progress:
            progress(figure.id)
        population = plan.analysis_set(figure.parameters["analysis_set"])
        subjects = select(frames[population.dataset], population)
        title, caption, png = draw(figure.kind, frames, subjects, _lower(population.name), figure.parameters)
        pictures.append((figure.kind, Picture(figure.id, title, caption, png)))
    facts = [("Study", f"{study.studyid}: {study.title}"), ("Registry", study.registry_id or "-"),
             ("Sponsor", study.sponsor), ("Reporting event", f"{plan.id}: {plan.name}"),
             ("ADaM datasets", source),
             ("Analyses", f"{len(results)} analyses, {len(ard)} results, {len(pictures)} figures"),
             ("Created", build_timestamp().strftime("%Y-%m-%dT%H:%M:%SZ") + f" by clinforge "
                                                                            f"{_version('clinforge')}")]
    report = build_report(plan, f"{study.studyid} study review report", facts, results, pictures,
                          conventions())
    spec = ard_spec(ard)
    meta = JsonMeta(originator=study.sponsor, study_oid=study.studyid,
                    source_system=("clinforge", _version("clinforge")))
    files = {
        "ard.json": dataset_json_bytes(conform(ard, spec), spec, meta),
        "ard.csv": ard.to_csv(index=False, lineterminator="\n").encode("utf-8"),
        "ars.json": ars_json(reporting_event(plan, results, source)),
        "report.html": render_html(report),
        "report.pdf": render_pdf(report),
    }
    return StudyResults(files, len(ard), len(results), len(pictures))


def _lower(name: str) -> str:
    return name[:1].lower() + name[1:]

