"""The webhook bridge: agencies without Kafka get signed webhooks, answer through an API."""
