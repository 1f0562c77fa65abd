"""Use cases that open a unit of work: triage, import."""
