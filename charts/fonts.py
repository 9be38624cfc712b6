"""The CJK font the charts need: Noto Sans CJK SC from Debian's fonts-noto-cjk, found through matplotlib.

Without a CJK font matplotlib draws Chinese text as empty boxes (and warns "Glyph … missing from font"),
so a missing font is an error that says which package to install.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import matplotlib
from matplotlib import font_manager

CJK_FAMILY = "Noto Sans CJK SC"
APT_PACKAGE = "fonts-noto-cjk"
FALLBACK_FAMILY = "DejaVu Sans"  # matplotlib's own font, for any glyph the CJK font lacks

_lock = threading.Lock()


class CJKFontMissing(RuntimeError):
    """The CJK font is not installed, so Chinese text cannot be drawn."""


@lru_cache(maxsize=4)
def find_cjk_font(family: str = CJK_FAMILY) -> str:
    """The path of the font file matplotlib uses for `family`.

    Raises
    ------
    CJKFontMissing
        No installed font has that family; the message names the Debian package to install.

    Examples
    --------
    >>> find_cjk_font().endswith((".ttc", ".otf", ".ttf"))
    True
    >>> find_cjk_font("No Such Font")
    Traceback (most recent call last):
    ...
    charts.fonts.CJKFontMissing: font 'No Such Font' not found: install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk)
    """
    try:
        path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    except ValueError:
        path = ""
    if not path:
        raise CJKFontMissing(f"font {family!r} not found: install Debian's {APT_PACKAGE} "
                             f"(apt-get install {APT_PACKAGE})")
    return str(path)


def use_cjk_font(family: str = CJK_FAMILY) -> str:
    """Make `family` matplotlib's default sans-serif font (idempotent, thread-safe); return the font path.

    Also draws the minus sign as "-" (the CJK font has no U+2212 in every weight).

    >>> use_cjk_font() == find_cjk_font()
    True
    >>> import matplotlib; matplotlib.rcParams["font.sans-serif"][0]
    'Noto Sans CJK SC'
    """
    path = find_cjk_font(family)
    with _lock:
        rc = matplotlib.rcParams
        if rc["font.sans-serif"][:1] != [family]:
            rc["font.family"] = "sans-serif"
            rc["font.sans-serif"] = [family, FALLBACK_FAMILY, *[f for f in rc["font.sans-serif"]
                                                               if f not in (family, FALLBACK_FAMILY)]]
            rc["axes.unicode_minus"] = False
    return path
