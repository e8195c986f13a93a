"""Quality control: expectation suites, conformance rules, reports, compare."""
