"""Residence: the commune police register the child's permanent residence."""
