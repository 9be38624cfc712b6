"""Build the FastAPI application: one router per area, settings from web.settings."""

from __future__ import annotations

from fastapi import FastAPI

from web.routers import health


def create_app() -> FastAPI:
    """Return a new app with every router mounted (OpenAPI docs at /docs)."""
    app = FastAPI(
        title="财富助手 Wealth-advisor assistant",
        description="Proposal pages, dashboards and admin API of the wealth-advisor assistant.",
        version="0.1.0",
    )
    app.include_router(health.router)
    return app


app = create_app()
