"""The web root: the login page a browser (or a discovery probe) gets without credentials."""

from pathlib import Path

import aiohttp
import pytest

from gxp_simulator import SimulatedPhone

from .conftest import CONFIGURED, PASSWORD
from .tls import self_signed_server_context


@pytest.mark.parametrize(
    ("model", "server"),
    [
        ("GXP1165", "Grandstream GXP1165"),
        ("GXP2170", "Grandstream GXP2170 1.0.11.16"),
        ("GRP2614", "Grandstream GRP2614 1.0.5.15"),
    ],
)
async def test_web_root_is_the_login_page(
    http: aiohttp.ClientSession, model: str, server: str
) -> None:
    """GET / answers 200 with the HTML login form and the model's Server header."""
    async with (
        SimulatedPhone.start(model=model, password=PASSWORD, **CONFIGURED) as sim,
        http.get(f"{sim.base_url}/") as response,
    ):
        assert response.status == 200
        assert response.headers["Server"] == server
        assert response.headers["Content-Type"].startswith("text/html")
        text = await response.text()
    assert 'action="/cgi-bin/dologin"' in text
    assert 'type="password"' in text
    record = sim.phone.requests.last()
    assert record is not None
    assert (record.method, record.path, record.raw_query) == ("GET", "/", "")


async def test_web_root_needs_no_credentials_and_counts_no_failure(
    http: aiohttp.ClientSession, sim: SimulatedPhone
) -> None:
    """Reading the login page never touches the lockout counter, however often."""
    sim.phone.settings.update(lockout_attempts=1)
    for _ in range(3):
        async with http.get(f"{sim.base_url}/") as response:
            assert response.status == 200
    assert sim.phone.auth.failures == 0
    assert sim.phone.auth.lock_minutes() is None
    async with http.get(
        sim.url("api-get_phone_status"), params={"passcode": PASSWORD}
    ) as response:
        assert (await response.json(content_type=None))["body"] == "available"


async def test_web_root_with_gated_remote_control(
    http: aiohttp.ClientSession,
) -> None:
    """The Remote Control gate guards the CTI endpoints, not the web UI."""
    async with (
        SimulatedPhone.start(
            model="GXP2170", password=PASSWORD, action_uri_support=False, **CONFIGURED
        ) as sim,
        http.get(f"{sim.base_url}/") as response,
    ):
        assert response.status == 200
        assert response.headers["Server"] == "Grandstream GXP2170 1.0.11.16"


async def test_web_root_obeys_faults(
    http: aiohttp.ClientSession, sim: SimulatedPhone
) -> None:
    """Faults that hit every path also hit the web root (500 page, same header)."""
    sim.phone.set_faults(http_status=500, times=1)
    async with http.get(f"{sim.base_url}/") as response:
        assert response.status == 500
        assert response.headers["Server"] == "Grandstream GXP1165"
    async with http.get(f"{sim.base_url}/") as response:
        assert response.status == 200


async def test_other_pages_stay_404(
    http: aiohttp.ClientSession, sim: SimulatedPhone
) -> None:
    """Only GET / is the login page; other paths and a POST to / are still 404."""
    async with http.get(f"{sim.base_url}/index.html") as response:
        assert response.status == 404
    async with http.post(f"{sim.base_url}/") as response:
        assert response.status == 404
        assert response.headers["Server"] == "Grandstream GXP1165"


async def test_https_only_phone_redirects_plain_http(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Web Access Mode HTTPS [DOC S10 P1650]: port 80 redirects to https:// [INF]."""
    context = self_signed_server_context(tmp_path)
    async with (
        SimulatedPhone.start(
            model="GRP2614", ssl_context=context, redirect_port=True
        ) as sim,
        http.get(
            f"{sim.redirect_url}/cgi-bin/api-get_line_status?x=1",
            allow_redirects=False,
        ) as response,
    ):
        assert response.status == 302
        assert response.headers["Location"] == (
            f"{sim.base_url}/cgi-bin/api-get_line_status?x=1"
        )
        assert sim.base_url.startswith("https://")
