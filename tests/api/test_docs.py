"""/docs and /redoc load everything they need from this server (intranets block CDNs)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_the_api_documentation_needs_no_network(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        sources = re.findall(r"""(?:src|href)=["']([^"']+)""", html)
        assert sources and all(s.startswith("/") for s in sources), (page, sources)  # nothing from another host
        for asset in sources:
            assert client.get(asset).status_code == 200, asset
            # nor anything the scripts fetch later (Redoc's footer logo came from cdn.redoc.ly)
            assert not re.search(r"""src:\s*["']https?://""", client.get(asset).text), asset
