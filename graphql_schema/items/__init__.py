"""GraphQL items: types, queries and mutations."""
