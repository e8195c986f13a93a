"""The metadata model, its loader, the shipped spec files, and writing datasets by spec."""
