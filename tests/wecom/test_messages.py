"""Message builders stay within WeCom's limits without breaking characters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wecom import messages


class TestSplitText:
    def test_long_reply_is_split_at_sentence_ends(self) -> None:
        sentence = "您的三笔钱安排得比较合理，流动性资金充足。"
        parts = messages.split_text(sentence * 40, max_bytes=600, max_parts=4)
        assert 2 <= len(parts) <= 4
        assert all(part.endswith("。") for part in parts[:-1])
        assert all(len(part.encode()) <= messages.TEXT_MAX_BYTES for part in parts)

    def test_short_reply_is_one_message(self) -> None:
        assert messages.split_text("  你好！ ") == ["你好！"]

    def test_empty_reply_sends_nothing(self) -> None:
        assert messages.split_text("   ") == []

    @given(st.text(min_size=1, max_size=3000))
    def test_parts_never_exceed_the_limit_and_keep_the_text_when_it_fits(self, text: str) -> None:
        parts = messages.split_text(text, max_bytes=300, max_parts=50)
        assert all(len(part.encode()) <= 300 for part in parts)
        assert "".join(parts).replace(" ", "").replace("\n", "") in text.replace(" ", "").replace("\n", "") or \
            not text.strip()


class TestLimits:
    def test_markdown_is_cut_to_2048_bytes_on_a_character(self) -> None:
        body = messages.markdown("财" * 1000)
        content = body["markdown"]["content"]
        assert len(content.encode()) <= 2048 and content.endswith("…")

    def test_textcard_fields_are_truncated(self) -> None:
        card = messages.textcard("标" * 100, "描" * 400, "https://x", btntxt="查看更多详情")["textcard"]
        assert len(card["title"].encode()) <= 128 and len(card["description"].encode()) <= 512
        assert card["btntxt"] == "查看更多"

    def test_news_keeps_at_most_eight_articles(self) -> None:
        body = messages.news([{"title": str(i), "url": "u"} for i in range(12)])
        assert len(body["news"]["articles"]) == 8
        with pytest.raises(ValueError, match="articles"):
            messages.news([])

    def test_button_card_carries_payloads_as_keys(self) -> None:
        card = messages.button_card("请选择", [("体检", "/check"), ("测评", "/risk")])["template_card"]
        assert card["card_type"] == "button_interaction"
        assert [b["key"] for b in card["button_list"]] == ["/check", "/risk"]
        assert card["task_id"]
        with pytest.raises(ValueError, match="buttons"):
            messages.button_card("x", [("b", "k")] * 7)

    def test_kf_menu_has_click_items_with_payload_ids(self) -> None:
        menu = messages.kf_menu("请选择", [("体检", "/check")] * 12)["msgmenu"]
        assert len(menu["list"]) == 10
        assert menu["list"][0] == {"type": "click", "click": {"id": "/check", "content": "体检"}}
