"""The demo's plugins page: aiohttp-cors and aiohttp-pydantic, unchanged, on aioweb (issue 14).

``python -m demo`` runs in its own process (it turns on aioweb's aiohttp opt-in, which is
process-wide), on a real socket; httpx checks what the page promises: CORS answers for the allowed
origin and refusals for another, validation errors as 400 with pydantic's details, the OpenAPI
document of the API alone, and the Swagger UI page.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import httpx
import pytest
from deploy_fixtures import Spawn
from deploy_helpers import free_port, wait_http

ORIGIN = "https://example.org"


@pytest.fixture
def demo(spawn: Spawn) -> Iterator[str]:
    port = free_port()
    proc = spawn(sys.executable, "-W", "ignore", "-m", "demo", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/plugins/", proc)
    yield base


def test_plugins_page_cors_validation_and_openapi(demo: str) -> None:
    with httpx.Client(base_url=demo, timeout=10) as client:
        page = client.get("/plugins/")
        assert page.status_code == 200 and "Swagger UI" in page.text

        listed = client.get("/plugins/api/items", headers={"Origin": ORIGIN})
        assert listed.status_code == 200 and listed.json()[0]["name"] == "teapot"
        assert listed.headers["Access-Control-Allow-Origin"] == ORIGIN

        preflight = {"Access-Control-Request-Method": "POST"}
        allowed = client.options("/plugins/api/items", headers={"Origin": ORIGIN, **preflight})
        assert allowed.status_code == 200
        assert allowed.headers["Access-Control-Allow-Methods"] == "POST"
        refused = client.options(
            "/plugins/api/items", headers={"Origin": "https://evil.example", **preflight}
        )
        assert refused.status_code == 403
        assert "Access-Control-Allow-Origin" not in refused.headers

        created = client.post("/plugins/api/items", json={"name": "cup", "price": 4})
        assert created.status_code == 201 and created.json()["name"] == "cup"
        invalid = client.post("/plugins/api/items", json={"name": "", "price": -1})
        assert invalid.status_code == 400
        assert {e["loc"][0] for e in invalid.json()} == {"name", "price"}
        assert client.get("/plugins/api/items?limit=abc").status_code == 400

        spec = client.get("/plugins/oas/spec").json()
        assert list(spec["paths"]) == ["/plugins/api/items"]
        assert set(spec["paths"]["/plugins/api/items"]) == {"get", "post"}
        assert "swagger-ui" in client.get("/plugins/oas").text.lower()
