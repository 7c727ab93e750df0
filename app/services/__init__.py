"""The use cases: one function per write, each one database transaction.

GraphQL, /v1 and the Kafka consumers all call these; no business rule lives elsewhere.
"""
