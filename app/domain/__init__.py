"""Pure stock rules and their error codes; imports nothing else of ours."""
