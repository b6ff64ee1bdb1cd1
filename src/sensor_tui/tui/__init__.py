"""The terminal monitor: a Textual app that is one client of the ingest pipeline."""
