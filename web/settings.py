"""The web app's settings: services' settings plus the web's own, read once from the environment (and .env)."""

from __future__ import annotations

import secrets
from functools import lru_cache

from pydantic import Field, field_validator

from services.settings import MIN_SECRET_LENGTH
from services.settings import Settings as ServiceSettings


class Settings(ServiceSettings):
    """Everything the web app can be configured with; each field maps to an upper-case variable."""

    rasa_url: str = Field(default="http://127.0.0.1:5005",
                          description="Rasa server base URL, or several separated by commas (instances sharing "
                                      "conversations: the chat takes them in turn and skips one that is down)")
    session_secret: str = Field(
        default_factory=lambda: secrets.token_urlsafe(32),
        description="Key signing the session cookie; set it in production (a random one is made per process)",
    )
    session_max_age: int = Field(default=8 * 3600, description="Session cookie lifetime in seconds")
    session_https_only: bool = Field(default=False, description="Send the session cookie over HTTPS only")
    demo_login: bool = Field(
        default=True, description="Let visitors pick a demo identity; turn off once WeCom OAuth is wired in"
    )
    rasa_timeout: float = Field(default=30.0, description="Seconds to wait for Rasa's answer to one message")


    @field_validator("rasa_url")
    @classmethod
    def _rasa_urls_are_http(cls, value: str) -> str:
        urls = [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        if not urls or not all(url.startswith(("http://", "https://")) for url in urls):
            raise ValueError("RASA_URL: one or more http(s) addresses separated by commas")
        return ",".join(urls)

    @property
    def rasa_urls(self) -> list[str]:
        """Each Rasa instance's base URL, in the order given."""
        return self.rasa_url.split(",")

    def production_problems(self) -> list[str]:
        """services' checks plus the web's own: no demo picker, an explicit long session key."""
        problems = super().production_problems()
        if self.demo_login:
            problems.append("DEMO_LOGIN: the demo identity picker must be off (false) in production")
        if "session_secret" not in self.model_fields_set or len(self.session_secret) < MIN_SECRET_LENGTH:
            problems.append(f"SESSION_SECRET: must be set to a random secret of at least {MIN_SECRET_LENGTH} "
                            "characters (the same for every worker)")
        return problems


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear the cache to change them)."""
    return Settings()
