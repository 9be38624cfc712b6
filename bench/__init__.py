"""Benchmark scripts (`make bench` runs every bench_*.py); `timing` holds the shared timer."""
