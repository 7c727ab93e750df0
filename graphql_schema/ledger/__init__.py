"""GraphQL ledger: types, queries and mutations."""
