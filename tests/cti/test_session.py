"""The web session: one login, values read and written, logout; never a second try."""

from collections.abc import AsyncIterator
import logging

import aiohttp
from aioresponses import aioresponses
import pytest

from custom_components.grandstream_gxp.cti import (
    CtiAuthError,
    CtiClient,
    CtiCommandError,
    CtiResponseError,
)
from gxp_simulator import SimulatedPhone

from .conftest import PASSWORD, api, requests_sent


@pytest.fixture
async def phone(socket_enabled: None) -> AsyncIterator[SimulatedPhone]:
    """Run a simulated GXP2170 with the test password."""
    async with SimulatedPhone.start(
        "GXP2170", password=PASSWORD, setup="readme", timing="instant"
    ) as sim:
        yield sim


def _client(
    session: aiohttp.ClientSession, sim: SimulatedPhone, password: str
) -> CtiClient:
    return CtiClient(session, sim.host, port=sim.port, password=password)


def _paths(sim: SimulatedPhone) -> list[str]:
    return [entry.path for entry in sim.phone.requests]


async def test_read_write_logout(
    session: aiohttp.ClientSession,
    phone: SimulatedPhone,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One login, the writes read back, one logout; the sid is never logged."""
    caplog.set_level(logging.DEBUG)
    client = _client(session, phone, PASSWORD)
    async with client.session() as web:
        assert "sid" not in repr(web)
        assert await web.get_values(["P8310", "P8311"]) == {"P8310": "", "P8311": ""}
        await web.set_values({"P8310": "http://ha/x?e=incoming"})
        assert await web.get_values(["P8310"]) == {"P8310": "http://ha/x?e=incoming"}
        sids = list(phone.phone.auth.sessions)
    assert phone.phone.auth.sessions == {}
    assert _paths(phone).count("/cgi-bin/dologin") == 1
    assert _paths(phone)[-1] == "/cgi-bin/dologout"
    assert not any(sid in caplog.text for sid in sids)


async def test_wrong_password_once(
    session: aiohttp.ClientSession, phone: SimulatedPhone
) -> None:
    """A refused password raises at once, after exactly one login."""
    client = _client(session, phone, "wrong")
    with pytest.raises(CtiAuthError) as caught:
        async with client.session():
            pytest.fail("no session expected")  # pragma: no cover
    assert not caught.value.locked
    assert _paths(phone) == ["/cgi-bin/access", "/cgi-bin/dologin"]
    assert phone.phone.auth.failures == 1


async def test_locked(session: aiohttp.ClientSession, mock: aioresponses) -> None:
    """A locked phone raises CtiAuthError(locked=True)."""
    mock.post(api("access"), status=404)
    mock.post(
        api("dologin"), payload={"response": "error", "body": "locked", "lockTime": 3}
    )
    client = CtiClient(session, "phone.test", password=PASSWORD)
    with pytest.raises(CtiAuthError) as caught:
        async with client.session():
            pytest.fail("no session expected")  # pragma: no cover
    assert caught.value.locked
    assert caught.value.lock_minutes == 3
    assert len(requests_sent(mock)) == 2


async def test_odd_answers(session: aiohttp.ClientSession, mock: aioresponses) -> None:
    """No sid, a body that is not an object, a refused write; logout still runs."""
    client = CtiClient(session, "phone.test", password=PASSWORD)
    mock.post(api("access"), status=404, repeat=True)
    mock.post(api("dologin"), payload={"response": "success", "body": {}})
    with pytest.raises(CtiResponseError):
        async with client.session():
            pytest.fail("no session expected")  # pragma: no cover

    mock.post(api("dologin"), payload={"response": "success", "body": {"sid": "s1"}})
    mock.post(api("api.values.get"), payload={"response": "success", "body": "x"})
    mock.post(api("api.values.post"), payload={"response": "success", "body": "failed"})
    mock.post(api("dologout"), status=500)
    async with client.session() as web:
        with pytest.raises(CtiResponseError):
            await web.get_values(["P8310"])
        with pytest.raises(CtiCommandError):
            await web.set_values({"P8310": ""})
    paths = [url.path for _method, url, _kw in requests_sent(mock)]
    assert paths.count("/cgi-bin/dologout") == 1


async def test_session_expired(
    session: aiohttp.ClientSession, phone: SimulatedPhone
) -> None:
    """A session the phone forgot raises CtiAuthError."""
    client = _client(session, phone, PASSWORD)
    async with client.session() as web:
        phone.phone.auth.sessions.clear()
        with pytest.raises(CtiAuthError):
            await web.set_values({"P8310": "x"})
