"""What the EDC simulator needs of a study: the CAR-T seed design (lymphodepletion, then one
infusion, with cellular kinetics). A study without it is refused before any drawing starts, with
the file, line and keys, rather than failing half-way with a KeyError."""

from __future__ import annotations

from specs.errors import InputError
from specs.loader import study_yaml_place
from specs.model import Study

# study.yaml keys the simulator's modules read (edc.timeline, edc.subjects, edc.kinetics).
NEEDED = (("treatments", "lymphodepletion"), ("treatments", "cart"), ("kinetics",))


def check_simulable(study: Study) -> None:
    """An InputError naming study.yaml, the line and the keys the study lacks for `synth`."""
    present = {"treatments": study.treatments, "kinetics": study.kinetics}
    missing = [keys for keys in NEEDED
               if not present[keys[0]] or (len(keys) > 1 and keys[1] not in present[keys[0]])]
    if missing:
        file, line = study_yaml_place(study, *missing[0])
        raise InputError(
            f"synth simulates the CAR-T seed design only, and study.yaml lacks the key(s) "
            f"{', '.join('.'.join(keys) for keys in missing)}",
            file=file, line=line,
            expected="treatments.lymphodepletion, treatments.cart and kinetics as in a shipped study "
                     "(specs/studies/ovarian/study.yaml); for another design, bring your own raw exports "
                     "to `clinforge sdtm`")
