"""The `inventory` command: one subcommand per process role or operator task."""
