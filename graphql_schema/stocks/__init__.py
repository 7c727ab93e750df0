"""GraphQL stocks: types, queries and mutations."""
