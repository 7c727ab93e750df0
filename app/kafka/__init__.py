"""Kafka topics and client configuration shared by the relay and the consumers."""
