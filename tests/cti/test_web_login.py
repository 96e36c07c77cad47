"""Web login variants b and c, the client's own cookies, values fallback, 401 meanings."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from aioresponses import aioresponses
import pytest

from custom_components.grandstream_gxp.cti import (
    CtiAuthError,
    CtiClient,
    CtiPasswordNotAcceptedError,
    PhoneState,
)
from custom_components.grandstream_gxp.cti.envelope import parse_envelope
from gxp_simulator import SimulatedPhone
from tests.simulator.tls import self_signed_server_context

from .conftest import PASSWORD, api

# Set up as the README says, answering at once: these tests are about logins.
README_PHONE: dict[str, Any] = {"setup": "readme", "timing": "instant"}


@pytest.fixture(autouse=True)
def loopback(socket_enabled: None) -> None:
    """Let the tests reach the simulator on 127.0.0.1."""


@pytest.fixture
async def gxp2170() -> AsyncIterator[SimulatedPhone]:
    """Run a GXP2170: challenge-response login (c) by default."""
    async with SimulatedPhone.start(
        "GXP2170", password=PASSWORD, **README_PHONE
    ) as sim:
        yield sim


@pytest.fixture
async def gxp1165() -> AsyncIterator[SimulatedPhone]:
    """Run a GXP1165: plain form login (b), no `access` page."""
    async with SimulatedPhone.start(
        "GXP1165", password=PASSWORD, **README_PHONE
    ) as sim:
        yield sim


def _client(
    session: aiohttp.ClientSession, sim: SimulatedPhone, password: str = PASSWORD
) -> CtiClient:
    return CtiClient(session, sim.host, port=sim.port, password=password)


def _endpoints(sim: SimulatedPhone) -> list[str]:
    return [entry.path.rsplit("/", 1)[-1] for entry in sim.phone.requests]


@pytest.mark.parametrize(
    ("model", "logins"),
    [("GXP2170", ["access", "dologin"]), ("GXP1165", ["access", "dologin"])],
)
async def test_session_keeps_cookies_out_of_the_shared_jar(
    model: str, logins: list[str]
) -> None:
    """Both variants log in; the injected session's cookie jar stays empty.

    The jar is `unsafe` so that it would take cookies from 127.0.0.1, as Home
    Assistant's shared session takes them from a phone with a host name.
    """
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session,
        SimulatedPhone.start(model, password=PASSWORD, **README_PHONE) as sim,
    ):
        client = _client(session, sim)
        async with client.session() as web:
            await web.set_values({"P8310": "http://ha/x"})
            assert web.firmware == sim.phone.profile.firmware
            assert web.mac == sim.phone.mac.lower()
        info = await client.identify(login=True)
        assert info.mac is not None
        assert len(session.cookie_jar) == 0
        assert _endpoints(sim)[:2] == logins
        assert sim.phone.auth.sessions == {}


async def test_wrong_password_costs_one_attempt_on_each_variant(
    session: aiohttp.ClientSession,
    gxp2170: SimulatedPhone,
    gxp1165: SimulatedPhone,
) -> None:
    """Variant detection never spends a login: exactly one failure per try."""
    for sim in (gxp2170, gxp1165):
        with pytest.raises(CtiAuthError) as caught:
            async with _client(session, sim, "wrong").session():
                pytest.fail("no session expected")  # pragma: no cover
        assert not caught.value.locked
        assert sim.phone.auth.failures == 1
        assert _endpoints(sim) == ["access", "dologin"]


async def test_locked_at_access(
    session: aiohttp.ClientSession, gxp2170: SimulatedPhone
) -> None:
    """A phone locked before the login answers `locked` to `access`: no dologin."""
    gxp2170.phone.auth.locked_until = gxp2170.phone.clock.now() + 120
    with pytest.raises(CtiAuthError) as caught:
        async with _client(session, gxp2170).session():
            pytest.fail("no session expected")  # pragma: no cover
    assert caught.value.locked
    assert caught.value.lock_minutes == 2
    assert _endpoints(gxp2170) == ["access"]


async def test_values_fall_back_to_config_api(
    session: aiohttp.ClientSession, gxp2170: SimulatedPhone
) -> None:
    """Without api.values (404) reads and writes go through config_get/update."""
    gxp2170.phone.settings.web_values_api = "config"
    async with _client(session, gxp2170).session() as web:
        await web.set_values({"P1561": "1", "P8310": "http://ha/x?e=in"})
        assert await web.get_values(["P1561", "P8310", "P99999"]) == {
            "P1561": "1",
            "P8310": "http://ha/x?e=in",
            "P99999": "",
        }
    assert gxp2170.phone.settings.click_to_dial is True
    endpoints = _endpoints(gxp2170)
    assert endpoints.count("api.values.post") == 1  # learnt once, then config_*
    assert endpoints.count("api.values.get") == 0
    assert "config_update" in endpoints and "config_get" in endpoints


async def test_passcode_refused_by_firmware_is_not_a_wrong_password(
    session: aiohttp.ClientSession, gxp2170: SimulatedPhone
) -> None:
    """HTTP 401 HTML to the passcode: its own error, not CtiAuthError [CAP S8; N1]."""
    gxp2170.phone.settings.passcode_accepted = False
    with pytest.raises(CtiPasswordNotAcceptedError) as caught:
        await _client(session, gxp2170).get_line_status()
    assert not isinstance(caught.value, CtiAuthError)


def test_unauthorized_inside_success_is_a_wrong_password() -> None:
    """N1 checks the body without looking at `response` [VENDOR-CODE N1]."""
    data = b'{"response":"success","body":"unauthorized"}'
    with pytest.raises(CtiAuthError):
        parse_envelope("api-get_phone_status", 200, data)
    with pytest.raises(CtiAuthError):
        parse_envelope("api-get_phone_status", 401, b'{"body":"unauthorized"}')
    with pytest.raises(CtiPasswordNotAcceptedError):
        parse_envelope("api-get_phone_status", 401, b"<html>401</html>")


async def test_unavailable_phone_status(
    session: aiohttp.ClientSession, mock: aioresponses
) -> None:
    """`unavailable`: logged in, no registered account [VENDOR-CODE N1]."""
    mock.get(
        api("api-get_phone_status"),
        payload={"response": "success", "body": "unavailable"},
    )
    status = await CtiClient(
        session, "phone.test", password=PASSWORD
    ).get_phone_status()
    assert status.status is PhoneState.UNAVAILABLE


async def test_probe_reports_the_https_redirect(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """An HTTPS-only phone's plain-HTTP port redirects [DOC S10 P1650; INF]."""
    context = self_signed_server_context(tmp_path)
    async with SimulatedPhone.start(
        "GRP2614",
        password=PASSWORD,
        ssl_context=context,
        redirect_port=True,
        **README_PHONE,
    ) as sim:
        assert sim.redirect_port is not None
        plain = CtiClient(session, sim.host, port=sim.redirect_port, password=PASSWORD)
        info = await plain.identify_without_password()
        assert info.https_redirect is True
        assert info.model is not None and info.model.value == "GRP2614"
        secure = CtiClient(
            session, sim.host, port=sim.port, https=True, password=PASSWORD
        )
        assert (await secure.identify_without_password()).https_redirect is False
