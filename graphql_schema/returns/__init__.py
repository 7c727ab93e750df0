"""GraphQL customer returns."""
