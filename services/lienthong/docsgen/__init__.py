"""The documentation's reference pages, generated from the code (settings, CLI, topics, events)."""
