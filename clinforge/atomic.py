"""Build an output folder beside its target and move it into place only when every step succeeded."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from specs.errors import InputError


def _unwritable(target: Path, exc: OSError) -> InputError:
    return InputError(
        f"the output folder {target} cannot be written ({exc.strerror or exc}); check its permissions, "
        "that the disk is not read-only or full, then run again")


def check_output_folder(target: Path) -> None:
    """Refuse, before any work, an output path that is a file or lies below one."""
    if target.exists() and not target.is_dir():
        raise InputError(f"the output path {target} exists and is not a folder; give a folder path")
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"the output path {target} lies below {parent}, which is a file: "
                                 f"Not a directory; give a folder path")
            break


@contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield a temporary sibling of `target`; on success it replaces `target`, on failure it is removed.

    The previous content of `target` stays untouched until the new folder is complete, so a failed
    or interrupted run never leaves a half-written package where a good one was.
    """
    target = Path(target).absolute()
    check_output_folder(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
        work.chmod(0o755)  # mkdtemp makes it private; the package is for others to read
    except OSError as exc:
        raise _unwritable(target, exc) from None
    try:
        yield work
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    old = None
    try:
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.replace(target, old / target.name)
        os.replace(work, target)
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        if old is not None and not target.exists() and (old / target.name).exists():
            os.replace(old / target.name, target)  # put the previous output back
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        raise _unwritable(target, exc) from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
