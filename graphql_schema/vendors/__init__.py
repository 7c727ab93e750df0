"""GraphQL vendors: types, queries and mutations."""
