"""What every procedure group shares: the declaration's types, the legal clock, the registers."""
