"""Time XPT v5 writing: pyreadstat 1.3 against specs.xport on 1,000,000 rows × (10 text + 10 numeric).

    PYTHONPATH=. python benchmarks/bench_xpt.py [--rows 1000000] [--folder /tmp]

One run of each, on the same conformed frame, into `folder`:
  pyreadstat      pyreadstat.write_xport (text passed as object columns, as the old writer did)
  xport           specs.xport.write_xport, from the frame's buffers to the file
  write_xpt       specs.xpt.write_xpt end to end: conform, XPT checks, write, fsync, rename
  raw write       the same number of bytes written with one write() (the floor), then with fsync
Prints seconds and MB/s (10**6 bytes) per case, the speed-up of xport over pyreadstat, and
whether the two files are byte-identical apart from the clock stamps pyreadstat writes.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from specs.dataset import build_timestamp, conform
from specs.model import DatasetSpec, Variable
from specs.xport import write_xport
from specs.xpt import _write_xpt_file, write_xpt, xport_columns


def _frame(rows: int) -> tuple[pd.DataFrame, DatasetSpec]:
    """Text of 1-11 characters (about 1 in 20 blank), numbers of every magnitude (1 in 10 missing)."""
    rng = np.random.default_rng(0)
    columns, variables = {}, []
    for i in range(1, 11):
        text = pd.Series(rng.integers(0, 10**10, rows).astype(str), dtype="str")
        columns[f"C{i}"] = ("V" + text).where(rng.random(rows) > 0.05, "")
        variables.append(Variable(f"C{i}", f"Text {i}", "Char", i))
    for i in range(1, 11):
        numbers = rng.standard_normal(rows) * 10.0 ** rng.integers(-5, 6, rows)
        columns[f"N{i}"] = np.where(rng.random(rows) > 0.1, numbers, np.nan)
        variables.append(Variable(f"N{i}", f"Number {i}", "Num", 10 + i))
    spec = DatasetSpec("BENCH", "XPT benchmark", "adam", "OTHER", "One record per row", (), tuple(variables))
    return pd.DataFrame(columns), spec


def _timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _raw_floor(path: Path, size: int, *, sync: bool) -> float:
    payload = np.full(size, 0x20, dtype=np.uint8)

    def write() -> None:
        with open(path, "wb") as handle:
            handle.write(memoryview(payload))
            if sync:
                handle.flush()
                os.fsync(handle.fileno())

    return _timed(write)


def run_cases(rows: int, folder: Path | None = None) -> tuple[dict[str, float], int, bool]:
    """Seconds per case (one run each), the size of the XPT file in bytes, and whether the xport
    and pyreadstat files are byte-identical but for the clock stamps."""
    frame, spec = _frame(rows)
    conformed = conform(frame, spec)
    labels = {v.name: v.label for v in spec.variables}
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        root = Path(scratch)
        as_objects = conformed.assign(**{f"C{i}": conformed[f"C{i}"].astype(object) for i in range(1, 11)})
        results = {"pyreadstat": _timed(lambda: pyreadstat.write_xport(
            as_objects, os.fspath(root / "pyreadstat.xpt"), file_label=spec.label, column_labels=labels,
            table_name=spec.name, file_format_version=5,
        ))}
        size = (root / "pyreadstat.xpt").stat().st_size

        def ours() -> None:
            with open(root / "xport.xpt", "wb") as handle:
                write_xport(handle, spec.name, spec.label, *xport_columns(conformed, spec), build_timestamp())

        results["xport"] = _timed(ours)
        same = _same_but_stamps(root / "pyreadstat.xpt", root / "xport.xpt")
        for name in ("pyreadstat.xpt", "xport.xpt"):
            (root / name).unlink()
        results["xport + fsync"] = _timed(lambda: _write_xpt_file(conformed, spec, root / "synced.xpt"))
        results["write_xpt"] = _timed(lambda: write_xpt(frame, spec, root / "bench.xpt"))
        results["raw write"] = _raw_floor(root / "raw.bin", size, sync=False)
        results["raw write + fsync"] = _raw_floor(root / "raw.bin", size, sync=True)
    return results, size, same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    results, size, same = run_cases(args.rows, args.folder)
    print(f"{args.rows:,} rows × (10 text + 10 numeric), {size / 1e6:.1f} MB per file")
    for name, seconds in results.items():
        print(f"  {name:<18} {seconds:7.2f} s  {size / 1e6 / seconds:8.1f} MB/s")
    print(f"  xport is {results['pyreadstat'] / results['xport']:.1f}× faster than pyreadstat "
          f"(write_xpt end to end {results['pyreadstat'] / results['write_xpt']:.1f}×); "
          f"files byte-identical but for the clock stamps: {same}")


def _same_but_stamps(first: Path, second: Path) -> bool:
    """Equal bytes outside the four 16-byte created/modified stamps (pyreadstat writes the clock)."""
    one, other = bytearray(first.read_bytes()), bytearray(second.read_bytes())
    for offset in (144, 160, 464, 480):
        one[offset:offset + 16] = other[offset:offset + 16]
    return one == other


if __name__ == "__main__":
    main()
