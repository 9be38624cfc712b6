"""NLU evaluation: cross-validation on the training data, and the blind held-out set parsed by a trained model.

Two figures, kept apart on purpose:

* **CV** (`cv`): stratified k-fold over `bot/data/nlu`, through the real components of `config.yml` (character
  CRF, then the intent classifier, then the per-intent fallback), in-process with the e5 embeddings cached
  across folds. Out-of-fold probabilities also choose the fallback thresholds (`thresholds`): nothing is tuned
  on the held-out set.
* **Held-out** (`heldout`): `tests/eval/nlu_heldout.yml`, written blind from the product description and the
  intent list, parsed by `models/current.tar.gz` exactly as the bot parses messages. It is reported, never
  trained or tuned on (tests/rasa_env/test_nlu_heldout.py guards against leakage).

An `nlu_fallback` counts as a miss in both. Scores are given without the sender's kind (what the REST channel
and the e2e test stories send) and with it (what the WeCom and web channels send: `sender_kind` in the
message metadata, here the kind implied by the intent's audience; intents open to everyone are scored once
for staff and once for clients).

usage: python -m scripts.nlu_report cv [--folds 3 | --by-author] | thresholds [--folds 3 | --by-author]
       | heldout [--model M] [--examples]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import sys
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "tests" / "eval" / "nlu_heldout.yml"
MODEL = ROOT / "models" / "current.tar.gz"
FALLBACK = "nlu_fallback"
CLASSIFIER = "bot.nlu.intent_classifier.CharE5IntentClassifier"
EXTRACTOR = "bot.nlu.entity_extractor.CharCRFEntityExtractor"
FALLBACK_COMPONENT = "bot.nlu.fallback.IntentFallbackClassifier"
KINDS = ("staff", "client")


def _quiet() -> None:
    """Keep Rasa's debug logging (which prints every parsed text) and TensorFlow's chatter out of the report."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    logging.disable(logging.INFO)
    warnings.filterwarnings("ignore")
    for name in ("rasa", "tensorflow", "absl", "jieba"):
        logging.getLogger(name).setLevel(logging.ERROR)
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def pipeline_config(path: Path = ROOT / "config.yml") -> dict[str, dict[str, Any]]:
    """Each pipeline component's settings in `config.yml`, by component name."""
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {item["name"]: {k: v for k, v in item.items() if k != "name"} for item in config["pipeline"]}


def kinds_for(intent: str, classifier_config: dict[str, Any]) -> tuple[str, ...]:
    """The sender kinds an intent is scored under: its audience, or both kinds for intents open to everyone."""
    if intent in classifier_config.get("staff_intents", []):
        return ("staff",)
    if intent in classifier_config.get("client_intents", []):
        return ("client",)
    return KINDS


@dataclass
class Scores:
    """Accuracy, macro-F1 and the confusions of one run (`truth` and `guess` aligned)."""

    truth: list[str]
    guess: list[str]
    texts: list[str] = field(default_factory=list)
    top: list[str] = field(default_factory=list)
    """The classifier's best intent under an nlu_fallback (held-out runs only)."""

    @property
    def accuracy(self) -> float:
        return float(np.mean([t == g for t, g in zip(self.truth, self.guess, strict=True)])) if self.truth else 0.0

    @property
    def macro_f1(self) -> float:
        from sklearn.metrics import f1_score

        labels = sorted(set(self.truth))  # nlu_fallback is a miss, not a class of its own
        return float(f1_score(self.truth, self.guess, labels=labels, average="macro", zero_division=0))

    def confusions(self) -> list[tuple[tuple[str, str], int]]:
        return Counter((t, g) for t, g in zip(self.truth, self.guess, strict=True) if t != g).most_common()

    def per_intent_f1(self) -> dict[str, float]:
        from sklearn.metrics import f1_score

        labels = sorted(set(self.truth))
        values = f1_score(self.truth, self.guess, labels=labels, average=None, zero_division=0)
        return dict(zip(labels, (float(v) for v in values), strict=True))

    def line(self) -> str:
        fallbacks = sum(g == FALLBACK for g in self.guess)
        return (f"accuracy {self.accuracy:.3f}  macro-F1 {self.macro_f1:.3f}  ({len(self.truth)} messages, "
                f"{len(set(self.truth))} intents, {fallbacks} nlu_fallback)")


