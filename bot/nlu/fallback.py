"""Rasa's FallbackClassifier with a threshold per intent: below its intent's threshold (or when the top two
intents are closer than the ambiguity threshold) a message becomes `nlu_fallback`, and the bot asks which of
the likeliest intents was meant (actions/fallback.py) instead of guessing.

The thresholds in config.yml are chosen by cross-validation on the training data (`python -m
scripts.nlu_report thresholds`), never on the held-out set. The intent ranking is kept under the fallback, so
the clarifying question can offer the runners-up.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


def threshold_for(intent: str, config: dict[str, Any]) -> float:
    """The confidence `intent` needs: its own threshold, else the common one.

    >>> threshold_for("greet", {"threshold": 0.4, "intent_thresholds": {"greet": 0.25}})
    0.25
    >>> threshold_for("inform", {"threshold": 0.4})
    0.4
    """
    return float((config.get("intent_thresholds") or {}).get(intent, config.get("threshold", 0.3)))


def falls_back(ranking: list[dict[str, Any]], config: dict[str, Any]) -> bool:
    """Whether a ranking (best first) is too unsure: the top confidence is under its intent's threshold, or the
    runner-up is closer than `ambiguity_threshold`.

    >>> falls_back([{"name": "greet", "confidence": 0.5}, {"name": "help", "confidence": 0.2}], {"threshold": 0.4})
    False
    >>> falls_back([{"name": "greet", "confidence": 0.5}, {"name": "help", "confidence": 0.45}],
    ...            {"threshold": 0.4, "ambiguity_threshold": 0.1})
    True
    """
    if not ranking:
        return True
    top = ranking[0]
    if float(top["confidence"]) < threshold_for(str(top["name"]), config):
        return True
    if len(ranking) > 1:
        return float(top["confidence"]) - float(ranking[1]["confidence"]) < float(config.get("ambiguity_threshold", 0))
    return False


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class IntentFallbackClassifier(FallbackClassifier):
    """FallbackClassifier whose confidence threshold can differ by intent (`intent_thresholds`)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**FallbackClassifier.get_default_config(), "intent_thresholds": {}}

    def _should_fallback(self, message: Message) -> bool:
        ranking = message.get(INTENT_RANKING_KEY) or ([message.get(INTENT)] if message.get(INTENT) else [])
        return bool(ranking) and falls_back(ranking, self.component_config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if not intent.get("name") or not self._should_fallback(message):
                continue
            confidence = threshold_for(str(intent["name"]), self.component_config)
            fallback = {"name": "nlu_fallback", "confidence": confidence}
            message.data[INTENT] = fallback
            message.data.setdefault(INTENT_RANKING_KEY, [])
            message.data[INTENT_RANKING_KEY].insert(0, dict(fallback))
        return messages
