"""GraphQL purchase orders: types, queries and mutations."""
