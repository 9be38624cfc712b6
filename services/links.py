"""Links the bot sends: a path of the web app on the address users reach it by."""

from __future__ import annotations

from services.settings import get_settings


def public_url(path: str) -> str:
    """`path` on the URL users open (setting PUBLIC_BASE_URL, default http://localhost:8000).

    >>> import os; os.environ.pop("PUBLIC_BASE_URL", None) and None
    >>> public_url("/proposals/abc")
    'http://localhost:8000/proposals/abc'
    """
    return get_settings().public_base_url + "/" + path.lstrip("/")
