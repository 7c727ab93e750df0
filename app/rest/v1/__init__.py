"""/v1: thin REST routes over the same services GraphQL and the consumers call."""
