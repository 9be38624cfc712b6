"""Chat wording about groups of clients: the tag an advisor puts on or takes off a client ("给张伟打个标签：高潜",
"把李娜标成重点客户", "去掉张伟的高潜标签"), the tag a list asks for ("我标了高潜的客户有哪些") and what a ranking is
by ("健康分最低的十个客户", "亏得最多的五个客户"). Standard library only (shared by both Python environments)."""

from __future__ import annotations

import re

from lexicon.numbers import parse_int

QUOTED = re.compile(r"[“\"「『【‘'](?P<tag>[^”\"」』】’']{1,20})[”\"」』】’']")
REMOVE_WORDS = re.compile(r"去掉|去除|删掉|删除|删了|撤掉|撤销|撤了|取消|移除|拿掉|摘掉|去了|不要.{0,8}标签|不再是|不用.{0,4}标")
_COLON = re.compile(r"标签\s*(?:为|是|改成)?\s*[：:]\s*(?P<tag>.+)$|[：:]\s*(?P<tag2>.+)$")
# "标成X", "标记为X", "打上X标签", "加个X的标签", "归到X里"
_PUT = re.compile(r"(?:标成|标为|标记为|标记成|标注为|标注成|标上|标记上|设为|设成|归为|归到|归入|列为|列入|划为|划到|算作|算成"
                  r"|打上|打个|打一个|贴上|贴个|贴一个|加上|加个|加一个|添加|添个|加)(?:一个|个)?(?:标签|标记)?"
                  r"(?P<tag>.+?)(?:的)?(?:标签|标记|分组|一类|这类|里|组)?$")
# "去掉张伟的高潜标签", "张伟的重点客户标签删了"
_OWNED = re.compile(r"的(?P<tag>[^的]+?)(?:这个|那个)?(?:标签|标记)")
# "我标了高潜的客户", "标记为重点客户的有哪些", "带高潜标签的客户", "标签是高潜的客户"
_LISTED = (
    re.compile(r"标签(?:是|为)\s*(?P<tag>[^的，,。？?]+?)的"),
    re.compile(r"(?:标了|标过|标成|标为|标记了|标记为|标记成|打了|贴了|打过|标的)(?P<tag>[^，,。？?]+?)(?:标签)?的(?:客户|人|有|都|是)"),
    re.compile(r"(?:带|有|打了|贴了|挂着|带着)(?P<tag>[^，,。？?的]+?)(?:的)?标签"),
    re.compile(r"(?P<tag>[^，,。？?的我了]+?)标签(?:的|下|里)"),
    re.compile(r"(?:标成|标为|标记为|标记成|归为|列为)(?P<tag>[^，,。？?的]+?)(?:了|的|$)"),
)
_TRAILING = "吧啊呀了哈呗嘛。.!！?？～~ ，,"
_LEADING = "一个个的 "
RANK_WORDS = {
    "loss": ("亏", "浮亏", "亏损", "跌", "回撤", "套"),
    "drift": ("偏离", "偏差", "跑偏", "配置偏", "配置最不合理", "失衡"),
    "health": ("健康分", "健康度", "财富健康", "分数", "评分", "得分", "兴财分"),
}
DEFAULT_RANK_COUNT = 10
MAX_RANK_COUNT = 12


def _clean(tag: str) -> str | None:
    tag = tag.strip().strip(_TRAILING).lstrip(_LEADING)
    tag = re.sub(r"^(?:标签|标记)[：:]?", "", tag).strip().strip(_TRAILING)
    return tag or None


def removes_tag(text: str) -> bool:
    """Whether the message takes a tag off rather than puts one on.

    >>> removes_tag("去掉张伟的高潜标签"), removes_tag("张伟的高潜标签删了吧"), removes_tag("给张伟打个标签：高潜")
    (True, True, False)
    """
    return REMOVE_WORDS.search(text) is not None


def tag_for_client(text: str, name: str | None = None) -> str | None:
    """The tag a message puts on (or takes off) the named client, or None when it names no tag.

    `name` (the client's name as typed) is cut out first so it is never read as the tag.

    >>> tag_for_client("给张伟打个标签：高潜", "张伟"), tag_for_client("把李娜标成重点客户", "李娜")
    ('高潜', '重点客户')
    >>> tag_for_client("去掉张伟的高潜标签", "张伟"), tag_for_client("给王芳加个“待回访”", "王芳")
    ('高潜', '待回访')
    >>> tag_for_client("张伟打上养老客户标签", "张伟"), tag_for_client("给张伟打个标签", "张伟") is None
    ('养老客户', True)
    """
    quoted = QUOTED.search(text)
    if quoted:
        return _clean(quoted.group("tag"))
    body = text.replace(name, "，") if name else text
    body = re.sub(r"(?:尾号|手机尾号)?\d{4}", "", body) if name else body
    colon = _COLON.search(body)
    if colon:
        return _clean(colon.group("tag") or colon.group("tag2") or "")
    if removes_tag(body):
        owned = _OWNED.search(body)
        if owned:
            return _clean(owned.group("tag"))
        cut = REMOVE_WORDS.split(body)
        for part in cut[::-1]:
            found = re.search(r"(?P<tag>[^，,的]+?)(?:这个|那个)?(?:标签|标记)", part)
            if found:
                return _clean(found.group("tag"))
        return None
    for clause in re.split(r"[，,。；;]", body):
        put = _PUT.search(clause.strip())
        if put:
            tag = _clean(re.sub(r"^(?:叫做|叫|为|是|成)", "", put.group("tag")))
            if tag and tag not in ("标签", "标记"):
                return tag
    return None


def tag_in_question(text: str) -> str | None:
    """The tag a list question asks for ("我标了高潜的客户有哪些"), or None.

    >>> tag_in_question("我标了高潜的客户有哪些"), tag_in_question("带待回访标签的客户")
    ('高潜', '待回访')
    >>> tag_in_question("标签是重点客户的有谁"), tag_in_question("高潜标签下有几个人"), tag_in_question("我的沉睡客户")
    ('重点客户', '高潜', None)
    """
    quoted = QUOTED.search(text)
    if quoted:
        return _clean(quoted.group("tag"))
    for pattern in _LISTED:
        found = pattern.search(text)
        if found:
            tag = _clean(found.group("tag"))
            if tag and tag not in ("标签", "哪些", "什么"):
                return tag
    return None


def rank_request(text: str) -> tuple[str | None, int]:
    """What a ranking is by ("health", "loss", "drift" or None when the words do not say) and how many clients
    (lexicon.numbers, DEFAULT_RANK_COUNT when none is given, at most MAX_RANK_COUNT).

    >>> rank_request("健康分最低的十个客户"), rank_request("亏得最多的五个客户"), rank_request("配置偏离最大的客户")
    (('health', 10), ('loss', 5), ('drift', 10))
    """
    by = None
    for key in ("drift", "loss", "health"):
        if any(word in text for word in RANK_WORDS[key]):
            by = key
            break
    count = parse_int(re.sub(r"(?:近|最近|过去)?\d+天|\d+%", "", text))
    if count is None or count < 1:
        count = DEFAULT_RANK_COUNT
    return by, min(count, MAX_RANK_COUNT)
