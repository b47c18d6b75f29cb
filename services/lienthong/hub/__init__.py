"""The hub: intake, routing graph, legal clock, status lookup."""
