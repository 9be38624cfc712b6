"""The real web app under uvicorn: health check and OpenAPI docs."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.servers import Service, get, start_web


@pytest.fixture(scope="module")
def web(demo_db_url: str) -> Iterator[Service]:
    service = start_web(env={"DATABASE_URL": demo_db_url})
    yield service
    service.stop()


class TestHealth:
    def test_health_reports_ok_with_the_database(self, web: Service) -> None:
        status, body = get(f"{web.url}/health")
        assert status == 200
        assert json.loads(body) == {"status": "ok", "database": "ok"}

    def test_health_is_503_when_the_database_is_unreachable(self) -> None:
        service = start_web(env={"DATABASE_URL": "sqlite:////nonexistent-dir/never/bank.db"}, healthy=False)
        try:
            status, body = get(f"{service.url}/health")
            assert status == 503
            assert json.loads(body) == {"status": "degraded", "database": "unavailable"}
        finally:
            service.stop()


class TestOpenAPI:
    def test_docs_and_schema_are_served(self, web: Service) -> None:
        status, body = get(f"{web.url}/openapi.json")
        assert status == 200
        assert "/health" in json.loads(body)["paths"]
        status, page = get(f"{web.url}/docs")
        assert status == 200 and b"swagger" in page.lower()
