"""GraphQL locations: types, queries and mutations."""
