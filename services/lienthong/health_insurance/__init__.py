"""Health insurance: Social Security issues the first card of a child under 6."""
