"""Write raw frames as the EDC exports them: `<form>.csv`, UTF-8, comma-separated, `\n` line ends."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd


def write_raw(frames: dict[str, pd.DataFrame], folder: str | Path) -> list[Path]:
    """Write one CSV per form (internal `_` columns left out); each file appears whole or not at all."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sorted(frames):
        frame = frames[name]
        columns = [c for c in frame.columns if not str(c).startswith("_")]
        path = folder / f"{name}.csv"
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".csv", dir=folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                frame.to_csv(out, columns=columns, index=False, lineterminator="\n")
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(path)
    return written
