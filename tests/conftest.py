"""Options shared by the whole test suite."""

from __future__ import annotations


def pytest_addoption(parser) -> None:
    parser.addoption("--record-core-rate", action="store_true", default=False,
                     help="Record the number of CORE rules whose test cases pass (tests/qc/engine).")
