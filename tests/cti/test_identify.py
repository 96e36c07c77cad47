"""Device identification: Server header, the optional single login, sources."""

import hashlib
from typing import Any

import aiohttp
from aioresponses import aioresponses
import pytest

from custom_components.grandstream_gxp.cti import (
    CtiAuthError,
    CtiClient,
    CtiResponseError,
    Family,
    InfoSource,
    Sourced,
)

from .conftest import PASSWORD, ExpectError, api, requests_sent

LINES = {
    "response": "success",
    "body": [
        {"line": 1, "state": "idle", "acct": "", "active": 0},
        {"line": 2, "state": "idle", "acct": "", "active": 0},
    ],
}
LOGIN_OK = {
    "response": "success",
    "body": {
        "sid": "0123abcd",
        "role": "f00d",
        "ver": "1.0.3.35",
        "mac": "00:0B:82:12:34:56",
        "defaultAuth": False,
    },
}


def lines(mock: aioresponses, server: str | None) -> None:
    """Answer the line status with an optional Server header."""
    headers = {"Server": server} if server is not None else None
    mock.get(api("api-get_line_status"), payload=LINES, headers=headers)


def no_access(mock: aioresponses) -> None:
    """Answer `access` with 404: a phone with the plain login (variant b)."""
    mock.post(api("access"), status=404, body="<html>404</html>")


ACCESS = ("POST", "/cgi-bin/access")


def methods_and_paths(mock: aioresponses) -> list[tuple[str, str]]:
    """Return (method, path) of every request, by first URL seen."""
    return [(method, url.path) for method, url, _ in requests_sent(mock)]


@pytest.mark.parametrize(
    ("server", "model", "firmware", "family"),
    [
        ("Grandstream GXP1165", "GXP1165", None, Family.GXP116X),
        ("Grandstream GXP2170 1.0.11.16", "GXP2170", "1.0.11.16", Family.GXP21XX),
        ("Grandstream GRP2612P", "GRP2612P", None, Family.GRP26XX),
        ("lighttpd/1.4.35", None, None, Family.GENERIC),
        (None, None, None, Family.GENERIC),
    ],
)
async def test_identify_from_server_header(
    client: CtiClient,
    mock: aioresponses,
    *,
    server: str | None,
    model: str | None,
    firmware: str | None,
    family: Family,
) -> None:
    """Model and firmware come from the Server header, nothing is guessed."""
    lines(mock, server)
    info = await client.identify()
    assert info.model == (
        Sourced(value=model, source=InfoSource.SERVER_HEADER) if model else None
    )
    assert info.firmware == (
        Sourced(value=firmware, source=InfoSource.SERVER_HEADER) if firmware else None
    )
    assert info.mac is None
    assert info.line_count == 2
    assert info.server_header == server
    assert info.family is family
    assert methods_and_paths(mock) == [("GET", "/cgi-bin/api-get_line_status")]


async def test_identify_with_login(client: CtiClient, mock: aioresponses) -> None:
    """One login adds MAC and firmware from its answer, then the session ends."""
    lines(mock, "Grandstream GXP2170 1.0.11.16")
    no_access(mock)
    mock.post(api("dologin"), payload=LOGIN_OK, content_type="text/plain")
    mock.post(api("dologout"), payload={"response": "success", "body": "complete"})
    info = await client.identify(login=True)
    assert info.mac == Sourced(value="00:0b:82:12:34:56", source=InfoSource.LOGIN)
    assert info.firmware == Sourced(value="1.0.3.35", source=InfoSource.LOGIN)
    assert info.model == Sourced(value="GXP2170", source=InfoSource.SERVER_HEADER)
    assert methods_and_paths(mock) == [
        ("GET", "/cgi-bin/api-get_line_status"),
        ACCESS,
        ("POST", "/cgi-bin/dologin"),
        ("POST", "/cgi-bin/dologout"),
    ]
    _, _, access = requests_sent(mock)[1]
    assert access["data"] == {"access": hashlib.sha256(b"admin").hexdigest()}
    _, login_url, login = requests_sent(mock)[2]
    assert login_url.query == {}
    assert login["data"] == {"username": "admin", "password": PASSWORD}
    assert login["headers"]["Origin"] == "http://phone.test"
    assert login["headers"]["Referer"] == "http://phone.test/"
    assert login["headers"]["X-Requested-With"] == "XMLHttpRequest"
    _, _, logout = requests_sent(mock)[3]
    assert logout["data"] == {"sid": "0123abcd"}


async def test_identify_with_challenge_login(
    client: CtiClient, mock: aioresponses
) -> None:
    """Variant c: the nonce from `access`, then sha256(password + nonce) [CAP S8]."""
    lines(mock, "Grandstream GXP2170 1.0.11.16")
    mock.post(api("access"), payload={"response": "success", "body": "n0nce"})
    mock.post(api("dologin"), payload=LOGIN_OK)
    mock.post(api("dologout"), payload={"response": "success", "body": "ok"})
    info = await client.identify(login=True)
    assert info.firmware == Sourced(value="1.0.3.35", source=InfoSource.LOGIN)
    _, _, login = requests_sent(mock)[2]
    hashed = hashlib.sha256(f"{PASSWORD}n0nce".encode()).hexdigest()
    assert login["data"] == {"username": "admin", "password": hashed}


