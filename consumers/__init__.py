"""Kafka consumers: a generic runner (manual commits, rebalances, dead letters) and one
small module per consumed topic that decodes its messages and calls a service."""
