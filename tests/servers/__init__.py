"""Real servers the tests start and stop themselves (PostgreSQL, ...), one module each."""
