"""GraphQL recipes: types, queries and mutations."""
