"""Raw tumour and response rows of one subject, shared by the TU, TR and RS tests.

Screening: targets T01 (20 mm) and T02 (node, 15 mm), non-target NT01 present.
Day 28: T02 not assessed (scan not evaluable), NT01 present. Month 2: both targets measured,
NT01 in unequivocal progression, and a new lesion NEW01 (12 mm) in the liver.
"""

from __future__ import annotations


def _lesion(folder, date, lesid, kind, loc, diam="", nt="", reason="", node="No"):
    return {"SUBJID": "001", "FOLDER": folder, "TUDAT": date, "LESID": lesid, "LESTYPE": kind,
            "LESLOC": loc, "LESNODE": node, "METHOD": "CT", "DIAM": diam, "NTSTAT": nt, "NDREAS": reason}


TUMOR = [
    _lesion("SCRN", "05 MAR 2024", "T01", "Target", "LIVER", "20"),
    _lesion("SCRN", "05 MAR 2024", "T02", "Target", "LYMPH NODE", "15", node="Yes"),
    _lesion("SCRN", "05 MAR 2024", "NT01", "Non-target", "PERITONEUM", nt="Present"),
    _lesion("D28", "12 APR 2024", "T01", "Target", "LIVER", "14"),
    _lesion("D28", "12 APR 2024", "T02", "Target", "LYMPH NODE", reason="Scan not evaluable", node="Yes"),
    _lesion("D28", "12 APR 2024", "NT01", "Non-target", "PERITONEUM", nt="Present"),
    _lesion("M2", "14 MAY 2024", "T01", "Target", "LIVER", "16"),
    _lesion("M2", "14 MAY 2024", "T02", "Target", "LYMPH NODE", "12", node="Yes"),
    _lesion("M2", "14 MAY 2024", "NT01", "Non-target", "PERITONEUM", nt="Unequivocal progression"),
    _lesion("M2", "14 MAY 2024", "NEW01", "New", "LIVER", "12"),
]

RESPONSE = [
    # Day 28: a target not assessed -> NE overall.
    {"SUBJID": "001", "FOLDER": "D28", "RSDAT": "12 APR 2024", "TRGRESP": "NE",
     "NTRGRESP": "NON-CR/NON-PD", "NEWLES": "No", "OVRLRESP": "NE"},
    # Month 2: unequivocal non-target progression and a new lesion -> PD.
    {"SUBJID": "001", "FOLDER": "M2", "RSDAT": "14 MAY 2024", "TRGRESP": "PR",
     "NTRGRESP": "PD", "NEWLES": "Yes", "OVRLRESP": "PD"},
]
