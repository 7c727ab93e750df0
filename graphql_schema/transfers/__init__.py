"""GraphQL transfers: types, queries and mutations."""