def print_scores(title: str, scores: Scores, examples: bool = False, limit: int = 40) -> None:
    print(f"{title}: {scores.line()}")
    weakest = sorted(scores.per_intent_f1().items(), key=lambda item: item[1])[:6]
    print("  weakest intents: " + ", ".join(f"{k} {v:.2f}" for k, v in weakest))
    confusions = scores.confusions()
    print(f"  confusions (true → predicted), {sum(n for _, n in confusions)} in all:")
    for (true, predicted), count in confusions[:limit]:
        line = f"    {true} → {predicted}: {count}"
        if examples:
            found = [x for x, t, g in zip(scores.texts, scores.truth, scores.guess, strict=True)
                     if t == true and g == predicted]
            line += "  e.g. " + " | ".join(found[:3])
        print(line)


# ── cross-validation on the training data ──────────────────────────────────────────────────────────────────


def training_examples(data: Path = ROOT / "bot" / "data") -> Any:
    """The training data (Rasa's importer, so regexes and lookup tables come along) and its intent examples."""
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_config(
        config_path=str(ROOT / "config.yml"), domain_path=str(ROOT / "domain.yml"), training_data_paths=[str(data)])
    return importer.get_nlu_data()


_EMBEDDINGS: dict[str, np.ndarray] = {}
CACHE_FILE = ROOT / "var" / "nlu-eval" / "e5-cache.npz"


@contextmanager
def cached_embeddings(cache_file: Path | None = CACHE_FILE) -> Iterator[None]:
    """Memoise e5 embeddings by text while evaluating (folds share most texts), kept in `cache_file` between
    runs (an evaluation cache only: the trained model always embeds afresh)."""
    from bot.nlu import intent_classifier

    original = intent_classifier.embed
    if cache_file is not None and cache_file.exists() and not _EMBEDDINGS:
        stored = np.load(cache_file)
        _EMBEDDINGS.update(zip((str(t) for t in stored["texts"]), stored["vectors"], strict=True))
    known = len(_EMBEDDINGS)

    def embed(texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in _EMBEDDINGS))
        if missing:
            for text, vector in zip(missing, original(missing), strict=True):
                _EMBEDDINGS[text] = vector
        return np.stack([_EMBEDDINGS[t] for t in texts]) if texts else original([])

    intent_classifier.embed = embed
    try:
        yield
    finally:
        intent_classifier.embed = original
        if cache_file is not None and len(_EMBEDDINGS) > known:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            texts = list(_EMBEDDINGS)
            np.savez(cache_file, texts=np.array(texts), vectors=np.stack([_EMBEDDINGS[t] for t in texts]))


@dataclass
class OutOfFold:
    """Out-of-fold intent rankings of every training example (before the fallback), with the kind used."""

    texts: list[str]
    truth: list[str]
    kinds: list[str | None]
    rankings: list[list[dict[str, Any]]]


AUTHORS = {"breadth_": "breadth", "blind_": "blind", "situational_": "situational", "_varied": "varied"}
"""Training files by the pass that wrote them (a file name's prefix or suffix); the rest is the first pass."""


def author_of(path: Path) -> str:
    """The writing pass a training file belongs to (see AUTHORS).

    >>> [author_of(Path(name)) for name in ("nlu/breadth_client.yml", "plans_varied.yml", "push.yml")]
    ['breadth', 'varied', 'first']
    """
    for mark, author in AUTHORS.items():
        if path.stem.startswith(mark) or path.stem.endswith(mark):
            return author
    return "first"


def authors_by_text(data: Path = ROOT / "bot" / "data" / "nlu") -> dict[str, str]:
    """Each training utterance (normalised, as Rasa reads it) and the pass that first wrote it."""
    from rasa.shared.nlu.training_data.loading import load_data

    out: dict[str, str] = {}
    for path in sorted(data.glob("*.yml")):
        for message in load_data(str(path)).intent_examples:
            out.setdefault(normalise(str(message.get("text"))), author_of(path))
    return out


