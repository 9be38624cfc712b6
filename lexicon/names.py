"""Chinese personal names in chat text: surnames (shared by the Rasa side's entity features and the action
server), guessing a name by its surname, picking known names out of a message, and phone tails ("张伟尾号1234").

Pure text functions and constants only: both Python environments import this module. The readers look at the
first lexicon.bounds.MAX_TEXT_CHARS characters of a message and never raise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lexicon.bounds import clip

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任"
            "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官")
# Words that start with a surname but are not names.
NOT_NAMES = ("黄金", "周末", "下周", "本周", "这周", "周一", "周二", "周三", "周四", "周五", "周六", "高净值", "金额", "金卡",
             "万元", "方案", "方面", "高风险", "石油", "江苏", "马上", "程度", "任何", "余额", "严格", "武汉", "白银",
             "钱包", "钟头", "段时间", "付款", "陆续", "毛利", "常规", "张数", "王牌", "李子")
# Characters that end a guessed name (particles, verbs, titles that follow a name).
TRIM = "的了吗呢和跟打出做聊在是要想给面电访拜见沙刚已先生女士老师总经理姐哥叔阿姨今昨明前最这那说问约买还也都有去来到对把被让画资持近"
_TAIL_AT_END = re.compile(r"[（(]?(手机)?(尾号)?\d{4}[)）]?$")
_TAIL_AFTER = re.compile(r"[（(]?(?:手机)?尾号?(\d{4})")
_TAIL_WORDS = re.compile(r"尾号\s*\d{4}")


def guess_name(text: str) -> str | None:
    """A Chinese personal name in `text` by its surname, for telling "not found" from "no name given".

    >>> guess_name("帮我看看张伟的画像"), guess_name("给欧阳娜出建议书"), guess_name("这个月有哪些产品到期")
    ('张伟', '欧阳娜', None)
    >>> guess_name("黄金最近怎么样") is None, guess_name("刚给刘洋打了电话")
    (True, '刘洋')
    """
    text = clip(text)
    for word in NOT_NAMES:
        text = text.replace(word, "，")
    for match in re.finditer(rf"({'|'.join(COMPOUND_SURNAMES)}|[{SURNAMES}])([\u4e00-\u9fa5]{{1,2}})", text):
        name = match.group(1) + match.group(2)
        while len(name) > len(match.group(1)) and name[-1] in TRIM:
            name = name[:-1]
        if len(name) >= 2 and name[1] not in TRIM and name[0] not in "个":
            return name
    return None


def split_phone_tail(raw: str) -> tuple[str, str | None]:
    """A typed name and the phone tail it ends with, if any ("张伟尾号1234", "张伟（手机尾号1234）", "张伟1234").

    >>> split_phone_tail("张伟尾号1234"), split_phone_tail("王芳（手机尾号5678）"), split_phone_tail("李强")
    (('张伟', '1234'), ('王芳', '5678'), ('李强', None))
    """
    raw = clip(raw)
    tail = re.search(r"(\d{4})[)）]?$", raw)
    return _TAIL_AT_END.sub("", raw).strip(), tail.group(1) if tail else None


def names_listed(text: str, known: Iterable[str]) -> list[str]:
    """The `known` names that occur in `text`, in order of appearance, each with its phone tail when one
    follows ("张伟尾号1234"); a longer name wins over a name it contains.

    >>> names_listed("把稳健组合推给张伟尾号1234、王芳和张伟华", ["张伟", "王芳", "张伟华", "李强"])
    ['张伟尾号1234', '王芳', '张伟华']
    """
    text = clip(text)
    taken = [False] * len(text)
    found: list[tuple[int, str]] = []
    for name in sorted(set(known), key=len, reverse=True):
        for match in re.finditer(re.escape(name), text):
            span = range(match.start(), match.end())
            if any(taken[i] for i in span):
                continue
            for i in span:
                taken[i] = True
            tail = _TAIL_AFTER.match(text[match.end():])
            found.append((match.start(), name + (f"尾号{tail.group(1)}" if tail else "")))
    return [name for _, name in sorted(found)]


def without_phone_tails(text: str) -> str:
    """`text` without its phone tails, so that "尾号1234" is never read as an amount.

    >>> without_phone_tails("推给张伟尾号1234，每人5万")
    '推给张伟，每人5万'
    """
    return _TAIL_WORDS.sub("", text)
