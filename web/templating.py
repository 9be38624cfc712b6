"""The Jinja2 templates of the web pages (plain HTML, no build step)."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from calc.money import fmt_pct, fmt_yuan

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")


def yuan(amount: str | float) -> str:
    """An amount exact to the fen for the pages' tables (calc.money.fmt_yuan without 元): '27,837,400.00'."""
    return fmt_yuan(float(amount), unit=False)


def pct(rate: float | None) -> str:
    """A fraction as a percentage for the pages' tables, — when there is none: '1.23%'.

    >>> pct(0.0123), pct(None)
    ('1.23%', '—')
    """
    return "—" if rate is None else fmt_pct(float(rate))


templates.env.filters["yuan"] = yuan
templates.env.filters["pct"] = pct
