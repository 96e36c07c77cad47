"""Fixtures for the simulator tests: an HTTP session and a small CTI helper."""

from collections.abc import AsyncIterator
import hashlib
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
import pytest

from gxp_simulator import SimulatedPhone

PASSWORD = "admin"  # noqa: S105 - the simulated phones' admin password
# The phone before this project's realistic defaults: factory call features, Remote
# Control open, no delays. Tests about something else start from it.
CONFIGURED: dict[str, Any] = {
    "timing": "instant",
    "allowed_ips": "any",
    "popup": False,
}


def sha256_hex(text: str) -> str:
    """Hex SHA-256, as the web UI's login computes it."""
    return hashlib.sha256(text.encode()).hexdigest()


def web_headers(sim: SimulatedPhone) -> dict[str, str]:
    """Return the same-origin headers of the web UI's form posts (cti-api.md 3.2.6)."""
    return {"Origin": sim.base_url, "Referer": f"{sim.base_url}/"}


async def web_login(
    http: aiohttp.ClientSession,
    sim: SimulatedPhone,
    username: str = "admin",
    password: str = PASSWORD,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Log in like the phone's web UI (variant c if `access` exists, else b).

    Return the dologin JSON answer and the cookies it set.
    """
    headers = web_headers(sim)
    async with http.post(
        sim.url("access"), data={"access": sha256_hex(username)}, headers=headers
    ) as response:
        if response.status != 404:
            nonce = (await response.json(content_type=None))["body"]
            password = sha256_hex(password + nonce)
    async with http.post(
        sim.url("dologin"),
        data={"username": username, "password": password},
        headers=headers,
    ) as response:
        cookies = {name: morsel.value for name, morsel in response.cookies.items()}
        return await response.json(content_type=None), cookies


class Cti:
    """Plain aiohttp requests against one simulated phone."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        sim: SimulatedPhone,
        password: str = PASSWORD,
    ) -> None:
        """Talk to `sim` with `password` as passcode."""
        self.session = session
        self.sim = sim
        self.password = password

    async def request(
        self, endpoint: str, *, method: str = "GET", auth: bool = True, **params: str
    ) -> tuple[int, str, CIMultiDictProxy[str]]:
        """Send one request; return status, text and headers."""
        query = {"passcode": self.password, **params} if auth else params
        async with self.session.request(
            method, self.sim.url(endpoint), params=query
        ) as response:
            return response.status, await response.text(), response.headers

    async def json(self, endpoint: str, **params: str) -> Any:
        """Send one request that must answer 200 with JSON; return the JSON."""
        async with self.session.get(
            self.sim.url(endpoint), params={"passcode": self.password, **params}
        ) as response:
            assert response.status == 200, await response.text()
            return await response.json(content_type=None)

    async def keys(self, keys: str) -> Any:
        """api-send_key with colon-separated tokens (`#` travels as %23)."""
        return await self.json("api-send_key", keys=keys)

    async def op(self, cmd: str) -> Any:
        """api-phone_operation."""
        return await self.json("api-phone_operation", cmd=cmd)

    async def lines(self) -> list[str]:
        """Read the state of every line over HTTP."""
        answer = await self.json("api-get_line_status")
        return [line["state"] for line in answer["body"]]

    async def control(self, path: str, data: dict[str, Any] | None = None) -> Any:
        """POST to the control API (GET when data is None)."""
        url = f"{self.sim.base_url}/_sim/{path}"
        if data is None:
            async with self.session.get(url) as response:
                assert response.status == 200, await response.text()
                return await response.json()
        async with self.session.post(url, json=data) as response:
            return await response.json()


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Let simulator tests open sockets; pytest-socket still allows only 127.0.0.1."""


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """Yield an aiohttp session, closed after the test."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def sim() -> AsyncIterator[SimulatedPhone]:
    """Run a GXP1165 with fast timers and nothing scripted."""
    async with SimulatedPhone.start(
        model="GXP1165",
        password=PASSWORD,
        failed_time=0.05,
        no_key_entry_timeout=None,
        **CONFIGURED,
    ) as phone:
        yield phone


@pytest.fixture
async def gxp2170() -> AsyncIterator[SimulatedPhone]:
    """Run a GXP2170 with fast timers."""
    async with SimulatedPhone.start(
        model="GXP2170",
        password=PASSWORD,
        failed_time=0.05,
        no_key_entry_timeout=None,
        **CONFIGURED,
    ) as phone:
        yield phone


@pytest.fixture
def cti(http: aiohttp.ClientSession, sim: SimulatedPhone) -> Cti:
    """CTI helper for the GXP1165."""
    return Cti(http, sim)


@pytest.fixture
def cti2170(http: aiohttp.ClientSession, gxp2170: SimulatedPhone) -> Cti:
    """CTI helper for the GXP2170."""
    return Cti(http, gxp2170)