def _splits(examples: list[Any], labels: list[str], folds: int, seed: int,
            by_author: bool) -> Iterator[tuple[Any, Any]]:
    """Stratified k-fold, or (`by_author`) each later writing pass held out in turn, trained on all the
    others: how well one author's examples teach the classifier another's wording, nearer what a new user
    writes."""
    from sklearn.model_selection import StratifiedKFold

    if not by_author:
        yield from StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(examples, labels)
        return
    known = authors_by_text()
    groups = np.array([known.get(normalise(str(m.get("text"))), "first") for m in examples])
    for author in sorted(set(groups) - {"first"}):
        yield np.flatnonzero(groups != author), np.flatnonzero(groups == author)


def cross_validate(folds: int = 3, seed: int = 42, with_kinds: bool = False,
                   config: dict[str, dict[str, Any]] | None = None, by_author: bool = False) -> OutOfFold:
    """Stratified k-fold (or by writing pass, `by_author`) through the CRF and the intent classifier as
    configured in config.yml; each example is classified by the models of the fold that did not train on it
    (for each of its kinds when `with_kinds`). By pass, the first pass's examples are only ever trained on."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.entity_extractor import CharCRFEntityExtractor
    from bot.nlu.intent_classifier import CharE5IntentClassifier

    config = config or pipeline_config()
    data = training_examples()
    examples = [m for m in data.intent_examples if m.get("text")]
    labels = [str(m.get("intent")) for m in examples]
    context = ExecutionContext(GraphSchema({}), "cv")
    out = OutOfFold([], [], [], [])

    with cached_embeddings(), tempfile.TemporaryDirectory() as work:
        for fold, (train_index, test_index) in enumerate(_splits(examples, labels, folds, seed, by_author)):
            (Path(work) / f"fold{fold}").mkdir()
            storage = LocalModelStorage(Path(work) / f"fold{fold}")
            train = TrainingData(training_examples=[examples[i] for i in train_index],
                                 regex_features=data.regex_features, lookup_tables=data.lookup_tables)
            extractor = CharCRFEntityExtractor.create(config.get(EXTRACTOR, {}), storage, Resource("crf"), context)
            extractor.train(train)
            classifier = CharE5IntentClassifier.create(config.get(CLASSIFIER, {}), storage, Resource("clf"), context)
            classifier.train(train)
            for i in test_index:
                text, intent = str(examples[i].get("text")), labels[i]
                kinds: Sequence[str | None] = kinds_for(intent, config.get(CLASSIFIER, {})) if with_kinds else (None,)
                for kind in kinds:
                    message = Message(data={"text": text, "metadata": {"sender_kind": kind} if kind else {}})
                    classifier.process(extractor.process([message]))
                    out.texts.append(text)
                    out.truth.append(intent)
                    out.kinds.append(kind)
                    out.rankings.append(message.get("intent_ranking"))
    return out


def decide(ranking: list[dict[str, Any]], fallback_config: dict[str, Any]) -> str:
    """The intent the fallback component lets through for `ranking`, or nlu_fallback."""
    from bot.nlu.fallback import falls_back

    return FALLBACK if falls_back(ranking, fallback_config) else str(ranking[0]["name"])


def cv_scores(oof: OutOfFold, fallback_config: dict[str, Any] | None) -> Scores:
    guess = [decide(r, fallback_config) if fallback_config is not None else str(r[0]["name"]) for r in oof.rankings]
    return Scores(oof.truth, guess, oof.texts)


MISS_COST = 2.0
"""How much worse a wrong journey is than a clarifying question, when choosing thresholds: the user has to get out
of it (算了) and say it again, where a clarifying question costs one tap on the right button."""
MIN_GAIN = 3.0
"""An intent gets a threshold of its own only when that saves at least this much cost out of fold."""


def fallback_cost(oof: OutOfFold, config: dict[str, Any], miss_cost: float = MISS_COST) -> float:
    """`miss_cost` × (wrong intents let through) + (right intents held back as nlu_fallback), out of fold."""
    cost = 0.0
    for truth, ranking in zip(oof.truth, oof.rankings, strict=True):
        guess = decide(ranking, config)
        if guess == FALLBACK:
            cost += float(ranking[0]["name"] == truth)
        elif guess != truth:
            cost += miss_cost
    return cost


def choose_thresholds(oof: OutOfFold, miss_cost: float = MISS_COST) -> dict[str, Any]:
    """The fallback settings that cost least on out-of-fold predictions (see `fallback_cost`): first the common
    threshold and the ambiguity threshold on a grid, then, intent by intent, a threshold of its own where that
    costs less than the common one."""
    grid = [round(float(t), 2) for t in np.arange(0.2, 0.71, 0.05)]
    common = min(({"threshold": t, "ambiguity_threshold": a} for t in grid for a in (0.0, 0.05, 0.1, 0.15)),
                 key=lambda c: (fallback_cost(oof, c, miss_cost), -c["threshold"]))
    coarse = [round(float(t), 2) for t in np.arange(0.2, 0.71, 0.1)]  # per intent: a coarser grid, less noise
    own: dict[str, float] = {}
    for intent in sorted(set(str(r[0]["name"]) for r in oof.rankings)):
        mine = OutOfFold(*zip(*[row for row in zip(oof.texts, oof.truth, oof.kinds, oof.rankings, strict=True)
                                if str(row[3][0]["name"]) == intent], strict=True))
        base = fallback_cost(mine, common, miss_cost)
        best = min(coarse, key=lambda t: (fallback_cost(mine, {**common, "intent_thresholds": {intent: t}}, miss_cost),
                                        abs(t - common["threshold"])))
        if fallback_cost(mine, {**common, "intent_thresholds": {intent: best}}, miss_cost) <= base - MIN_GAIN:
            own[intent] = best
    return {**common, "intent_thresholds": own}


# ── the held-out set, parsed by a trained model ───────────────────────────────────────────────────────────


def normalise(text: str) -> str:
    """An utterance without spaces, punctuation and case, to compare training and held-out texts.

    >>> normalise("好的，谢谢！ OK")
    '好的谢谢ok'
    """
    return re.sub(r"[\s，。！？、,.!?~～…：:；;“”\"'（）()]+", "", text).lower()


def heldout_files(path: Path = HELDOUT) -> list[Path]:
    """The held-out set: `path` and the files other issues add beside it for their own intents
    (`nlu_heldout_<topic>.yml`)."""
    return [path, *sorted(path.parent.glob(f"{path.stem}_*{path.suffix}"))] if path == HELDOUT else [path]


def heldout_examples(path: Path = HELDOUT) -> list[tuple[str, str]]:
    """(text, intent) pairs of the held-out set, through Rasa's own loader."""
    from rasa.shared.nlu.training_data.loading import load_data

    return [(str(m.get("text")), str(m.get("intent"))) for file in heldout_files(path)
            for m in load_data(str(file)).intent_examples]


