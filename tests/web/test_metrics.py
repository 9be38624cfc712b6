"""The real web app's /metrics: every request is counted by its route template, method and status, never by
the path it carried (a token in the path, or a scan of random URLs, adds no label)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import Service, get, start_web


@pytest.fixture(scope="module")
def web(demo_db_url: str) -> Iterator[Service]:
    service = start_web(env={"DATABASE_URL": demo_db_url})
    yield service
    service.stop()


def count(text: str, route: str, status: str, method: str = "GET") -> float:
    """The request count of one route template and status in a scraped text (0 when absent)."""
    prefix = f'web_http_request_seconds_count{{method="{method}",route="{route}",status="{status}"}} '
    values = [float(line[len(prefix):]) for line in text.splitlines() if line.startswith(prefix)]
    return values[0] if values else 0.0


def scrape(web: Service) -> str:
    status, body = get(f"{web.url}/metrics")
    assert status == 200
    return body.decode()


class TestMetrics:
    def test_a_health_check_is_counted_under_its_route(self, web: Service) -> None:
        before = count(scrape(web), "/health", "200")
        assert get(f"{web.url}/health")[0] == 200
        assert count(scrape(web), "/health", "200") == before + 1

    def test_a_token_in_the_path_becomes_the_route_template(self, web: Service) -> None:
        before = count(scrape(web), "/proposals/{token}", "404")
        assert get(f"{web.url}/proposals/no-such-secret-token-42")[0] == 404
        text = scrape(web)
        assert count(text, "/proposals/{token}", "404") == before + 1
        assert "no-such-secret-token-42" not in text

    def test_an_unknown_path_counts_as_unmatched(self, web: Service) -> None:
        before = count(scrape(web), "unmatched", "404")
        assert get(f"{web.url}/wp-admin/setup-config.php")[0] == 404
        text = scrape(web)
        assert count(text, "unmatched", "404") == before + 1 and "wp-admin" not in text

    def test_metrics_is_not_in_the_public_api_schema(self, web: Service) -> None:
        status, body = get(f"{web.url}/openapi.json")
        assert status == 200 and b'"/metrics"' not in body
