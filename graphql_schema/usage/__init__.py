"""GraphQL usage and variance report."""