def load_model(model: Path = MODEL) -> Any:
    """An Agent with `model` loaded (bot/ importable for the custom components)."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    _quiet()  # loading the model configures Rasa's structured logging again
    return agent


def parse_all(agent: Any, texts: Sequence[str], kinds: Sequence[str | None]) -> list[dict[str, Any]]:
    """Parse each text with its sender kind in the message metadata, as the channels send it."""
    from rasa.core.channels.channel import UserMessage

    async def run() -> list[dict[str, Any]]:
        return [await agent.processor.parse_message(
            UserMessage(text, sender_id="nlu-eval", metadata={"sender_kind": kind} if kind else None))
            for text, kind in zip(texts, kinds, strict=True)]

    return asyncio.run(run())


def heldout_scores(agent: Any, with_kinds: bool, path: Path = HELDOUT) -> Scores:
    pairs = heldout_examples(path)
    classifier = pipeline_config().get(CLASSIFIER, {})
    rows = [(text, intent, kind) for text, intent in pairs
            for kind in (kinds_for(intent, classifier) if with_kinds else (None,))]
    parsed = parse_all(agent, [r[0] for r in rows], [r[2] for r in rows])
    scores = Scores([r[1] for r in rows], [str(p["intent"]["name"]) for p in parsed], [r[0] for r in rows])
    scores.top = [next((str(r["name"]) for r in p.get("intent_ranking") or [] if r["name"] != FALLBACK), FALLBACK)
                  for p in parsed]
    return scores


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("cv", "thresholds", "heldout"))
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--heldout", type=Path, default=HELDOUT)
    parser.add_argument("--examples", action="store_true", help="show example texts for each confusion")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--by-author", action="store_true",
                        help="cv, thresholds: hold out each later writing pass in turn, not stratified folds")
    parser.add_argument("--miss-cost", type=float, default=MISS_COST,
                        help="thresholds: how many clarifying questions one wrong intent is worth")
    args = parser.parse_args(argv)
    _quiet()
    figures: dict[str, Any] = {}
    if args.what in ("cv", "thresholds"):
        config = pipeline_config()
        fallback = config.get(FALLBACK_COMPONENT, {})
        oof = cross_validate(args.folds, by_author=args.by_author)
        how = "by-writing-pass" if args.by_author else f"{args.folds}-fold"
        if args.what == "thresholds":
            chosen = choose_thresholds(oof, args.miss_cost)
            print(f"top intent: {cv_scores(oof, None).line()}")
            print(f"now       : {cv_scores(oof, fallback).line()}")
            print(f"fallback settings chosen by {how} CV (a wrong intent costs {args.miss_cost:g} clarifying "
                  f"questions): cost {fallback_cost(oof, chosen, args.miss_cost):.0f}, "
                  f"now {fallback_cost(oof, fallback, args.miss_cost):.0f}")
            print(yaml.safe_dump(chosen, allow_unicode=True, sort_keys=True, default_flow_style=None))
            print(f"with these: {cv_scores(oof, chosen).line()}")
            return
        top1, with_fallback = cv_scores(oof, None), cv_scores(oof, fallback)
        print(f"## {how} CV on the training data ({len(set(oof.truth))} intents, "
              f"{len(oof.truth)} examples scored)")
        print(f"top intent          : {top1.line()}")
        print_scores("with the fallback   ", with_fallback, args.examples, limit=15)
        kinds = cv_scores(cross_validate(args.folds, with_kinds=True, by_author=args.by_author), fallback)
        print(f"with the sender kind: {kinds.line()}")
        figures["cv"] = {"folds": how, "accuracy": with_fallback.accuracy, "macro_f1": with_fallback.macro_f1,
                         "top_accuracy": top1.accuracy, "kind_accuracy": kinds.accuracy,
                         "kind_macro_f1": kinds.macro_f1}
    else:
        agent = load_model(args.model)
        plain = heldout_scores(agent, with_kinds=False, path=args.heldout)
        kinds = heldout_scores(agent, with_kinds=True, path=args.heldout)
        names = ", ".join(f.name for f in heldout_files(args.heldout))
        print(f"## held-out set ({names}) parsed by {args.model.name}")
        print_scores("without sender kind ", plain, args.examples)
        print_scores("with the sender kind", kinds, args.examples, limit=15)
        trained = {normalise(str(m.get("text"))) for m in training_examples().intent_examples}
        unseen = [i for i, text in enumerate(plain.texts) if normalise(text) not in trained]
        fresh = Scores([plain.truth[i] for i in unseen], [plain.guess[i] for i in unseen])
        print(f"without the {len(plain.texts) - len(unseen)} utterances also in training: {fresh.line()}")
        top = Scores(plain.truth, [str(r) for r in plain.top], plain.texts)
        print(f"top intent, before the fallback: {top.line()}")
        figures["heldout"] = {"accuracy": plain.accuracy, "macro_f1": plain.macro_f1, "top_accuracy": top.accuracy,
                              "unseen_accuracy": fresh.accuracy, "unseen_macro_f1": fresh.macro_f1,
                              "kind_accuracy": kinds.accuracy, "kind_macro_f1": kinds.macro_f1,
                              "confusions": [[t, g, n] for (t, g), n in plain.confusions()]}
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
