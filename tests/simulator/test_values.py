"""api.values.get / api.values.post / dologout: the settings a web session may read and write."""

import asyncio
from typing import Any

import aiohttp
from aiohttp import web

from gxp_simulator import SimulatedPhone

from .conftest import web_headers, web_login


async def _login(http: aiohttp.ClientSession, sim: SimulatedPhone) -> str:
    answer, _ = await web_login(http, sim)
    assert answer["response"] == "success"
    sid: str = answer["body"]["sid"]
    return sid


async def _post(
    http: aiohttp.ClientSession, sim: SimulatedPhone, endpoint: str, **form: str
) -> Any:
    async with http.post(
        sim.url(endpoint), data=form, headers=web_headers(sim)
    ) as response:
        assert response.status == 200
        return await response.json(content_type=None)


async def test_write_then_read(
    http: aiohttp.ClientSession, gxp2170: SimulatedPhone
) -> None:
    """A written slot reads back; unknown P-values and empty slots read as ""."""
    sid = await _login(http, gxp2170)
    answer = await _post(
        http, gxp2170, "api.values.post", sid=sid, P8310="http://x/in", P99999="z"
    )
    assert answer == {"response": "success", "body": "ok"}
    assert gxp2170.phone.settings.action_urls == {"incoming_call": "http://x/in"}
    async with http.get(
        gxp2170.url("api.values.get"),
        params={"request": "P8310:P8311:P99999:phone_model", "sid": sid},
    ) as response:
        answer = await response.json(content_type=None)
    assert answer == {
        "response": "success",
        "body": {"P8310": "http://x/in", "P8311": "", "P99999": "", "phone_model": ""},
    }
    # An empty value clears the slot; the sid may also come as a cookie.
    await _post(http, gxp2170, "api.values.post", sid=sid, P8310="")
    async with http.post(
        gxp2170.url("api.values.get"),
        data={"request": "P8310"},
        cookies={"session-identity": sid},
    ) as response:
        answer = await response.json(content_type=None)
    assert answer["body"] == {"P8310": ""}


async def test_session_expired(
    http: aiohttp.ClientSession, gxp2170: SimulatedPhone
) -> None:
    """Without a live sid both answer session-expired, and nothing is written [CODE S18]."""
    expired = {"response": "error", "body": {"status": "session-expired"}}
    assert await _post(http, gxp2170, "api.values.post", P8310="x") == expired
    assert (
        await _post(http, gxp2170, "api.values.get", sid="nope", request="P8310")
        == expired
    )
    sid = await _login(http, gxp2170)
    assert await _post(http, gxp2170, "dologout", sid=sid) == {
        "response": "success",
        "body": "ok",
    }
    assert await _post(http, gxp2170, "api.values.post", sid=sid, P8310="x") == expired
    assert gxp2170.phone.settings.action_urls == {}


async def test_gxp1165_has_no_slots(
    http: aiohttp.ClientSession, sim: SimulatedPhone
) -> None:
    """The GXP1165 has no Action URL settings: writes are dropped, reads are ""."""
    sid = await _login(http, sim)
    await _post(http, sim, "api.values.post", sid=sid, P8310="http://x/in")
    answer = await _post(http, sim, "api.values.get", sid=sid, request="P8310")
    assert answer["body"] == {"P8310": ""}
    assert sim.phone.settings.action_urls == {}


async def test_written_slot_sends_events(
    http: aiohttp.ClientSession, gxp2170: SimulatedPhone
) -> None:
    """After a write the phone sends that event to the URL with its variables."""
    seen: list[str] = []
    arrived = asyncio.Event()

    async def handle(request: web.Request) -> web.Response:
        seen.append(request.query_string)
        arrived.set()
        return web.Response()

    app = web.Application()
    app.router.add_get("/hook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook?e=incoming&r=$remote"
        sid = await _login(http, gxp2170)
        await _post(http, gxp2170, "api.values.post", sid=sid, P8310=url)
        gxp2170.phone.incoming_call("1002", "Bob")
        await asyncio.wait_for(arrived.wait(), 5)
    finally:
        await runner.cleanup()
    assert seen == ["e=incoming&r=1002"]
