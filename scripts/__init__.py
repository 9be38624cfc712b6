"""Developer tooling: starting, watching and stopping the project's services (used by `make run` and the tests)."""
