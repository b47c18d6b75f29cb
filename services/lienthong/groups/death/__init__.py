"""The death group: death registration, deregistration, funeral allowance, survivor benefit."""
