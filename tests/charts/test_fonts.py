"""The CJK font: installed (fonts-noto-cjk), found through matplotlib, and a clear error naming the package when
it is not."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest
from matplotlib import font_manager

from charts.fonts import APT_PACKAGE, CJK_FAMILY, CJKFontMissing, find_cjk_font, use_cjk_font


def test_noto_sans_cjk_sc_is_installed_and_found() -> None:
    """Fails on a machine without Debian's fonts-noto-cjk: charts would draw Chinese as empty boxes."""
    path = Path(find_cjk_font())
    assert path.is_file(), path
    assert "NotoSansCJK" in path.name
    face = font_manager.get_font(font_manager.findfont(font_manager.FontProperties(family=CJK_FAMILY)))
    assert face.get_char_index(ord("财")) != 0 and face.get_char_index(ord("万")) != 0


def test_a_missing_font_is_an_error_naming_the_debian_package() -> None:
    with pytest.raises(CJKFontMissing, match=f"apt-get install {APT_PACKAGE}"):
        find_cjk_font("Font That Is Not Installed")


def test_use_cjk_font_makes_it_the_default_sans_serif() -> None:
    use_cjk_font()
    use_cjk_font()  # idempotent: no duplicates
    families = matplotlib.rcParams["font.sans-serif"]
    assert families[0] == CJK_FAMILY and families.count(CJK_FAMILY) == 1
    assert matplotlib.rcParams["axes.unicode_minus"] is False
