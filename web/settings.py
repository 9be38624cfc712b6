"""The web app's settings, read once from the environment (and an optional .env file)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the web app can be configured with; each field maps to an upper-case variable."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(default=None, description="SQLAlchemy URL of bank/; default var/bank.db")
    rasa_url: str = Field(default="http://127.0.0.1:5005", description="Rasa server base URL")
    public_base_url: str = Field(default="http://localhost:8000", description="URL users open, for links")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear the cache to change them)."""
    return Settings()
