"""clinforge: collected clinical-trial data to CDISC SDTM and ADaM, with define.xml and checks."""

__version__ = "0.1.0"
