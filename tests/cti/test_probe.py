"""CtiClient.probe(): the model from the web root's Server header, without the password."""

import re

import aiohttp
from aioresponses import aioresponses
import pytest

from custom_components.grandstream_gxp.cti import (
    CtiClient,
    CtiConnectionError,
    DeviceInfo,
    InfoSource,
    Sourced,
)
from gxp_simulator import SimulatedPhone

from .conftest import HOST, PASSWORD, ExpectError, leaked, requests_sent

ROOT = re.compile(rf"^https?://{re.escape(HOST)}(:\d+)?/$")


@pytest.mark.parametrize(
    ("model", "expected_model", "firmware"),
    [
        ("GXP1165", "GXP1165", None),
        ("GXP2170", "GXP2170", "1.0.11.16"),
        ("GRP2614", "GRP2614", "1.0.5.15"),
    ],
)
async def test_probe_simulated_phone(
    socket_enabled: None,
    session: aiohttp.ClientSession,
    model: str,
    expected_model: str,
    firmware: str | None,
) -> None:
    """The simulator's login page names the model; no credentials travel."""
    async with SimulatedPhone.start(
        model, password=PASSWORD, lockout_attempts=1
    ) as sim:
        client = CtiClient(session, sim.host, port=sim.port, password=PASSWORD)
        info = await client.probe()
        assert sim.phone.auth.failures == 0
        assert sim.phone.auth.lock_minutes() is None
        records = list(sim.phone.requests)

    assert info.model == Sourced(value=expected_model, source=InfoSource.SERVER_HEADER)
    if firmware is None:
        assert info.firmware is None
    else:
        assert info.firmware == Sourced(value=firmware, source=InfoSource.SERVER_HEADER)
    assert info.mac is None
    assert info.line_count is None
    assert info.server_header is not None
    assert info.server_header.startswith(f"Grandstream {model}")
    assert [
        (rec.method, rec.path, rec.raw_query, dict(rec.form)) for rec in records
    ] == [("GET", "/", "", {})]


async def test_probe_ignores_the_status(client: CtiClient, mock: aioresponses) -> None:
    """A redirect or an error page still carries the header that matters."""
    mock.get(ROOT, status=302, headers={"Server": "Grandstream GXP1628"})
    info = await client.probe()
    assert info.model is not None
    assert info.model.value == "GXP1628"
    assert info.firmware is None
    (method, url, kwargs) = requests_sent(mock)[0]
    assert method == "GET"
    assert url.path == "/"
    assert not url.query
    assert kwargs.get("data") is None
    assert kwargs["allow_redirects"] is False
    assert not leaked(str(url))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {"Server": "Grandstream HT814 1.0.3.2"},
            DeviceInfo(
                model=Sourced(value="HT814", source=InfoSource.SERVER_HEADER),
                firmware=Sourced(value="1.0.3.2", source=InfoSource.SERVER_HEADER),
                server_header="Grandstream HT814 1.0.3.2",
            ),
        ),
        (
            {"Server": "lighttpd/1.4.35"},
            DeviceInfo(server_header="lighttpd/1.4.35"),
        ),
        ({}, DeviceInfo()),
    ],
)
async def test_probe_other_servers(
    client: CtiClient,
    mock: aioresponses,
    headers: dict[str, str],
    expected: DeviceInfo,
) -> None:
    """Other devices and other web servers: only what the header says, nothing guessed."""
    mock.get(ROOT, status=200, body="<html></html>", headers=headers)
    assert await client.probe() == expected


async def test_probe_https(session: aiohttp.ClientSession, mock: aioresponses) -> None:
    """With https the probe goes to the https web root."""
    client = CtiClient(session, HOST, password=PASSWORD, https=True)
    mock.get(ROOT, headers={"Server": "Grandstream GRP2614"})
    info = await client.probe()
    assert info.model is not None
    assert info.model.value == "GRP2614"
    assert requests_sent(mock)[0][1].scheme == "https"


async def test_probe_unreachable(
    socket_enabled: None, session: aiohttp.ClientSession, expect_error: ExpectError
) -> None:
    """Nothing listening: CtiConnectionError, without the password."""
    async with SimulatedPhone.start("GXP1165", password=PASSWORD) as sim:
        port = sim.port
        await sim.stop_listening()
        client = CtiClient(session, sim.host, port=port, password=PASSWORD)
        await expect_error(CtiConnectionError, client.probe())
