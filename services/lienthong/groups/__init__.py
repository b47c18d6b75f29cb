"""Procedure groups: one package per group, each its whole declaration, rules and decisions."""
