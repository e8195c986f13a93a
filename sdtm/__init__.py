"""Collected data to SDTM, driven by the study's mapping specs."""
