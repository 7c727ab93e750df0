"""The validation rules of the limits, and the extension adding them to each request."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

from graphql_schema.security.aliases import alias_limit_rule
from graphql_schema.security.depth import depth_limit_rule
from graphql_schema.security.limits import SecurityLimits
from graphql_schema.security.page_size import page_size_rule


def security_validation_rules(
    limits: SecurityLimits, production: bool, variables: Mapping[str, Any] | None = None
) -> list[type[ASTValidationRule]]:
    """Depth, aliases, page size (literal or from `variables`); no introspection in production."""
    rules: list[type[ASTValidationRule]] = [
        depth_limit_rule(limits.max_depth),
        alias_limit_rule(limits.max_aliases),
        page_size_rule(limits.max_page_size, variables),
    ]
    if production:
        rules.append(NoSchemaIntrospectionCustomRule)
    return rules


class ValidationLimits(SchemaExtension):
    """Adds `security_validation_rules` for this request's variables."""

    def __init__(self, *, limits: SecurityLimits, production: bool) -> None:
        self._limits = limits
        self._production = production

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        rules = security_validation_rules(self._limits, self._production, context.variables)
        context.validation_rules = (*context.validation_rules, *rules)
        yield