@pytest.mark.parametrize(
    "login",
    [
        {"payload": {"response": "error", "body": "wrong4"}},
        {"payload": {"response": "error", "body": "user is not allow"}},
        {"payload": {"response": "error", "body": "unauthorized"}},
        {"status": 401, "body": "<html>401</html>"},
        {"status": 403, "body": "<html>403</html>"},
        {"status": 404, "body": "<html>404</html>"},
        {"body": "<html>login page</html>"},
        {"exception": aiohttp.ServerDisconnectedError()},
        {"exception": TimeoutError()},
    ],
)
async def test_failed_login_returns_what_is_known(
    client: CtiClient, mock: aioresponses, login: dict[str, Any]
) -> None:
    """A failed login does not raise and is never retried."""
    lines(mock, "Grandstream GXP1165")
    no_access(mock)
    mock.post(api("dologin"), repeat=True, **login)
    info = await client.identify(login=True)
    assert info.model == Sourced(value="GXP1165", source=InfoSource.SERVER_HEADER)
    assert info.mac is None
    assert info.firmware is None
    assert methods_and_paths(mock) == [
        ("GET", "/cgi-bin/api-get_line_status"),
        ACCESS,
        ("POST", "/cgi-bin/dologin"),
    ]
    assert len(requests_sent(mock)) == 3


async def test_locked_login_raises(
    client: CtiClient, mock: aioresponses, expect_error: ExpectError
) -> None:
    """A lockout answer to the login raises CtiAuthError(locked=True)."""
    lines(mock, "Grandstream GXP2170")
    no_access(mock)
    mock.post(
        api("dologin"),
        payload={"response": "error", "body": "locked", "lockTime": 5},
        repeat=True,
    )
    err = await expect_error(CtiAuthError, client.identify(login=True))
    assert err.locked is True
    assert err.lock_minutes == 5
    assert len(requests_sent(mock)) == 3


@pytest.mark.parametrize(
    ("body", "mac", "firmware"),
    [
        ({"mac": "000B82ABCDEF", "ver": " 1.0.8.9 "}, "00:0b:82:ab:cd:ef", "1.0.8.9"),
        ({"mac": "EC-74-D7-01-02-03"}, "ec:74:d7:01:02:03", "1.0.11.16"),
        ({"mac": "zz:0b:82:12:34:56", "ver": ""}, None, "1.0.11.16"),
        ({"mac": 12, "ver": 5}, None, "1.0.11.16"),
        ("complete", None, "1.0.11.16"),
    ],
)
async def test_login_answer_variations(
    client: CtiClient,
    mock: aioresponses,
    body: object,
    mac: str | None,
    firmware: str,
) -> None:
    """Odd login answers give None for what they do not carry; no sid, no logout."""
    lines(mock, "Grandstream GXP2170 1.0.11.16")
    no_access(mock)
    mock.post(api("dologin"), payload={"response": "success", "body": body})
    info = await client.identify(login=True)
    assert info.mac == (Sourced(value=mac, source=InfoSource.LOGIN) if mac else None)
    assert info.firmware is not None
    assert info.firmware.value == firmware
    expected = InfoSource.LOGIN if firmware == "1.0.8.9" else InfoSource.SERVER_HEADER
    assert info.firmware.source is expected
    assert ("POST", "/cgi-bin/dologout") not in methods_and_paths(mock)


async def test_logout_failure_is_ignored(client: CtiClient, mock: aioresponses) -> None:
    """A failing logout does not spoil the identification."""
    lines(mock, None)
    no_access(mock)
    mock.post(api("dologin"), payload=LOGIN_OK)
    mock.post(api("dologout"), exception=aiohttp.ServerDisconnectedError())
    info = await client.identify(login=True)
    assert info.mac is not None
    assert info.model is None


async def test_identify_auth_failure_skips_login(
    client: CtiClient, mock: aioresponses, expect_error: ExpectError
) -> None:
    """A wrong password stops identification before any login."""
    mock.get(
        api("api-get_line_status"),
        payload={"response": "error", "body": "unauthorized"},
    )
    await expect_error(CtiAuthError, client.identify(login=True))
    assert methods_and_paths(mock) == [("GET", "/cgi-bin/api-get_line_status")]


@pytest.mark.parametrize(
    "send_key_answer",
    [
        {"response": "error", "body": "unknown"},
        {"response": "success", "body": "complete"},
    ],
)
async def test_identify_keys_only_phone(
    client: CtiClient, mock: aioresponses, send_key_answer: dict[str, Any]
) -> None:
    """No line status (404), the passcode taken by send_key with no key: keys-only."""
    mock.get(api("api-get_line_status"), status=404, body="<html>404</html>")
    mock.get(
        api("api-send_key"),
        payload=send_key_answer,
        headers={"Server": "Grandstream GXP1165"},
    )
    info = await client.identify()
    assert info.keys_only is True
    assert info.line_count is None
    assert info.model == Sourced(value="GXP1165", source=InfoSource.SERVER_HEADER)
    (_, _, _), (_, url, _) = requests_sent(mock)
    assert url.query["keys"] == ""


@pytest.mark.parametrize(
    ("send_key", "error"),
    [
        ({"payload": {"response": "error", "body": "unauthorized"}}, CtiAuthError),
        ({"status": 404, "body": "<html>404</html>"}, CtiResponseError),
    ],
)
async def test_identify_keys_only_refused(
    client: CtiClient,
    mock: aioresponses,
    expect_error: ExpectError,
    send_key: dict[str, Any],
    error: type[Exception],
) -> None:
    """A wrong passcode is a wrong passcode; no send_key either is no phone to drive."""
    mock.get(api("api-get_line_status"), status=404, body="<html>404</html>")
    mock.get(api("api-send_key"), **send_key)
    await expect_error(error, client.identify())
