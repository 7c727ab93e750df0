"""Units of measure: the standard units, and an item's own units."""
