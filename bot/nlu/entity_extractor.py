"""Entity extractor for Chinese: a linear-chain CRF over characters (python-crfsuite, a Rasa dependency).

Chinese has no spaces, and a word segmenter cuts names where it likes (给钱|小雨), so a token-level tagger
cannot even represent many annotated spans. Tagging characters avoids that: each character gets B-/I-/O
labels from features of its neighbours (±2 characters, bigrams, character class, common surnames) and of the regex patterns
and lookup tables in the training data. It trains in seconds and loads at once (DIET for entities only
took about 2.5 minutes to train and a minute to load on 2 cores). The model is crfsuite's own file format
plus JSON for the patterns (no pickle).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from lexicon.names import COMPOUND_SURNAMES, SURNAMES

logger = logging.getLogger(__name__)
MODEL_FILE = "crf.model"
PATTERNS_FILE = "patterns.json"
OUTSIDE = "O"
CONFIDENCE_KEY = f"{ENTITY_ATTRIBUTE_CONFIDENCE}_{ENTITY_ATTRIBUTE_TYPE}"  # as DIET names it


def char_class(ch: str) -> str:
    """A coarse class of one character.

    >>> [char_class(c) for c in "5五a张，"]
    ['digit', 'cjk_digit', 'latin', 'cjk', 'punct']
    """
    if ch.isdigit():
        return "digit"
    if ch in "零一二两三四五六七八九十百千万亿":
        return "cjk_digit"
    if ch.isascii() and ch.isalpha():
        return "latin"
    if "\u4e00" <= ch <= "\u9fff":
        return "cjk"
    return "punct"


def pattern_marks(text: str, patterns: list[tuple[str, str]]) -> list[list[str]]:
    """For each character, the names of the patterns whose matches cover it (with B/I for the position).

    >>> pattern_marks("买5万", [("amount", r"\\d+万")])
    [[], ['amount:B'], ['amount:I']]
    """
    marks: list[list[str]] = [[] for _ in text]
    for name, pattern in patterns:
        try:
            found = list(re.finditer(pattern, text))
        except re.error:
            continue
        for match in found:
            for i in range(match.start(), match.end()):
                marks[i].append(f"{name}:{'B' if i == match.start() else 'I'}")
    return marks


def char_features(text: str, patterns: list[tuple[str, str]] | None = None, window: int = 2) -> list[list[str]]:
    """crfsuite feature strings for every character of `text`.

    >>> features = char_features("看张伟")
    >>> "c0=张" in features[1] and "c-1=看" in features[1] and "b0=张伟" in features[1]
    True
    """
    marks = pattern_marks(text, patterns or [])
    padded = ["<s>"] * window + list(text) + ["</s>"] * window
    out = []
    for i, ch in enumerate(text):
        j = i + window
        feats = ["bias", f"c0={ch}", f"t0={char_class(ch)}"]
        for offset in range(1, window + 1):
            feats += [f"c-{offset}={padded[j - offset]}", f"c+{offset}={padded[j + offset]}"]
        feats += [f"b-1={padded[j - 1]}{ch}", f"b0={ch}{padded[j + 1]}",
                  f"b-2={padded[j - 2]}{padded[j - 1]}", f"b+1={padded[j + 1]}{padded[j + 2]}",
                  f"t-1={char_class(padded[j - 1]) if i else 'bos'}",
                  f"t+1={char_class(padded[j + 1]) if i + 1 < len(text) else 'eos'}"]
        if ch in SURNAMES:
            feats.append("surname")
        if text[i:i + 2] in COMPOUND_SURNAMES:
            feats.append("surname2")
        feats += [f"p={mark}" for mark in marks[i]]
        out.append(feats)
    return out


def bio_labels(text: str, entities: list[dict[str, Any]]) -> list[str]:
    """B-/I-/O labels per character for annotated `entities` (overlaps: the first one wins).

    >>> bio_labels("看张伟画像", [{"start": 1, "end": 3, "entity": "person"}])
    ['O', 'B-person', 'I-person', 'O', 'O']
    """
    labels = [OUTSIDE] * len(text)
    for entity in sorted(entities, key=lambda e: e[ENTITY_ATTRIBUTE_START]):
        start, end = int(entity[ENTITY_ATTRIBUTE_START]), int(entity[ENTITY_ATTRIBUTE_END])
        if start < 0 or end > len(text) or start >= end or any(lab != OUTSIDE for lab in labels[start:end]):
            continue
        labels[start] = f"B-{entity[ENTITY_ATTRIBUTE_TYPE]}"
        for i in range(start + 1, end):
            labels[i] = f"I-{entity[ENTITY_ATTRIBUTE_TYPE]}"
    return labels


def spans(labels: list[str]) -> list[tuple[str, int, int]]:
    """(entity, start, end) runs from B-/I- labels; an I- without its B- starts a span too.

    >>> spans(["O", "B-person", "I-person", "O", "I-amount", "I-amount"])
    [('person', 1, 3), ('amount', 4, 6)]
    """
    found: list[tuple[str, int, int]] = []
    current: list[Any] | None = None
    for i, label in enumerate([*labels, OUTSIDE]):
        kind = label[2:] if label != OUTSIDE else None
        continues = current is not None and label.startswith("I-") and kind == current[0]
        if current is not None and not continues:
            found.append((current[0], current[1], i))
            current = None
        if kind is not None and not continues:
            current = [kind, i]
    return found


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class CharCRFEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Character-level CRF entity extractor (see the module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"c1": 0.05, "c2": 0.01, "max_iterations": 150, "window": 2}

    @staticmethod
    def required_packages() -> list[str]:
        # python-crfsuite (module pycrfsuite) comes with Rasa; Rasa checks this list by module name but
        # fingerprints it by distribution name, and the two differ here, so it is left out.
        return []

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 model: bytes | None = None, patterns: list[tuple[str, str]] | None = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage, self._resource = model_storage, resource
        self._patterns = patterns or []
        self._tagger: Any = None
        self._model: bytes | None = None
        if model is not None:
            self._open(model)

    def _open(self, model: bytes) -> None:
        import pycrfsuite

        self._model = model  # crfsuite reads the buffer in place: it must live as long as the tagger
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open_inmemory(model)

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> CharCRFEntityExtractor:
        return cls(config, model_storage, resource)

    @staticmethod
    def patterns_of(training_data: TrainingData) -> list[tuple[str, str]]:
        """The training data's regexes and lookup tables as (name, pattern) pairs."""
        found = [(str(r["name"]), str(r["pattern"])) for r in training_data.regex_features]
        for table in training_data.lookup_tables:
            elements = table.get("elements")
            if isinstance(elements, list) and elements:
                ordered = sorted((str(e) for e in elements), key=len, reverse=True)
                found.append((str(table["name"]), "|".join(re.escape(e) for e in ordered)))
        return found

    def train(self, training_data: TrainingData) -> Resource:
        import pycrfsuite

        if not any(example.get(ENTITIES) for example in training_data.nlu_examples):
            logger.warning("CharCRFEntityExtractor: no annotated entities; not trained")
            return self._resource
        self._patterns = self.patterns_of(training_data)
        trainer = pycrfsuite.Trainer(verbose=False)
        count = 0
        for example in training_data.nlu_examples:
            text = str(example.get(TEXT) or "")
            if not text:
                continue
            labels = bio_labels(text, example.get(ENTITIES) or [])
            trainer.append(char_features(text, self._patterns, self.config["window"]), labels)
            count += 1
        trainer.set_params({"c1": float(self.config["c1"]), "c2": float(self.config["c2"]),
                            "max_iterations": int(self.config["max_iterations"]),
                            "feature.possible_transitions": True})
        with self._model_storage.write_to(self._resource) as directory:
            trainer.train(str(directory / MODEL_FILE))
            (directory / PATTERNS_FILE).write_text(json.dumps(self._patterns, ensure_ascii=False), encoding="utf-8")
            model = (directory / MODEL_FILE).read_bytes()
        self._open(model)
        logger.info("CharCRFEntityExtractor trained on %d messages", count)
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> CharCRFEntityExtractor:
        try:
            with model_storage.read_from(resource) as directory:
                model = (directory / MODEL_FILE).read_bytes()
                patterns = [tuple(p) for p in json.loads((directory / PATTERNS_FILE).read_text(encoding="utf-8"))]
        except (ValueError, FileNotFoundError):
            logger.debug("CharCRFEntityExtractor: no trained model in %s", resource.name)
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, model, patterns)  # type: ignore[arg-type]

    def extract(self, text: str) -> list[dict[str, Any]]:
        """Entities in `text` with their character offsets and the mean marginal probability as confidence."""
        if self._tagger is None or not text:
            return []
        labels = self._tagger.tag(char_features(text, self._patterns, self.config["window"]))
        found = []
        for kind, start, end in spans(list(labels)):
            confidence = sum(self._tagger.marginal(labels[i], i) for i in range(start, end)) / (end - start)
            found.append({ENTITY_ATTRIBUTE_TYPE: kind, ENTITY_ATTRIBUTE_START: start, ENTITY_ATTRIBUTE_END: end,
                          ENTITY_ATTRIBUTE_VALUE: text[start:end], CONFIDENCE_KEY: float(confidence),
                          EXTRACTOR: self.__class__.__name__})
        return found

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = str(message.get(TEXT) or "")
            found = self.extract(text)
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
