"""Tests for calc.risk: questionnaire scoring, lowest category, suitability matrix, expiry."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calc.errors import CalcInputError
from calc.risk import (
    MAX_SCORE,
    MIN_SCORE,
    QUESTIONNAIRE,
    RiskResult,
    assessment_expired,
    is_suitable,
    level_from_score,
    may_opt_up,
    parse_level,
    score_answers,
)


def all_at(index: int) -> dict[str, int]:
    return {q.id: index for q in QUESTIONNAIRE}


class TestQuestionnaire:
    def test_eleven_questions_with_required_topics(self):
        ids = [q.id for q in QUESTIONNAIRE]
        assert len(ids) == 11 == len(set(ids))
        for topic in ("age", "income_stability", "investable_share", "experience", "knowledge", "horizon",
                      "goal", "loss_tolerance", "drop_reaction", "liquidity_need", "risk_return"):
            assert topic in ids

    def test_options_have_chinese_labels_and_unique_labels(self):
        for q in QUESTIONNAIRE:
            labels = [o.label for o in q.options]
            assert len(labels) == len(set(labels)) >= 3
            assert any("\u4e00" <= ch <= "\u9fff" for ch in q.text)

    def test_drop_question_mentions_20_percent(self):
        q = next(q for q in QUESTIONNAIRE if q.id == "drop_reaction")
        assert "20%" in q.text


class TestScoreAnswers:
    def test_all_second_options_is_c2(self):
        r = score_answers(all_at(1))  # index 1: avoid the 最低类别 options at index 0
        assert r.level == "C2"
        assert not r.lowest_category

    def test_all_highest_is_c5(self):
        r = score_answers(all_at(4))
        assert (r.level, r.score, r.lowest_category) == ("C5", MAX_SCORE, False)
        assert "C5" in r.explanation_zh and "R5" in r.explanation_zh

    def test_middle_is_c3(self):
        assert score_answers(all_at(2)).level == "C3"

    def test_labels_accepted_and_equal_to_indexes(self):
        by_label = {q.id: q.options[3].label for q in QUESTIONNAIRE}
        assert score_answers(by_label) == score_answers(all_at(3))

    @pytest.mark.parametrize("qid,label", [("investable_share", "没有可用于投资的收入"),
                                           ("loss_tolerance", "不能承受任何亏损")])
    def test_lowest_category_overrides_score(self, qid, label):
        r = score_answers({**all_at(4), qid: label})
        assert r.level == "C1" and r.lowest_category
        assert "最低类别" in r.explanation_zh
        assert r.score > MIN_SCORE  # the score alone would be high

    def test_missing_answer_names_question(self):
        answers = all_at(2)
        del answers["horizon"]
        with pytest.raises(CalcInputError) as e:
            score_answers(answers)
        assert e.value.field == "horizon"

    @pytest.mark.parametrize("bad", [5, -1, "不存在的选项", True, 2.0, None])
    def test_unknown_answer_names_question(self, bad):
        with pytest.raises(CalcInputError) as e:
            score_answers({**all_at(2), "goal": bad})
        assert e.value.field == "goal"

    def test_unknown_question_id(self):
        with pytest.raises(CalcInputError) as e:
            score_answers({**all_at(2), "zodiac": 1})
        assert e.value.field == "answers"

    def test_not_a_mapping(self):
        with pytest.raises(CalcInputError):
            score_answers([1, 2, 3])  # type: ignore[arg-type]

    @given(st.lists(st.integers(0, 4), min_size=11, max_size=11))
    def test_level_monotone_in_each_answer(self, picks):
        answers = {q.id: i for q, i in zip(QUESTIONNAIRE, picks, strict=True)}
        base = score_answers(answers)
        assert MIN_SCORE <= base.score <= MAX_SCORE
        for q in QUESTIONNAIRE:
            if answers[q.id] < 4 and not base.lowest_category:
                higher = score_answers({**answers, q.id: answers[q.id] + 1})
                assert higher.level >= base.level


class TestLevelFromScore:
    def test_bounds_and_monotone(self):
        levels = [level_from_score(s) for s in range(MIN_SCORE, MAX_SCORE + 1)]
        assert levels[0] == 1 and levels[-1] == 5
        assert levels == sorted(levels)
        assert set(levels) == {1, 2, 3, 4, 5}


class TestMayOptUp:
    def test_lowest_category_never(self):
        r = score_answers({**all_at(3), "loss_tolerance": 0})
        assert r.lowest_category and not may_opt_up(r)

    def test_ordinary_c2_may(self):
        assert may_opt_up(RiskResult("C2", 20, "", False))

    def test_c5_has_nothing_above(self):
        assert not may_opt_up(score_answers(all_at(4)))


LEVEL_FORMS = st.integers(1, 5).flatmap(lambda n: st.sampled_from([n, f"C{n}", f"c{n}", f" C{n} "]))


class TestIsSuitable:
    @pytest.mark.parametrize("c", range(1, 6))
    @pytest.mark.parametrize("r", range(1, 6))
    def test_exhaustive_matrix_all_forms(self, c, r):
        expected = r <= c
        for client in (c, f"C{c}", f"c{c}"):
            for product in (r, f"R{r}", f"r{r}"):
                assert is_suitable(client, product) is expected

    @given(st.integers(1, 5), st.integers(1, 5))
    def test_property_matches_rule(self, c, r):
        assert is_suitable(f"C{c}", f"R{r}") == (r <= c)

    @pytest.mark.parametrize("bad", ["C6", "C0", "R3", "3", "", "CC", 0, 6, 3.0, None, True])
    def test_bad_client_level(self, bad):
        with pytest.raises(CalcInputError) as e:
            is_suitable(bad, "R1")
        assert e.value.field == "client_level"

    @pytest.mark.parametrize("bad", ["R6", "C3", "r", -1, 2.5, None, False])
    def test_bad_product_risk(self, bad):
        with pytest.raises(CalcInputError) as e:
            is_suitable("C5", bad)
        assert e.value.field == "product_risk"


class TestParseLevel:
    @given(st.integers(1, 5))
    def test_round_trip(self, n):
        assert parse_level(f"r{n}", "R", "x") == parse_level(n, "R", "x") == n


class TestAssessmentExpired:
    today = date(2026, 11, 29)

    def test_none_is_expired(self):
        assert assessment_expired(None, self.today)

    def test_boundary_365_days(self):
        assert not assessment_expired(self.today - timedelta(days=365), self.today)
        assert assessment_expired(self.today - timedelta(days=366), self.today)

    def test_configurable(self):
        assert assessment_expired(self.today - timedelta(days=31), self.today, max_age_days=30)
        assert not assessment_expired(self.today - timedelta(days=30), self.today, max_age_days=30)

    def test_an_assessment_dated_after_today_counts_as_recent(self):
        # Regression: a server whose "today" lags the one that stored the assessment (another process, a
        # pinned clock, midnight) must not fail a whole team's prospect list on one record.
        assert not assessment_expired(self.today + timedelta(days=3), self.today)

    @pytest.mark.parametrize("bad", [0, -5, 1.5, True])
    def test_bad_max_age(self, bad):
        with pytest.raises(CalcInputError) as e:
            assessment_expired(self.today, self.today, max_age_days=bad)
        assert e.value.field == "max_age_days"

    def test_bad_types(self):
        with pytest.raises(CalcInputError):
            assessment_expired("2026-01-01", self.today)  # type: ignore[arg-type]
        with pytest.raises(CalcInputError):
            assessment_expired(None, "today")  # type: ignore[arg-type]
