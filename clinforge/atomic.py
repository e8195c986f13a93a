"""Build an output folder beside its target and move it into place only when every step succeeded."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield a temporary sibling of `target`; on success it replaces `target`, on failure it is removed.

    The previous content of `target` stays untouched until the new folder is complete, so a failed
    or interrupted run never leaves a half-written package where a good one was.
    """
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    work.chmod(0o755)  # mkdtemp makes it private; the package is for others to read
    try:
        yield work
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, old / target.name)
    os.replace(work, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
