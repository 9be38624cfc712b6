"""The planning and check-up calculation engine: pure functions, no I/O."""
