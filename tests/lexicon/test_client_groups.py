"""lexicon/client_groups.py: the tag a message puts on or takes off a client, the tag a list asks for, and what a
ranking is by and how long it is."""

from __future__ import annotations

import pytest

from lexicon.client_groups import (
    DEFAULT_RANK_COUNT,
    MAX_RANK_COUNT,
    rank_request,
    removes_tag,
    tag_for_client,
    tag_in_question,
)


class TestTagForClient:
    @pytest.mark.parametrize(("text", "name", "tag"), [
        ("给张伟打个标签：高潜", "张伟", "高潜"),
        ("把李娜标成重点客户", "李娜", "重点客户"),
        ("给王芳加个“待回访”", "王芳", "待回访"),
        ("帮王芳打上高净值标签", "王芳", "高净值"),
        ("给陈静加个标签叫高潜", "陈静", "高潜"),
        ("张伟标记一下：待回访", "张伟", "待回访"),
        ("张伟尾号1234打标签：重点客户", "张伟", "重点客户"),
        ("李娜算作重点客户", "李娜", "重点客户"),
        ("去掉张伟的高潜标签", "张伟", "高潜"),
        ("张伟的重点客户标签删了吧", "张伟", "重点客户"),
        ("把张伟的高潜标签去掉", "张伟", "高潜"),
        ("取消刘洋的VIP标记", "刘洋", "VIP"),
    ])
    def test_reads_the_tag_without_the_name(self, text: str, name: str, tag: str) -> None:
        assert tag_for_client(text, name) == tag

    @pytest.mark.parametrize("text", ["给张伟打个标签", "去掉张伟的标签"])
    def test_no_tag_named(self, text: str) -> None:
        assert tag_for_client(text, "张伟") is None


class TestRemovesTag:
    @pytest.mark.parametrize(("text", "removes"), [
        ("去掉张伟的高潜标签", True), ("张伟的高潜标签删了吧", True), ("撤销曹敏的高潜标记", True),
        ("移除吴敏的年底到期标签", True), ("给张伟打个标签：高潜", False), ("把李娜标成重点客户", False),
    ])
    def test_reads_the_verb(self, text: str, removes: bool) -> None:
        assert removes_tag(text) is removes


class TestTagInQuestion:
    @pytest.mark.parametrize(("text", "tag"), [
        ("我标了高潜的客户有哪些", "高潜"), ("带待回访标签的客户", "待回访"), ("标签是重点客户的有谁", "重点客户"),
        ("高潜标签下有几个人", "高潜"), ("哪些客户被我标成待回访了", "待回访"), ("看看标记为重点客户的名单", "重点客户"),
        ("打了VIP标签的客户", "VIP"), ("标了“季末回访”的客户", "季末回访"),
    ])
    def test_reads_the_tag(self, text: str, tag: str) -> None:
        assert tag_in_question(text) == tag

    @pytest.mark.parametrize("text", ["我的沉睡客户有哪些", "金卡客户名单"])
    def test_a_segment_question_names_no_tag(self, text: str) -> None:
        assert tag_in_question(text) is None


class TestRankRequest:
    @pytest.mark.parametrize(("text", "by", "count"), [
        ("健康分最低的十个客户", "health", 10), ("亏得最多的五个客户", "loss", 5),
        ("配置偏离最大的客户", "drift", DEFAULT_RANK_COUNT), ("浮亏最严重的客户前3名", "loss", 3),
        ("健康分后八名", "health", 8), ("配置偏差最大的十位客户", "drift", 10), ("给客户排个名", None, DEFAULT_RANK_COUNT),
    ])
    def test_reads_measure_and_count(self, text: str, by: str | None, count: int) -> None:
        assert rank_request(text) == (by, count)

    def test_a_long_list_is_capped(self) -> None:
        assert rank_request("健康分最低的一百个客户") == ("health", MAX_RANK_COUNT)

    def test_days_and_percentages_are_not_counts(self) -> None:
        assert rank_request("近30天亏得最多的客户") == ("loss", DEFAULT_RANK_COUNT)
