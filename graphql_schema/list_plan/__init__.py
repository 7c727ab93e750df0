"""A list's selection executed field by field for the whole list, planned once per operation.

Why: graphql-core completes a list of 100 stocks node by node and field by field (a
resolve info, an argument check, a resolver call, awaitable checks and a completion per
field: ~1,500 of them for a dashboard page, 15 ms of CPU). A dataloader field makes it
worse: 100 coroutines, each awaited through graphql-core's gathering.

What: `plan_list(executor, item_type, field details)` plans the list's items once per
operation (per list field of the document; field collection, fragments, aliases and
@skip/@include are graphql-core's own `collect_subfields`): for each object type, the
fields it selects, each with how to resolve it for a whole column of objects and how to
complete its values. Running the plan on a list then, level by level:

- resolves each field once for all the objects of the level: a plain Strawberry field
  (no resolver, no extension) is read as an attribute; a Strawberry resolver is called
  per object with the arguments converted once (its Info built once per level); any
  other field (permission classes, field extensions, a non-Strawberry resolver) through
  its GraphQL resolve function, the arguments coerced once;
- settles every awaitable of the level together, in lockstep rounds, so a dataloader
  field is one batched call per list (and per round), with no task per object;
- completes each column by its type: scalars and enums by the type's own coercion,
  lists flattened into one column, unions and interfaces grouped by runtime type
  (the type's own `resolve_type`), objects checked by their `is_type_of`, and nested
  objects as the next level, every column's next level started together;
- writes the result rows.

Anything the plan does not know (@defer/@stream, a middleware, a field graphql-core would
not find) leaves the list to graphql-core. At run time, anything unexpected (an
exception, a null in a non-null position, a value of the wrong type, a coercion that
refuses) raises `Unplanned`, and the caller completes the list with graphql-core from
the start, so errors, their paths and null propagation are graphql-core's. Resolvers
only read (their loaders cache what they loaded), so resolving twice is safe.

Only public APIs of graphql-core (`GraphQLField.resolve`, `resolve_type`, `is_type_of`,
`coerce_output_value`, the executor's `collect_subfields` and `build_resolve_info`) and
Strawberry's field definitions (`StrawberryField`, its resolver and argument conversion)
are used.
"""

from graphql_schema.list_plan.bound import running, running_on
from graphql_schema.list_plan.columns import Complete, Unplanned
from graphql_schema.list_plan.planner import plan_list
from graphql_schema.list_plan.resolvers import RequestBound

__all__ = ["Complete", "RequestBound", "Unplanned", "plan_list", "running", "running_on"]
