"""GraphQL materials: types, queries and mutations."""
