"""The deterministic demo bank: catalogue, people and positions, built by `generator.build`."""

from bank.demo.generator import DEFAULT_CLIENTS, FEATURES, DemoBankExists, build

__all__ = ["DEFAULT_CLIENTS", "FEATURES", "DemoBankExists", "build"]
