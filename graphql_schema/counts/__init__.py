"""GraphQL count sessions: types, queries and mutations."""
