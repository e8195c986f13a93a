from pathlib import Path

from adam.build import BUILDERS as ADAM_BUILDERS
from clinforge.reference import reference_markdown
from sdtm.algorithms import BUILDER_PARAMETERS, BUILDERS, PARAMETERS, REGISTRY

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference.md"


def test_the_committed_reference_is_the_one_the_code_writes():
    # Rewrite it with `make reference` after changing an algorithm, builder or parameter.
    assert REFERENCE.read_text(encoding="utf-8") == reference_markdown()


def test_every_registration_and_parameter_is_documented():
    text = reference_markdown()
    for names, parameters in ((REGISTRY, PARAMETERS), (BUILDERS, BUILDER_PARAMETERS)):
        for name in names:
            assert f"### `{name}`" in text
            assert all(f"| `{p}` |" in text for p in parameters[name].described)
    assert all(f"### {dataset}: " in text for dataset in ADAM_BUILDERS)
    assert "(undocumented)" not in text
