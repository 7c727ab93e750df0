"""GraphQL movements: types, queries and mutations."""
