"""The GraphQL API: Strawberry types over the read queries, mutations over the services.

`build_schema(settings)` (schema.py) makes the schema; `graphql_routes(settings)`
(app.py) serves it at /graphql.
"""
