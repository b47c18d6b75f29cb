"""The death group (liên thông khai tử): its intake rules and the projections of its handoffs."""
