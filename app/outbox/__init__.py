"""Events written in the transaction of their change, relayed to Kafka after commit."""
