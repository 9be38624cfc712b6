"""Benchmark the NLU of models/current.tar.gz: parse latency (p50, p95, max) one message at a time, as the bot
parses them, for short and long messages, without and with the sender's kind; and the model's load time.

Run from the repo root: `.venv-rasa/bin/python bench/bench_nlu.py` (`make bench` runs it with .venv, so it starts
itself again under .venv-rasa, where Rasa lives). Train first with `make model`. The target is p95 ≤ 30 ms.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
ROUNDS = 3

try:
    import rasa  # noqa: F401
except ImportError:  # `make bench` runs every script with .venv: hand over to the Rasa environment
    sys.exit(subprocess.call([str(RASA_PYTHON), "-W", "ignore", *sys.argv], cwd=ROOT))

os.environ.setdefault("OMP_WAIT_POLICY", "passive")
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from scripts.nlu_report import MODEL, _quiet, load_model, parse_all, training_examples  # noqa: E402


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95 and max of durations in seconds, in milliseconds."""
    ms = np.array(samples) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95)), float(ms.max())


def main() -> None:
    import bot.nlu.intent_classifier as intents

    _quiet()
    if not MODEL.exists():
        sys.exit(f"{MODEL} is missing: run `make model` first")
    time_components()
    started = time.perf_counter()
    agent = load_model(MODEL)
    load_s = time.perf_counter() - started
    texts = sorted({str(m.get("text")) for m in training_examples().intent_examples})
    short = [t for t in texts if len(t) <= 8][:150]
    long = sorted(texts, key=len, reverse=True)[:150]
    parse_all(agent, short[:10], [None] * 10)  # warm up (embedding model, jieba)
    print(f"model {MODEL.name}: loaded in {load_s:.1f} s")
    print(f"{'messages':<28}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, batch, kind in (("short (≤ 8 characters)", short, None), ("long (longest)", long, None),
                              ("short, sender kind staff", short, "staff"), ("long, sender kind client", long, "client")):
        samples = []
        for _ in range(ROUNDS):
            intents._CACHE.clear()  # every message is new to the embedding cache: the first-time figure
            for text in batch:
                start = time.perf_counter()
                parse_all(agent, [text], [kind])
                samples.append(time.perf_counter() - start)
        p50, p95, worst = percentiles(samples)
        print(f"{name:<28}{len(samples):>6}{p50:>10.1f}{p95:>10.1f}{worst:>10.1f}")
    repeated = []
    for text in short:  # the same message again ("确认", "好的"): its embedding comes from the cache
        parse_all(agent, [text], [None])
        start = time.perf_counter()
        parse_all(agent, [text], [None])
        repeated.append(time.perf_counter() - start)
    p50, p95, worst = percentiles(repeated)
    print(f"{'short, seen before (cache)':<28}{len(repeated):>6}{p50:>10.1f}{p95:>10.1f}{worst:>10.1f}")
    intents._CACHE.clear()
    component_breakdown(agent, short + long)


SPENT: dict[str, float] = {}
"""Seconds spent in each NLU component's `process` (and in the e5 embedding), once `time_components` ran."""


def time_components() -> None:
    """Wrap each NLU component's `process` (and the e5 embedding inside the intent classifier) with a timer.
    Before the model loads: Rasa's graph keeps the bound methods it found then."""
    from rasa.nlu.extractors.entity_synonyms import EntitySynonymMapper
    from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer

    import bot.nlu.intent_classifier as intents
    from bot.nlu.entity_extractor import CharCRFEntityExtractor
    from bot.nlu.fallback import IntentFallbackClassifier

    def timed(owner: object, attribute: str, label: str) -> None:
        original = getattr(owner, attribute)
        SPENT[label] = 0.0

        def wrapper(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                SPENT[label] += time.perf_counter() - started

        setattr(owner, attribute, wrapper)

    for owner, label in ((JiebaTokenizer, "JiebaTokenizer"), (CharCRFEntityExtractor, "CharCRFEntityExtractor"),
                         (intents.CharE5IntentClassifier, "CharE5IntentClassifier (all)"),
                         (EntitySynonymMapper, "EntitySynonymMapper"),
                         (IntentFallbackClassifier, "IntentFallbackClassifier")):
        timed(owner, "process", label)
    timed(intents, "embed", "  of which the e5 embedding")


def component_breakdown(agent: object, texts: list[str]) -> None:
    """Where a parse's time goes, as a mean per message and a share of the whole parse."""
    for label in SPENT:
        SPENT[label] = 0.0
    total = 0.0
    for text in texts:
        started = time.perf_counter()
        parse_all(agent, [text], [None])
        total += time.perf_counter() - started
    n = len(texts)
    print(f"\nwhere a parse's time goes ({n} messages, one at a time; mean per message)")
    print(f"{'component':<34}{'ms':>8}{'share':>8}")
    inside = sum(v for k, v in SPENT.items() if not k.startswith("  "))
    for label, seconds in [*SPENT.items(), ("graph and message handling (rest)", total - inside)]:
        print(f"{label:<34}{seconds / n * 1000:>8.1f}{seconds / total:>8.0%}")
    print(f"{'whole parse':<34}{total / n * 1000:>8.1f}{1:>8.0%}")


if __name__ == "__main__":
    main()
