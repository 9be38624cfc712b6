"""Which products a chat message points at, for the shelf in chat (services/shelf.py does the rest).

A client names products for a comparison or a hand-off in many ways: by code ("WM090"), full name, a distinctive
part of the name ("远航纯债", "天天利"), by kind ("货币基金和纯债基金哪个适合我": the best product of each kind for
this client stands in for it), or by place in the list just shown ("第1款和第3款", "这两个"). Nothing here raises
for any text; unknown words are simply not picks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.models import CATEGORY_NAMES, Product
from lexicon.bounds import clip
from lexicon.numbers import parse_int
from lexicon.shelf_terms import CATEGORY_WORDS, ShelfQuery, parse_shelf_query
from services.shelf import browse

MAX_COMPARED = 3
MIN_NAME_PART = 3
"""A part of a product's name must be at least this many characters to name it ("天天利", "远航纯债")."""
_SEPARATORS = re.compile(r"以及|还是|或者|对比|比较|比一比|比比|[和与跟及或、，,；;/]|vs|pk", re.IGNORECASE)
_ORDINAL = re.compile(r"第\s*([0-9０-９一二两三四五六七八九十]{1,3})\s*(?:个|款|只|支|项|条|种|名)?")
_ALL_SHOWN = re.compile(r"(这|那|上面|刚才|前)(几|两|二|三)(个|款|只|支|种|样)|它们|他们俩|这俩|那俩")
_NUMBER = re.compile(r"[0-9.,%]+")
_GENERIC = frozenset({*CATEGORY_WORDS, "理财", "债券", "基金", "混合", "股票", "指数", "保险", "存款", "定期",
                      "现金", "货币", "理财产品", "债券基金", "股票基金", "指数基金", "混合基金", "货币基金"})


@dataclass(frozen=True)
class Picks:
    """Product codes in the order the message names them, and notes on kinds stood in for by one product."""

    codes: list[str]
    notes: list[str]


def _on_sale(session: Session) -> list[Product]:
    return list(session.scalars(select(Product).where(Product.on_sale.is_(True)).order_by(Product.code)))


def _common(a: str, b: str) -> str:
    """The longest common substring of `a` and `b` (the first of equal length)."""
    best = ""
    for start in range(len(a)):
        for end in range(start + len(best) + 1, len(a) + 1):
            if a[start:end] in b:
                best = a[start:end]
            else:
                break
    return best


def _by_part_of_name(products: Sequence[Product], part: str) -> Product | None:
    """The product whose name shares the longest distinctive piece with `part` (not a mere kind word)."""
    best: tuple[int, Product] | None = None
    for product in products:
        piece = _common(part, product.name)
        if len(piece) >= MIN_NAME_PART and piece not in _GENERIC and not _NUMBER.fullmatch(piece) \
                and (best is None or len(piece) > best[0]):  # "5000" is an amount, not "中证500"
            best = (len(piece), product)
    return best[1] if best else None


def _exact(products: Sequence[Product], text: str) -> tuple[list[tuple[int, Product]], str]:
    """Products named by full name or code, with their positions; the text with those spans blanked."""
    found: list[tuple[int, Product]] = []
    for product in sorted(products, key=lambda p: -len(p.name)):
        for needle, flags in ((product.name, 0), (product.code, re.IGNORECASE)):
            match = re.search(re.escape(needle) + ("(?![0-9A-Za-z])" if needle == product.code else ""), text, flags)
            if match:
                found.append((match.start(), product))
                text = text[:match.start()] + "，" * len(match.group(0)) + text[match.end():]
                break
    return found, text


def _mentions(products: Sequence[Product], text: str) -> list[tuple[int, Product | None, str]]:
    """(position, product named there or None, the words) for each full name, code and separated part of `text`."""
    found, rest = _exact(products, text)
    mentions: list[tuple[int, Product | None, str]] = [(position, p, p.name) for position, p in found]
    offset = 0
    for part in _SEPARATORS.split(rest):
        position = rest.find(part, offset)
        offset = max(offset, position + len(part))
        words = part.strip("，").strip()
        if words:
            mentions.append((position, _by_part_of_name(products, words), words))
    return sorted(mentions, key=lambda mention: mention[0])


def named_products(session: Session, text: str) -> list[Product]:
    """On-sale products the message names by code, full name or a distinctive part of the name, in text order.

    Kind words ("货币基金") do not name a product; see `compare_picks` for those.
    """
    named = [p for _, p, _ in _mentions(_on_sale(session), clip(text)) if p is not None]
    return list({p.code: p for p in named}.values())


def ordinals(text: str) -> list[int]:
    """Places in a list the message names ("第1款和第三个" → [1, 3]), 1-based, in order, at most three.

    >>> ordinals("第1款和第三个哪个好"), ordinals("第二只帮我问问"), ordinals("远航纯债")
    ([1, 3], [2], [])
    """
    places: list[int] = []
    for match in _ORDINAL.finditer(clip(text)):
        number = parse_int(match.group(1).translate(str.maketrans("０１２３４５６７８９", "0123456789")))
        if number is not None and 1 <= number <= 50 and number not in places:
            places.append(number)
    return places[:MAX_COMPARED]


def _from_shown(text: str, shown: Sequence[str]) -> list[str]:
    places = ordinals(text)
    if places:
        return [shown[n - 1] for n in places if n <= len(shown)]
    if _ALL_SHOWN.search(text):
        return list(shown[:MAX_COMPARED])
    return []


def _stand_in(session: Session, client_id: int | None, categories: tuple[str, ...]) -> str | None:
    """The code of the best product of these kinds for the client (one above their level if that is all)."""
    result = browse(session, client_id, ShelfQuery(categories=categories), limit=1)
    best = result.items or result.unsuitable
    return best[0].code if best else None


def compare_picks(session: Session, client_id: int | None, text: str, shown: Sequence[str] = ()) -> Picks:
    """The 2-3 products a comparison request means: named products, then kinds (the best of each kind for the
    client stands in), or places in the list `shown` last; fewer than two when the message names fewer."""
    text = clip(text)
    products = _on_sale(session)
    by_code = {p.code: p for p in products}
    codes = [code for code in _from_shown(text, shown) if code in by_code]
    if len(codes) >= 2:
        return Picks(list(dict.fromkeys(codes))[:MAX_COMPARED], [])
    picks: list[tuple[str, str]] = []
    for _, product, words in _mentions(products, text):
        if product is not None:
            picks.append((product.code, ""))
        elif (query := parse_shelf_query(words)).categories and \
                (code := _stand_in(session, client_id, query.categories)) is not None:
            kind = next((w for w in query.understood if w in CATEGORY_WORDS), CATEGORY_NAMES[query.categories[0]])
            picks.append((code, f"{kind}以“{by_code[code].name}”为例"))
    codes, notes = [], []
    for code, note in picks:
        if code not in codes and len(codes) < MAX_COMPARED:
            codes.append(code)
            notes += [note] if note else []
    return Picks(codes, notes)


def picked_product(session: Session, text: str, shown: Sequence[str], focus: str | None) -> str | None:
    """The one product a "我想买这个" means: one named, a place in the list `shown`, else `focus` (the product in
    view: a comparison's pick, a one-item list), else the only product shown; None when it is not clear."""
    named = named_products(session, text)
    if named:
        return named[0].code
    places = ordinals(text)
    if places and places[0] <= len(shown):
        return shown[places[0] - 1]
    if focus:
        return focus
    return shown[0] if len(shown) == 1 else None
