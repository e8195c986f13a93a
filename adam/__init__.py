"""SDTM to ADaM: pure derivation functions and one builder per analysis dataset."""
