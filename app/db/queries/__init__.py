"""Read queries that skip the domain: listings, lookups, checks."""
