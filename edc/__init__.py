"""Collected data: the EDC export simulator and readers for raw exports."""
