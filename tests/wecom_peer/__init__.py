"""Real HTTP peers for WeCom tests and benchmarks: a fake WeCom API server and a callback simulator."""
