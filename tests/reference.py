"""Where the tests find the public reference files (`../shared/reference/`, see its README).

CI has that folder beside the checkout. A test that needs it fails, never skips, when it is
missing: a check that did not run must not count as passed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


def reference(*parts: str) -> Path:
    path = REFERENCE.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"reference data missing: {path} (CI provides ../shared/reference; see its README)")
    return path


@cache
def reference_libraries() -> dict:
    """SDTMIG 3.4 and ADaMIG 1.3 as the rule engine consults them, from the CDISC Library exports."""
    from qc.engine.library import Library
    from specs.library_csv import read_adamig, read_sdtmig

    version, sdtm = read_sdtmig(reference("cdisc-standards", "sdtmig-3.4"))
    adam_version, adam = read_adamig(reference("cdisc-standards", "adamig-1.3"))
    sdtmig, adamig = Library("SDTMIG", version, sdtm), Library("ADAMIG", adam_version, adam)
    return {"SDTMIG": sdtmig, "SENDIG": sdtmig, "TIG": sdtmig, "ADAMIG": adamig}
