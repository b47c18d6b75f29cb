"""The birth group: birth registration, permanent residence, health insurance, linked."""
