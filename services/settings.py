"""The settings of the action server, the web app and the jobs: one class, read from the environment.

Each field maps to an upper-case environment variable (or a line of `.env`). The web app extends this class
with its own fields (web/settings.py); the Rasa process, which cannot import services/, reads WeCom's
settings through wecom/settings.py, and the knowledge leaf keeps its index paths in knowledge/config.py.
Later features add their settings here.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bank.db import database_url
from bank.proposals import DEFAULT_PUBLIC_BASE_URL


class Settings(BaseSettings):
    """What services/ can be configured with."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(default_factory=database_url,
                              description="SQLAlchemy URL of bank/ (default: SQLite at var/bank.db)")
    public_base_url: str = Field(default=DEFAULT_PUBLIC_BASE_URL,
                                 description="The web app's address as users reach it, for links the bot sends")
    wecom_kf_open_kfid: str = Field(default="", description="微信客服 account that sends clients cards and notices")

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.strip().rstrip("/") or DEFAULT_PUBLIC_BASE_URL


def get_settings() -> Settings:
    """The settings as the environment states them now (cheap; read per call so a changed variable counts)."""
    return Settings()
