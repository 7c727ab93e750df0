"""GraphQL replenishment: par levels, reorder suggestions and inventory valuation."""
