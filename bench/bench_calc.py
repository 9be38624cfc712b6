"""Benchmarks for calc/: Monte Carlo (fast float32 path vs float64 vs per-path loop) and the vectorised back-test."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.timing import timed
from calc.performance import backtest
from calc.simulate import monte_carlo

PATHS, YEARS = 10_000, 40


def _loop(n_paths: int) -> None:
    """Per-path Python loop baseline (scalar recurrence, same model)."""
    rng = np.random.default_rng(0)
    s2 = math.log(1 + (0.15 / 1.06) ** 2)
    mu, sd = (math.log(1.06) - s2 / 2) / 12, math.sqrt(s2 / 12)
    for _ in range(n_paths):
        v, ys = 10_000.0, []
        z = rng.standard_normal(YEARS * 12)
        for m in range(YEARS * 12):
            v = v * math.exp(mu + sd * z[m]) + 1_000.0
            if (m + 1) % 12 == 0:
                ys.append(v)


def main() -> None:
    fast = timed(lambda: monte_carlo(10_000, 1_000, YEARS, 0.06, 0.15, n_paths=PATHS), repeat=5)
    f64 = timed(lambda: monte_carlo(10_000, 1_000, YEARS, 0.06, 0.15, n_paths=PATHS, dtype=np.float64), repeat=5)
    sub = 200
    loop = timed(lambda: _loop(sub), repeat=1, warmup=0) * PATHS / sub
    print("| Monte Carlo 10,000 paths x 40 years monthly, yearly bands | ms | speed-up of fast path |")
    print("|---|---|---|")
    print(f"| float32 in-place (ours) | {fast:.1f} | 1.0x |")
    print(f"| float64 | {f64:.1f} | {f64 / fast:.1f}x |")
    print(f"| per-path Python loop ({sub} paths timed, scaled x{PATHS // sub}) | {loop:.0f} | {loop / fast:.0f}x |")

    import empyrical

    rng = np.random.default_rng(0)
    days, assets, ports = 3 * 242, 10, 1_000
    idx = pd.bdate_range("2021-01-04", periods=days)
    navs = pd.DataFrame(np.cumprod(1 + rng.normal(0.0003, 0.01, (days, assets)), axis=0), index=idx)
    w = rng.dirichlet(np.ones(assets), ports)
    ours = timed(lambda: backtest(w, navs, rebalance="M"), repeat=3)
    k = 20

    def peer() -> None:
        res = backtest(w[:k], navs, rebalance="M")
        for i in range(k):
            r = res.nav[i].pct_change().dropna()
            empyrical.max_drawdown(r), empyrical.annual_volatility(r), empyrical.sharpe_ratio(r)
            empyrical.annual_return(r)

    one = timed(lambda: [backtest(w[i], navs, rebalance="M") for i in range(k)], repeat=1) * ports / k
    emp = timed(peer, repeat=1) * ports / k
    print()
    print("| Back-test 1,000 portfolios x 3 years daily, monthly rebalance | ms | ratio vs ours |")
    print("|---|---|---|")
    print(f"| ours, weights matrix (one call) | {ours:.1f} | 1.0x |")
    print(f"| ours one portfolio at a time ({k} timed, scaled) | {one:.0f} | {one / ours:.1f}x |")
    print(f"| per portfolio + empyrical metrics ({k} timed, scaled) | {emp:.0f} | {emp / ours:.1f}x |")


if __name__ == "__main__":
    main()
