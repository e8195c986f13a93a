"""An engine for conformance rules written in the CDISC CORE rule format.

A rule is data (`rule.Rule`, read from a CORE `rule.yml`): a scope, a rule type that says which
table the check sees, operations that add derived columns, datasets to join, a check tree of
`all` / `any` / `not` over named operators, and an outcome. The engine evaluates a check over a
whole table at once: every operator takes columns and returns one boolean per row.

Operators (`operators.py`), operations (`operations.py`) and rule types (`rule_types.py`) are
each registered once by name; they are the one place that grows. A rule that names something
not registered is reported as not run, naming what is missing.
"""
