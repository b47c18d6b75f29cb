"""Civil registry: the commune People's Committee registers the birth and issues the ID number."""
