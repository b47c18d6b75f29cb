"""The report a provincial office publishes, built from the status topic (replayable)."""
