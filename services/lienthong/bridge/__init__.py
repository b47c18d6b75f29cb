"""The webhook bridge: agencies without Kafka receive their handoffs as signed webhooks and answer through an authenticated completion API."""
