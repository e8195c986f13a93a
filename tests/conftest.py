"""Options and fixtures shared by the whole test suite.

No test sees the user's store of imported CDISC packages: the store is an empty temporary folder
($CLINFORGE_DATA) unless a test asks for `ct_store`, a store holding the SDTM and ADaM CT packages
and the SDTMIG/ADaMIG metadata imported from ../shared/reference (once per test session).
"""

from __future__ import annotations

import os

import pytest

from specs.store import ENV
from tests.reference import reference


def pytest_addoption(parser) -> None:
    parser.addoption("--record-core-rate", action="store_true", default=False,
                     help="Record the number of CORE rules whose test cases pass (tests/qc/engine).")


@pytest.fixture(autouse=True, scope="session")
def _empty_store(tmp_path_factory):
    previous = os.environ.get(ENV)
    os.environ[ENV] = str(tmp_path_factory.mktemp("empty-store"))
    yield
    if previous is None:
        os.environ.pop(ENV, None)
    else:
        os.environ[ENV] = previous


@pytest.fixture(scope="session")
def ct_store(tmp_path_factory):
    """A store with the reference CT packages (SDTM, ADaM 2025-03-28) and SDTMIG 3.4 / ADaMIG 1.3
    imported."""
    from specs.guides import import_guides
    from specs.terminology import import_ct

    root = tmp_path_factory.mktemp("ct-store")
    folder = reference("cdisc-ct")
    import_ct([folder / "SDTM Terminology 2025-03-28.txt", folder / "ADaM Terminology 2025-03-28.txt"],
              root)
    import_guides([reference("cdisc-standards", "sdtmig-3.4"), reference("cdisc-standards", "adamig-1.3")],
                  root)
    return root
