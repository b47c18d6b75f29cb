"""Faust plumbing shared by every deployable: app factory, topics, the dead-letter pipeline."""
