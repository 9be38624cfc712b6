"""Checks on the bot's training data and domain, run in the Rasa environment (Python 3.10) with Rasa's own loaders."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from rasa.shared.core.constants import DEFAULT_INTENTS
from rasa.shared.core.domain import Domain
from rasa.shared.importers.importer import TrainingDataImporter

ROOT = Path(__file__).resolve().parents[2]
MIN_EXAMPLES = 25


@pytest.fixture(scope="module")
def importer() -> TrainingDataImporter:
    return TrainingDataImporter.load_from_config(
        config_path=str(ROOT / "config.yml"),
        domain_path=str(ROOT / "domain.yml"),
        training_data_paths=[str(ROOT / "bot" / "data")],
    )


@pytest.fixture(scope="module")
def domain(importer: TrainingDataImporter) -> Domain:
    return importer.get_domain()


@pytest.fixture(scope="module")
def examples_by_intent(importer: TrainingDataImporter) -> dict[str, list[str]]:
    nlu = importer.get_nlu_data()
    grouped: dict[str, list[str]] = defaultdict(list)
    for message in nlu.intent_examples:
        grouped[message.get("intent")].append(message.get("text"))
    return grouped


class TestNluData:
    def test_every_domain_intent_has_enough_varied_examples(
        self, domain: Domain, examples_by_intent: dict[str, list[str]]
    ) -> None:
        thin = {intent: len(examples_by_intent.get(intent, [])) for intent in domain.intents
                if intent not in DEFAULT_INTENTS and len(set(examples_by_intent.get(intent, []))) < MIN_EXAMPLES}
        assert thin == {}, f"intents with fewer than {MIN_EXAMPLES} distinct examples: {thin}"

    def test_no_example_is_labelled_with_two_intents(self, examples_by_intent: dict[str, list[str]]) -> None:
        owners: dict[str, set[str]] = defaultdict(set)
        for intent, texts in examples_by_intent.items():
            for text in texts:
                owners[text.strip().lower()].add(intent)
        clashes = {text: sorted(intents) for text, intents in owners.items() if len(intents) > 1}
        assert clashes == {}

    def test_off_topic_intent_exists_so_chit_chat_is_not_routed_to_features(self, domain: Domain) -> None:
        assert "out_of_scope" in domain.intents


class TestDomain:
    def test_every_response_is_chinese_text(self, domain: Domain) -> None:
        for key, variants in domain.responses.items():
            for variant in variants:
                text = variant.get("text", "")
                assert any("\u4e00" <= ch <= "\u9fff" for ch in text), f"{key} has no Chinese text"

    def test_role_slot_covers_every_audience(self, domain: Domain) -> None:
        role = next(slot for slot in domain.slots if slot.name == "role")
        assert set(role.values) >= {"advisor", "manager", "client", "unknown"}

    def test_rules_and_stories_only_use_known_actions(self, importer: TrainingDataImporter, domain: Domain) -> None:
        steps = importer.get_stories().story_steps
        used = {event.action_name for step in steps for event in step.events
                if getattr(event, "action_name", None) and event.action_name != "action_listen"}
        unknown = used - set(domain.action_names_or_texts)
        assert unknown == set()
