"""ADaM → analysis results: ARS results data (ARD) for the analyses a study's analysis plan declares,
statistics from maintained libraries, and the study review report with its figures."""
