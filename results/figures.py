"""The figures of the study review report, drawn by matplotlib, each kind registered once.

A kind draws from the ADaM datasets (`frames`) and the analysis set's subjects (`subjects`), with
its parameters from the plan, and returns the picture (PNG, fixed size whatever the number of
subjects) with a caption that says what it shows and from which dataset. Where one mark per
subject would no longer help a reader (swimmer and spider plots of thousands of subjects), a
figure shows a stated selection or a summary, and says so.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: files only

import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from results.methods import SUBJECT, fit_kaplan_meier, incidence, survival_at  # noqa: E402

DPI = 110
BARS = 300  # a waterfall of more subjects draws lines rather than bars
WIDE = (9.5, 5.2)
# One colour per best overall response, the same in every figure.
RESPONSE_COLOURS = {"CR": "#1a7f37", "PR": "#4c9be8", "SD": "#9a9a9a", "NON-CR/NON-PD": "#c0c0c0",
                    "PD": "#d1242f", "NE": "#e8a33d", "MISSING": "#e8a33d"}
STYLE = {"font.family": "DejaVu Sans", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
         "svg.hashsalt": "clinforge", "path.simplify": True}


@dataclass(frozen=True)
class Picture:
    id: str
    title: str
    caption: str
    png: bytes


@dataclass(frozen=True)
class FigureKind:
    name: str
    title: str
    draw: Callable[..., tuple[Figure, str]]
    # The variables it draws from, by dataset, given its parameters (defaults filled in).
    reads: Callable[[Mapping[str, Any]], dict[str, tuple[str, ...]]]

    def parameters(self) -> dict[str, Any]:
        """The plan parameters of the kind with their defaults (analysis_set is the runner's)."""
        fixed = {"frames", "subjects", "population"}
        return {name: p.default for name, p in inspect.signature(self.draw).parameters.items()
                if name not in fixed} | {"analysis_set": inspect.Parameter.empty}

    def variables(self, parameters: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
        return self.reads(self.parameters() | dict(parameters))


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG without the software stamp, so the same data give the same bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _days(later: pd.Series, start: pd.Series) -> pd.Series:
    return (pd.to_datetime(later) - pd.to_datetime(start)).dt.days + 1


def _of(frame: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    return frame[frame[SUBJECT].isin(subjects[SUBJECT])]


def _new(size: tuple[float, float] = WIDE, **grid: Any) -> tuple[Figure, Any]:
    figure = plt.figure(figsize=size, layout="constrained")
    return figure, figure.subplots(**grid) if grid else figure.add_subplot()


# --- Kaplan-Meier ---------------------------------------------------------------------------------

def kaplan_meier_plot(frames: Mapping[str, pd.DataFrame], subjects: pd.DataFrame, population: str, *,
                      paramcd: str = "PFS", landmark: float = 365, dataset: str = "ADTTE",
                      confidence: float = 0.95) -> tuple[Figure, str]:
    """Kaplan-Meier curve with its pointwise log-log band, censoring marks, numbers at risk and
    the landmark estimate marked."""
    data = _of(frames[dataset], subjects)
    data = data[data["PARAMCD"] == paramcd].dropna(subset=["AVAL", "CNSR"])
    fitted = fit_kaplan_meier(data["AVAL"], data["CNSR"])
    times = np.concatenate([[0.0], fitted.surv_times])
    survival = np.concatenate([[1.0], fitted.surv_prob])
    bands = np.array([survival_at(fitted, t, confidence)[1:] for t in fitted.surv_times]).reshape(-1, 2)
    low = np.concatenate([[1.0], bands[:, 0]])
    high = np.concatenate([[1.0], bands[:, 1]])
    end = float(data["AVAL"].max())
    figure = plt.figure(figsize=(9.5, 6), layout="constrained")
    axes, table = figure.subplots(2, 1, height_ratios=[5, 1], sharex=True)
    axes.step(np.append(times, end), np.append(survival, survival[-1]) * 100, where="post",
              color="#1f4e79", lw=1.8, label="Kaplan-Meier estimate")
    axes.fill_between(np.append(times, end), np.append(low, low[-1]) * 100,
                      np.append(high, high[-1]) * 100, step="post", color="#1f4e79", alpha=0.15,
                      lw=0, label=f"{confidence:.0%} CI (log-log)")
    censored = data[data["CNSR"] != 0]["AVAL"].to_numpy(dtype=float)
    at = np.searchsorted(fitted.surv_times, censored, side="right") - 1
    axes.plot(censored, np.where(at >= 0, fitted.surv_prob[np.maximum(at, 0)], 1.0) * 100, "|",
              color="#1f4e79", ms=7, label="Censored")
    rate, rate_low, rate_high = survival_at(fitted, landmark, confidence)
    axes.axvline(landmark, color="#555555", ls="--", lw=1)
    if np.isfinite(rate):
        axes.plot([landmark], [rate * 100], "o", color="#d1242f", zorder=5)
        axes.annotate(f"Day {landmark:g}: {rate:.1%} ({_pct(rate_low)}, {_pct(rate_high)})",
                      (landmark, rate * 100), xytext=(8, 10), textcoords="offset points", fontsize=9,
                      color="#d1242f")
    axes.set_ylim(0, 102)
    axes.set_ylabel(f"{paramcd} event-free (%)")
    axes.legend(loc="upper right", frameon=False)
    axes.grid(alpha=0.25)
    ticks = np.arange(0, max(end, landmark) + 1, 90)
    axes.set_xticks(ticks)
    at_risk = [int((data["AVAL"] >= t).sum()) for t in ticks]
    table.set_ylim(0, 1)
    table.axis("off")
    for t, n in zip(ticks, at_risk, strict=True):
        table.text(t, 0.4, str(n), ha="center", va="center", fontsize=9)
    table.text(0, 0.95, "Number at risk", ha="left", va="top", fontsize=9, weight="bold")
    axes.set_xlabel("Days since infusion")
    axes.xaxis.set_tick_params(labelbottom=True)
    events = int((data["CNSR"] == 0).sum())
    caption = (f"Kaplan-Meier estimate of {paramcd} ({dataset}, PARAMCD {paramcd}) in the {population} "
               f"(N = {len(data)}, {events} events, {len(data) - events} censored), from the infusion: the "
               f"step curve with its pointwise {confidence:.0%} log-log confidence band, censored subjects "
               f"marked |; the dashed line at day {landmark:g} marks the estimate there (red). Numbers at "
               "risk below the axis.")
    return figure, caption


def _pct(value: float) -> str:
    return "NE" if not np.isfinite(value) else f"{value:.1%}"


# --- swimmer --------------------------------------------------------------------------------------

def swimmer_plot(frames: Mapping[str, pd.DataFrame], subjects: pd.DataFrame, population: str, *,
                 max_subjects: int = 40, paramcd: str = "PFS", bor: str = "BOR") -> tuple[Figure, str]:
    """One bar per subject from the infusion to the end of follow-up, coloured by best overall
    response, with first response, progression, death and censoring marked."""
    adsl = _of(frames["ADSL"], subjects).dropna(subset=["TRTSDT"])
    end = adsl[["DTHDT", "LSTALVDT"]].apply(pd.to_datetime).max(axis=1)
    follow = pd.DataFrame({SUBJECT: adsl[SUBJECT], "days": _days(end, adsl["TRTSDT"]),
                           "death": _days(adsl["DTHDT"], adsl["TRTSDT"])})
    adrs = _of(frames["ADRS"], subjects)
    best = adrs[adrs["PARAMCD"] == bor].set_index(SUBJECT)["AVALC"]
    follow["bor"] = follow[SUBJECT].map(best).fillna("MISSING").replace("", "MISSING")
    shown = follow.sort_values(["days", SUBJECT], ascending=[False, True]).head(max_subjects)
    shown = shown.iloc[::-1].reset_index(drop=True)
    visits = adrs[(adrs["PARAMCD"] == "OVR") & adrs[SUBJECT].isin(shown[SUBJECT])]
    tte = _of(frames["ADTTE"], subjects)
    tte = tte[(tte["PARAMCD"] == paramcd) & tte[SUBJECT].isin(shown[SUBJECT])]
    row = {s: i for i, s in enumerate(shown[SUBJECT])}
    figure, axes = _new((9.5, max(3.5, 0.16 * len(shown) + 1.5)))
    axes.barh(range(len(shown)), shown["days"], color=shown["bor"].map(RESPONSE_COLOURS).fillna("#cccccc"),
              height=0.7)
    marks = [("CR", visits[visits["AVALC"] == "CR"], "^", "#0b3d1a", "First complete response"),
             ("PR", visits[visits["AVALC"] == "PR"], ">", "#0b2e57", "First partial response"),
             ("PD", visits[visits["AVALC"] == "PD"], "X", "#7a0c12", "Progression")]
    for _code, records, marker, colour, label in marks:
        first = records.sort_values("ADY").drop_duplicates(SUBJECT)
        axes.scatter(first["ADY"], first[SUBJECT].map(row), marker=marker, color=colour, s=28, zorder=3,
                     label=label)
    dead = shown.dropna(subset=["death"])
    axes.scatter(dead["death"], dead.index, marker="s", color="black", s=22, zorder=3, label="Death")
    censored = tte[tte["CNSR"] != 0]
    axes.scatter(censored["AVAL"], censored[SUBJECT].map(row), marker="o", facecolors="white",
                 edgecolors="black", s=26, zorder=4, label=f"{paramcd} censored")
    axes.scatter(np.ones(len(shown)), range(len(shown)), marker="|", color="black", s=40, zorder=3,
                 label="CAR-T infusion (day 1)")
    axes.set_yticks(range(len(shown)), shown[SUBJECT].str.split("-").str[-2:].str.join("-"), fontsize=7)
    axes.set_xlabel("Days since infusion")
    for code, colour in RESPONSE_COLOURS.items():
        if code in set(shown["bor"]):
            axes.barh([np.nan], [0], color=colour, label=f"BOR {code}")
    axes.legend(loc="lower right", fontsize=7, frameon=True, ncols=2)
    which = (f"all {len(follow)} subjects" if len(follow) <= max_subjects else
             f"the {max_subjects} of {len(follow)} subjects with the longest follow-up")
    caption = (f"Swimmer plot of the {population}, {which}: each bar runs from the CAR-T infusion to death "
               "or the last date known alive (ADSL), coloured by best overall response (ADRS PARAMCD "
               f"{bor}); marks show the first CR and PR and the first progression (ADRS PARAMCD OVR), death, "
               f"and {paramcd} censoring (ADTTE).")
    return figure, caption


# --- waterfall and spider ---------------------------------------------------------------------------

def _tumour_changes(frames: Mapping[str, pd.DataFrame], subjects: pd.DataFrame) -> pd.DataFrame:
    adtr = _of(frames["ADTR"], subjects)
    adtr = adtr[(adtr["PARAMCD"] == "SDIAM") & (adtr["ANL01FL"] == "Y")]
    return adtr.dropna(subset=["PCHG", "ADY"])


def waterfall_plot(frames: Mapping[str, pd.DataFrame], subjects: pd.DataFrame, population: str, *,
                   bor: str = "BOR") -> tuple[Figure, str]:
    """Best (smallest) percent change from baseline in the sum of diameters, one bar per subject."""
    changes = _tumour_changes(frames, subjects)
    best = changes.groupby(SUBJECT)["PCHG"].min().sort_values(ascending=False, kind="stable")
    adrs = _of(frames["ADRS"], subjects)
    response = best.index.map(adrs[adrs["PARAMCD"] == bor].set_index(SUBJECT)["AVALC"]).fillna("MISSING")
    figure, axes = _new()
    colours = pd.Series(response).map(RESPONSE_COLOURS).fillna("#cccccc").to_numpy()
    if len(best) <= BARS:
        axes.bar(np.arange(len(best)), best.to_numpy(), width=0.8, color=colours, lw=0)
    else:
        # thousands of bars: one line each, as wide as the axes allow (one collection, drawn at once)
        width = axes.get_position().width * figure.get_figwidth() * 72 / len(best)
        axes.vlines(np.arange(len(best)), 0, best.to_numpy(), colors=colours, lw=max(width, 0.1))
    axes.axhline(20, color="#d1242f", ls="--", lw=1)
    axes.axhline(-30, color="#1a7f37", ls="--", lw=1)
    axes.axhline(0, color="black", lw=0.8)
    axes.set_xticks([])
    axes.set_xlabel(f"Subjects ({len(best)}), by best change")
    axes.set_ylabel("Best change from baseline (%)")
    for code, colour in RESPONSE_COLOURS.items():
        if code in set(response):
            axes.bar([0], [0], color=colour, label=f"BOR {code}")
    axes.legend(loc="upper right", frameon=False, fontsize=8)
    missing = len(subjects) - len(best)
    caption = (f"Waterfall plot of the {population}: for each subject with a post-baseline assessment of "
               "every target lesion, the smallest percent change from baseline in the sum of the target "
               "lesions' diameters (ADTR PARAMCD SDIAM, PCHG, ANL01FL = Y), coloured by best overall "
               f"response (ADRS PARAMCD {bor}); dashed lines at +20 % (progression) and -30 % (partial "
               f"response, RECIST 1.1). {missing} subjects without such an assessment are not shown.")
    return figure, caption


def spider_plot(frames: Mapping[str, pd.DataFrame], subjects: pd.DataFrame, population: str, *,
                max_subjects: int = 60, bor: str = "BOR") -> tuple[Figure, str]:
    """Percent change from baseline in the sum of diameters over time, one line per subject."""
    changes = _tumour_changes(frames, subjects).sort_values([SUBJECT, "ADY"])
    adrs = _of(frames["ADRS"], subjects)
    response = adrs[adrs["PARAMCD"] == bor].set_index(SUBJECT)["AVALC"]
    people = sorted(changes[SUBJECT].unique())
    if len(people) > max_subjects:
        # An even spread over the subjects, the same for the same data.
        people = [people[i] for i in np.linspace(0, len(people) - 1, max_subjects).round().astype(int)]
    figure, axes = _new()
    for subject in people:
        mine = changes[changes[SUBJECT] == subject]
        colour = RESPONSE_COLOURS.get(response.get(subject, "MISSING"), "#cccccc")
        axes.plot(np.concatenate([[0], mine["ADY"]]), np.concatenate([[0], mine["PCHG"]]), "-o", ms=2.5,
                  lw=1, color=colour, alpha=0.8)
    axes.axhline(20, color="#d1242f", ls="--", lw=1)
    axes.axhline(-30, color="#1a7f37", ls="--", lw=1)
    axes.set_xlabel("Days since infusion")
    axes.set_ylabel("Change from baseline (%)")
    for code, colour in RESPONSE_COLOURS.items():
        if code in set(response.reindex(people).fillna("MISSING")):
            axes.plot([], [], color=colour, label=f"BOR {code}")
    axes.legend(loc="upper left", frameon=False, fontsize=8)
    total = changes[SUBJECT].nunique()
    which = (f"all {total} subjects" if total <= max_subjects
             else f"{max_subjects} of {total} subjects, evenly spread")
    caption = (f"Spider plot of the {population} ({which} with a post-baseline assessment of every target "
               "lesion): percent change from baseline in the sum of the target lesions' diameters at each "
               "assessment (ADTR PARAMCD SDIAM, PCHG, ANL01FL = Y), one line per subject starting at 0, "
               f"coloured by best overall response (ADRS PARAMCD {bor}); dashed lines at +20 % and -30 %.")
    return figure, caption


# --- cellular kinetics ------------------------------------------------------------------------------

def kinetics_plot(frames: Mapping[str, pd.DataFrame], subjects: pd.DataFrame, population: str, *,
                  dataset: str = "ADPC", last_day: float = 90) -> tuple[Figure, str]:
    """Median and interquartile range of the transgene level by nominal day, per analyte, log scale."""
    adpc = _of(frames[dataset], subjects)
    adpc = adpc[(adpc["ANL01FL"] == "Y") & (adpc["NFRLT"] >= 0) & (adpc["NFRLT"] <= last_day)]
    figure, axes = _new()
    colours = plt.get_cmap("tab10")
    unit = ""
    for i, (analyte, records) in enumerate(adpc.groupby("PARAMCD", sort=True)):
        summary = records.groupby("NFRLT")["AVAL"].quantile([0.25, 0.5, 0.75]).unstack()
        axes.plot(summary.index, summary[0.5], "-o", ms=3.5, color=colours(i), label=f"{analyte} median")
        axes.fill_between(summary.index, summary[0.25], summary[0.75], color=colours(i), alpha=0.18, lw=0)
        unit = str(records["AVALU"].iloc[0])
    lloq = adpc["ALLOQ"].dropna()
    if len(lloq):
        axes.axhline(float(lloq.iloc[0]), color="#555555", ls=":", lw=1, label=f"LLOQ ({lloq.iloc[0]:g})")
    axes.set_yscale("log", nonpositive="clip")
    axes.set_xlabel("Nominal day since infusion")
    axes.set_ylabel(f"Transgene level ({unit})")
    axes.legend(loc="upper right", frameon=False, fontsize=8)
    axes.grid(alpha=0.25, which="major")
    caption = (f"CAR-T expansion and persistence in the {population}: median (line) and interquartile range "
               f"(band) of the transgene level by nominal day (ADPC, ANL01FL = Y, days 0-{last_day:g}), per "
               "construct, log scale. Samples below the LLOQ count as 0 in the quantiles, so a median or "
               "quartile below the LLOQ (dotted) falls off the axis.")
    return figure, caption


# --- adverse events -------------------------------------------------------------------------------

def ae_heatmap(frames: Mapping[str, pd.DataFrame], subjects: pd.DataFrame, population: str, *,
               max_terms: int = 25, dataset: str = "ADAE", grade: str = "ATOXGR",
               grade_order: str = "ATOXGRN", scale: str | None = "ATOXSCL",
               emergent: str = "TRTEMFL") -> tuple[Figure, str]:
    """Subjects by worst grade of each preferred term (treatment-emergent), as a heat map; a term
    graded by ASTCT is marked so (`scale`: the grading-scale variable, null when all are CTCAE)."""
    adae = _of(frames[dataset], subjects)
    adae = adae[(adae[emergent] == "Y") & (adae[grade].astype("string").fillna("") != "")]
    astct = adae[scale].str.startswith("ASTCT") if scale else pd.Series(False, index=adae.index)
    adae = adae.assign(_TERM=adae["AEDECOD"].where(~astct, adae["AEDECOD"] + " (ASTCT)"))
    worst = incidence(adae, subjects, variable=SUBJECT, by=["_TERM", grade], subject_by=[],
                      worst_by=grade_order)
    table = worst.pivot_table(index="_TERM", columns=[grade, "operation"], values="value")
    counts = table.xs("n", axis=1, level="operation").fillna(0)
    percent = table.xs("pct", axis=1, level="operation").fillna(0)
    any_grade = counts.sum(axis=1).sort_values(ascending=False, kind="stable")
    terms = any_grade.index[:max_terms]
    grades = sorted(counts.columns, key=lambda g: float(g))
    shown = percent.loc[terms, grades]
    figure, axes = _new((9.5, max(3.5, 0.28 * len(terms) + 1.6)))
    image = axes.imshow(shown.to_numpy(), aspect="auto", cmap="Reds", vmin=0,
                        vmax=max(float(shown.to_numpy().max()), 1.0))
    for (r, c), value in np.ndenumerate(counts.loc[terms, grades].to_numpy()):
        if value:
            axes.text(c, r, f"{value:.0f}", ha="center", va="center", fontsize=7,
                      color="white" if shown.iloc[r, c] > 0.6 * float(shown.to_numpy().max()) else "black")
    axes.set_xticks(range(len(grades)), [f"Grade {g}" for g in grades])
    axes.set_yticks(range(len(terms)), terms, fontsize=8)
    figure.colorbar(image, ax=axes, label="Subjects with this worst grade (%)", shrink=0.8)
    total = len(any_grade)
    which = (f"all {total} preferred terms" if total <= max_terms
             else f"the {max_terms} most frequent of {total} terms")
    caption = (f"Treatment-emergent adverse events in the {population} (N = {len(subjects)}) by worst grade "
               f"({dataset}, {emergent} = Y): {which}, each subject counted once per term at its worst grade "
               f"({grade}); colour is the percentage of subjects, numbers the subjects. "
               + ("Terms graded on the ASTCT 2019 scale are marked, every other term is graded by NCI CTCAE."
                  if astct.any() else "Every term is graded by NCI CTCAE."))
    return figure, caption


# --- quality of life --------------------------------------------------------------------------------

def qlq_trajectories(frames: Mapping[str, pd.DataFrame], subjects: pd.DataFrame, population: str, *,
                     dataset: str = "ADQS") -> tuple[Figure, str]:
    """Mean scale scores by visit with standard errors: functional and global, and symptoms."""
    adqs = _of(frames[dataset], subjects)
    scales = adqs[(adqs["ANL01FL"] == "Y") & adqs["PARCAT2"].isin(["Functional", "Global", "Symptom"])]
    scales = scales[~scales["PARAMCD"].str.startswith("C15P")]
    visits = scales.drop_duplicates("AVISITN").sort_values("AVISITN")
    position = {v: i for i, v in enumerate(visits["AVISITN"])}
    figure, panels = _new((10.5, 4.8), ncols=2, sharex=True)
    colours = plt.get_cmap("tab10")
    panels_of = ((panels[0], ("Functional", "Global"), "Functional scales and global QoL (higher is better)"),
                 (panels[1], ("Symptom",), "Symptom scales (higher is worse)"))
    for axes, kinds, title in panels_of:
        chosen = scales[scales["PARCAT2"].isin(kinds)]
        for i, (code, records) in enumerate(chosen.groupby("PARAMCD", sort=True)):
            summary = records.groupby("AVISITN")["AVAL"].agg(["mean", "sem"])
            x = summary.index.map(position).to_numpy(dtype=float) + (i - 3) * 0.04
            axes.errorbar(x, summary["mean"], yerr=summary["sem"], fmt="-o", ms=3, lw=1.2, capsize=2,
                          color=colours(i % 10), label=code)
        axes.set_title(title, fontsize=9)
        axes.set_ylim(0, 100)
        axes.set_xticks(range(len(visits)), visits["AVISIT"], rotation=30, fontsize=8)
        axes.legend(fontsize=7, frameon=False, ncols=2)
        axes.grid(alpha=0.25)
    panels[0].set_ylabel("Mean score (0-100) ± SE")
    caption = (f"EORTC QLQ-C15-PAL scale scores in the {population} by analysis visit ({dataset}, ANL01FL = "
               "Y, PARCAT2 Functional / Global / Symptom): mean ± standard error. Left: physical and "
               "emotional functioning (PF, EF) and global quality of life (QL); right: symptom scales.")
    return figure, caption


TIME_TO_EVENT = (SUBJECT, "PARAMCD", "AVAL", "CNSR")
RESPONSES = (SUBJECT, "PARAMCD", "AVALC", "ADY")
TUMOUR = (SUBJECT, "PARAMCD", "ANL01FL", "PCHG", "ADY")
FIGURES: dict[str, FigureKind] = {k.name: k for k in (
    FigureKind("kaplan_meier", "Kaplan-Meier estimate", kaplan_meier_plot,
               lambda p: {p["dataset"]: TIME_TO_EVENT}),
    FigureKind("swimmer", "Swimmer plot", swimmer_plot,
               lambda p: {"ADSL": (SUBJECT, "TRTSDT", "DTHDT", "LSTALVDT"), "ADRS": RESPONSES,
                          "ADTTE": TIME_TO_EVENT}),
    FigureKind("waterfall", "Waterfall plot of the best change in tumour size", waterfall_plot,
               lambda p: {"ADTR": TUMOUR, "ADRS": RESPONSES}),
    FigureKind("spider", "Spider plot of the change in tumour size", spider_plot,
               lambda p: {"ADTR": TUMOUR, "ADRS": RESPONSES}),
    FigureKind("kinetics", "CAR-T expansion and persistence", kinetics_plot,
               lambda p: {p["dataset"]: (SUBJECT, "PARAMCD", "AVAL", "AVALU", "ALLOQ", "NFRLT", "ANL01FL")}),
    FigureKind("ae_heatmap", "Adverse events by worst grade", ae_heatmap,
               lambda p: {p["dataset"]: tuple(v for v in (SUBJECT, "AEDECOD", p["grade"], p["grade_order"],
                                                          p["scale"], p["emergent"]) if v)}),
    FigureKind("qlq_trajectories", "QLQ-C15-PAL scale trajectories", qlq_trajectories,
               lambda p: {p["dataset"]: (SUBJECT, "PARAMCD", "PARCAT2", "AVAL", "AVISIT", "AVISITN",
                                         "ANL01FL")}),
)}


def draw(kind: str, frames: Mapping[str, pd.DataFrame], subjects: pd.DataFrame, population: str,
         parameters: Mapping[str, Any]) -> tuple[str, str, bytes]:
    """A figure of a registered kind: its title, caption and PNG."""
    figure_kind = FIGURES[kind]
    options = {k: v for k, v in parameters.items() if k != "analysis_set"}
    with plt.rc_context(STYLE):
        figure, caption = figure_kind.draw(frames, subjects, population, **options)
        return figure_kind.title, caption, png_bytes(figure)
