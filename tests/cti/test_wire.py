"""The client against a real HTTP server on 127.0.0.1: what the phone really receives."""

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
import hashlib
import socket
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.grandstream_gxp.cti import (
    CtiAuthError,
    CtiClient,
    CtiConnectionError,
    CtiTimeoutError,
    InfoSource,
    Sourced,
)

from .conftest import PASSWORD, ExpectError


@dataclass
class Seen:
    """What the fake phone received."""

    raw_paths: list[str] = field(default_factory=list)
    queries: list[dict[str, str]] = field(default_factory=list)
    forms: list[dict[str, str]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


GRANDSTREAM = {"Server": "Grandstream GXP2170 1.0.11.16"}


def _json(body: object, **extra: Any) -> web.Response:
    """Answer like a phone: JSON served as text/html."""
    payload = {"response": "success", "body": body, **extra}
    return web.json_response(payload, content_type="text/html", headers=GRANDSTREAM)


@pytest.fixture
async def phone(socket_enabled: None) -> AsyncGenerator[tuple[TestServer, Seen]]:
    """Run a minimal fake phone on 127.0.0.1 that records every request."""
    seen = Seen()

    async def handler(request: web.Request) -> web.Response:
        seen.raw_paths.append(request.raw_path)
        seen.queries.append(dict(request.query))
        seen.headers.append(dict(request.headers))
        if request.method == "POST":
            seen.forms.append({k: str(v) for k, v in (await request.post()).items()})
        name = request.match_info["name"]
        if request.method == "GET" and request.query.get("passcode") != PASSWORD:
            return web.json_response({"response": "error", "body": "unauthorized"})
        if name == "api-get_line_status":
            return _json([{"line": 1, "state": "idle", "acct": "", "active": 0}])
        if name == "access":  # a phone with the plain login (variant b)
            return web.Response(status=404, text="<html>404</html>")
        if name == "dologin":
            if seen.forms[-1].get("password") != PASSWORD:
                return web.json_response({"response": "error", "body": "wrong4"})
            return _json({"sid": "s1", "mac": "00:0B:82:AA:BB:CC", "ver": "1.0.11.16"})
        if name == "api-make_call":
            return _json(True)
        return _json("complete")

    app = web.Application()
    app.router.add_route("*", "/cgi-bin/{name}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield server, seen
    finally:
        await server.close()


def _client(
    session: aiohttp.ClientSession, server: TestServer, password: str = PASSWORD
) -> CtiClient:
    return CtiClient(session, "127.0.0.1", port=server.port, password=password)


async def test_password_and_keys_arrive_intact(
    session: aiohttp.ClientSession, phone: tuple[TestServer, Seen]
) -> None:
    """The phone decodes exactly the password; # travels as %23, colons stay."""
    server, seen = phone
    client = _client(session, server)
    await client.send_keys("XFER 1002#")
    assert seen.queries == [{"passcode": PASSWORD, "keys": "XFER:1:0:0:2:#"}]
    assert seen.raw_paths == [
        "/cgi-bin/api-send_key?passcode=a%26b%23c%25d%2Be%20f&keys=XFER:1:0:0:2:%23"
    ]


async def test_make_call_number_with_plus(
    session: aiohttp.ClientSession, phone: tuple[TestServer, Seen]
) -> None:
    """A + in the number travels as %2B and arrives as +."""
    server, seen = phone
    await _client(session, server).make_call("+49 30 1234#", account=1)
    assert seen.queries == [
        {"passcode": PASSWORD, "phonenumber": "+49 30 1234#", "account": "1"}
    ]
    assert "phonenumber=%2B49%2030%201234%23&account=1" in seen.raw_paths[0]


async def test_wrong_password_is_detected(
    session: aiohttp.ClientSession,
    phone: tuple[TestServer, Seen],
    expect_error: ExpectError,
) -> None:
    """A password that arrives changed would be refused: this one is not."""
    server, _ = phone
    await _client(session, server).get_line_status()
    await expect_error(
        CtiAuthError,
        _client(session, server, password="a&b").get_line_status(),  # noqa: S106
    )


async def test_identify_with_login_over_the_wire(
    session: aiohttp.ClientSession, phone: tuple[TestServer, Seen]
) -> None:
    """The login form carries the password intact and same-origin headers."""
    server, seen = phone
    info = await _client(session, server).identify(login=True)
    assert info.model == Sourced(value="GXP2170", source=InfoSource.SERVER_HEADER)
    assert info.firmware == Sourced(value="1.0.11.16", source=InfoSource.LOGIN)
    assert info.mac == Sourced(value="00:0b:82:aa:bb:cc", source=InfoSource.LOGIN)
    assert seen.forms[0] == {"access": hashlib.sha256(b"admin").hexdigest()}
    assert seen.forms[1] == {"username": "admin", "password": PASSWORD}
    assert seen.forms[2] == {"sid": "s1"}
    assert seen.headers[2]["Origin"] == f"http://127.0.0.1:{server.port}"
    assert all("passcode" not in path for path in seen.raw_paths[1:])


async def test_connection_refused(
    session: aiohttp.ClientSession, socket_enabled: None, expect_error: ExpectError
) -> None:
    """A closed port raises CtiConnectionError (not a timeout), without the password."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = CtiClient(session, "127.0.0.1", port=port, password=PASSWORD)
    err = await expect_error(CtiConnectionError, client.get_line_status())
    assert not isinstance(err, CtiTimeoutError)
    assert "cannot connect" in str(err)


@pytest.fixture
async def hang_up_server(socket_enabled: None) -> AsyncGenerator[int]:
    """Run a server that reads a request and closes the connection unanswered."""

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def test_reboot_with_dropped_connection(
    session: aiohttp.ClientSession, hang_up_server: int, expect_error: ExpectError
) -> None:
    """REBOOT followed by a dropped connection succeeds; a read does not."""
    client = CtiClient(session, "127.0.0.1", port=hang_up_server, password=PASSWORD)
    await client.reboot()
    await expect_error(CtiConnectionError, client.get_phone_status())
