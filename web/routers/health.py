"""Liveness and readiness: is the app up, can it read the bank's database."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from web.deps import SessionDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The app's state: `ok` when every dependency answers."""

    status: str
    database: str


@router.get("/health", response_model=Health, summary="Liveness and database check")
def health(session: SessionDep, response: Response) -> Health:
    """Answer 200 with `ok` when the database answers a trivial query, 503 otherwise."""
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Health(status="degraded", database="unavailable")
    return Health(status="ok", database="ok")
