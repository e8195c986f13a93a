"""What the EDC simulator needs of a study, form by form: a library form drawn by a module reads
study.yaml keys (the CAR-T infusion reads `treatments.cart`), a study's own dosing form reads the
arms' schedules (`treatments.arms`), and a form no module draws needs a `simulate:` declaration on
each required field synth cannot make up (anything but a date or time). A study that lacks one is
refused before any drawing starts, with the file, line and keys, rather than failing half-way with
a KeyError or writing required fields blank."""

from __future__ import annotations

from pathlib import Path

from specs.errors import InputError
from specs.loader import STUDY_FORMS, study_yaml_place
from specs.model import Study

# The library forms a simulator module writes (edc.simulator), with the study.yaml keys it reads.
NEEDED = {
    "lymphodepletion": (("treatments", "lymphodepletion"),),
    "infusion": (("treatments", "cart"),),
    "qpcr": (("treatments", "cart"), ("kinetics",)),
    "cytokine": (("treatments", "cart"), ("kinetics",)),
    **dict.fromkeys(("enrol", "dm", "cancer_history", "prior_therapy", "ae", "tumor", "response",
                     "subsequent_therapy", "disposition", "death", "visit", "qlq"), ()),
}
DOSING = (("treatments", "arms"),)


def check_simulable(study: Study) -> None:
    """An InputError naming study.yaml, the line and the keys the study lacks for `synth`."""
    present = {"treatments": study.treatments, "kinetics": study.kinetics}
    for name, form in study.forms.items():
        needed = DOSING if form.simulate.get("dosing") else NEEDED.get(name, ())
        missing = [keys for keys in needed
                   if not present[keys[0]] or (len(keys) > 1 and keys[1] not in present[keys[0]])]
        if missing:
            file, line = study_yaml_place(study, *missing[0])
            raise InputError(
                f"synth cannot draw the form {name!r}: study.yaml lacks the key(s) "
                f"{', '.join('.'.join(keys) for keys in missing)}",
                file=file, line=line,
                expected="treatments.lymphodepletion, treatments.cart and kinetics for the CAR-T forms, as "
                         "in specs/studies/ovarian/study.yaml; treatments.arms for a dosing form, as in "
                         "specs/studies/melanoma/study.yaml")
        if name in NEEDED:
            continue
        blank = [f.name for f in form.fields if f.required and not f.simulate
                 and f.type not in ("date", "time") and f.name != form.simulate.get("per")]
        if blank:
            raise InputError(
                f"synth cannot draw the form {name!r}: its required field(s) {', '.join(blank)} have no "
                "`simulate:` declaration",
                file=str(Path(study.folder) / STUDY_FORMS), column=blank[0],
                expected="a declaration on each, e.g. `simulate: {values: [...]}` or `simulate: {from: arm}`,"
                         " as in specs/studies/melanoma/forms.yaml (docs/reference.md lists them)")
