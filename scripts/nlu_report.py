"""Print the held-out NLU results written by scripts/nlu_eval.sh: macro-F1 per config, weakest intents,
and the most frequent confusion pairs."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def main(out: Path) -> None:
    for results in sorted(out.glob("results-*")):
        report = json.loads((results / "intent_report.json").read_text(encoding="utf-8"))
        macro = report["macro avg"]
        test_size = report["macro avg"]["support"]
        print(f"\n## {results.name.removeprefix('results-')}: intent macro-F1 {macro['f1-score']:.3f} "
              f"(precision {macro['precision']:.3f}, recall {macro['recall']:.3f}, {test_size} test messages)")
        intents = {k: v for k, v in report.items() if isinstance(v, dict) and "f1-score" in v and k not in (
            "macro avg", "weighted avg", "micro avg", "accuracy")}
        weakest = sorted(intents.items(), key=lambda item: item[1]["f1-score"])[:8]
        print("weakest intents: " + ", ".join(f"{k} {v['f1-score']:.2f}" for k, v in weakest))
        errors_file = results / "intent_errors.json"
        errors = json.loads(errors_file.read_text(encoding="utf-8")) if errors_file.exists() else []
        pairs = Counter((e["intent"], e["intent_prediction"]["name"]) for e in errors)
        print(f"{len(errors)} errors; most frequent confusions (true → predicted):")
        for (true, predicted), count in pairs.most_common(12):
            examples = [e["text"] for e in errors if e["intent"] == true and e["intent_prediction"]["name"] == predicted]
            print(f"  {true} → {predicted}: {count}  e.g. {examples[0]}")
        entity = results / "DIETClassifier_report.json"
        if entity.exists():
            er = json.loads(entity.read_text(encoding="utf-8"))
            print(f"entities (DIET) macro-F1 {er['macro avg']['f1-score']:.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "var/nlu-eval"))
