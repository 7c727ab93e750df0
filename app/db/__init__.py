"""Engine, tables, locking helpers and read queries."""
