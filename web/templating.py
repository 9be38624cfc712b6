"""The Jinja2 templates of the web pages (plain HTML, no build step)."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")


def yuan(amount: str | float) -> str:
    """An amount with thousands separators and two decimals, for display: 27837400 -> '27,837,400.00'."""
    return f"{float(amount):,.2f}"


templates.env.filters["yuan"] = yuan
