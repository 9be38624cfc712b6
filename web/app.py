"""Build the FastAPI application: one router per area, settings from web.settings."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from services.settings import check_profile
from web import logs
from web.routers import (
    after_sale,
    auth,
    briefings,
    chat,
    dashboard,
    handoffs,
    health,
    links,
    manage,
    metrics,
    pages,
    portfolios,
    proposals,
    session,
    sharing,
    shelf,
    statements,
)
from web.settings import get_settings
from web.templating import STATIC


def create_app() -> FastAPI:
    """Return a new app with every router mounted (OpenAPI docs at /docs, not in production).

    Raises services.settings.ProductionRefused when APP_ENV=production holds demo or missing settings.
    """
    settings = get_settings()
    check_profile(settings)
    logs.install()
    app = FastAPI(
        title="财富助手 Wealth-advisor assistant",
        description="Chat page, dashboards, proposal pages and admin API of the wealth-advisor assistant.",
        version="0.1.0",
        docs_url=None if settings.production else "/docs",
        redoc_url=None if settings.production else "/redoc",
        openapi_url=None if settings.production else "/openapi.json",
    )
    app.add_middleware(
        SessionMiddleware, secret_key=settings.session_secret, session_cookie="wa_session",
        max_age=settings.session_max_age, same_site="lax", https_only=settings.session_https_only,
    )
    app.add_middleware(metrics.RequestMetrics)  # times every request, sessions included
    app.add_middleware(logs.RequestIds)  # outermost: every line of a request carries its id
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(session.router)
    app.include_router(auth.router)
    app.include_router(links.router)
    app.include_router(chat.router)
    app.include_router(dashboard.router)
    app.include_router(briefings.router)
    app.include_router(handoffs.router)
    app.include_router(portfolios.router)
    app.include_router(after_sale.router)
    app.include_router(pages.router)
    app.include_router(proposals.router)
    app.include_router(statements.router)
    app.include_router(shelf.router)
    app.include_router(sharing.router)
    app.include_router(manage.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


app = create_app()
