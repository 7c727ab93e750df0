"""HTTP entry points other than GraphQL: the /v1 REST compatibility surface."""
