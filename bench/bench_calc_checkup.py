"""Benchmark one wealth check-up (target <= 5 ms) against constructing its input, measured in the same run.

Run from the repo root: .venv/bin/python bench/bench_calc_checkup.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.timing import timed as _timed
from calc.checkup import CheckupInput, run_checkup
from calc.risk import QUESTIONNAIRE, score_answers
from calc.score import health_score

HOLDINGS = {"deposit": 20000, "cash_management": 15000, "wmp": 150000, "bond_fund": 100000, "mixed_fund": 80000,
            "equity_fund": 60000, "index_fund": 30000, "qdii_fund": 10000, "gold": 15000,
            "critical_illness_insurance": 8000}


def make_input() -> CheckupInput:
    return CheckupInput(age=40, monthly_income=30000, monthly_expenses=12000, dependants=2, holdings=dict(HOLDINGS),
                        life_cover=1_000_000, critical_illness_cover=300_000, medical_cover=0, risk_level="C3",
                        horizon_years=8, largest_position=150000, annual_premiums=50000)




def timed(fn: Callable[[], object]) -> float:
    """Median ms over 2,000 calls after 50 warm-up calls (a check-up is microseconds long)."""
    return _timed(fn, repeat=2000, warmup=50)


def main() -> None:
    inp = make_input()
    result = run_checkup(inp)
    answers = {q.id: 2 for q in QUESTIONNAIRE}
    baseline = timed(make_input)
    rows = [
        ("construct CheckupInput (baseline)", baseline, None),
        ("run_checkup (one check-up)", timed(lambda: run_checkup(inp)), 5.0),
        ("construct + run_checkup", timed(lambda: run_checkup(make_input())), 5.0),
        ("health_score (from a check-up)", timed(lambda: health_score(
            checkup=result, client_level="C3", holding_risks=["R1", "R2", "R3", "R3", "R4"], days_since_contact=10,
            days_since_login=2, days_since_transaction=30, contacts_90d=2, logins_90d=5, transactions_90d=1,
            monthly_income=30000, bank_assets=480000, maturing_90d=50000, age=40)), None),
        ("score_answers (11 questions)", timed(lambda: score_answers(answers)), None),
    ]
    print(f"{'operation':<36} {'median ms':>10} {'x baseline':>11} {'target':>9} {'ok':>4}")
    for name, ms, target in rows:
        ok = "" if target is None else ("yes" if ms <= target else "NO")
        target_text = "" if target is None else f"<= {target:g} ms"
        print(f"{name:<36} {ms:>10.4f} {ms / baseline:>11.1f} {target_text:>9} {ok:>4}")


if __name__ == "__main__":
    main()
