"""Where the tests find the public reference files (`../shared/reference/`, see its README).

CI has that folder beside the checkout. A test that needs it fails, never skips, when it is
missing: a check that did not run must not count as passed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


def reference(*parts: str) -> Path:
    path = REFERENCE.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"reference data missing: {path} (CI provides ../shared/reference; see its README)")
    return path
