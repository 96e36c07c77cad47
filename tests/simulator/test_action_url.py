"""Action URLs: substituted GETs arrive at a local receiver; the GXP1165 sends none."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
import pytest
from yarl import URL

from gxp_simulator import FarEnd, SimulatedPhone
from gxp_simulator.action_url import (
    ALL_EVENTS,
    EVENT_PVALUES,
    GRP261X_EVENTS,
    event_name,
    render,
)

from .conftest import CONFIGURED, Cti


@dataclass
class Receiver:
    """A tiny HTTP server that records the GETs it receives."""

    base_url: str = ""
    seen: list[URL] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def paths(self) -> list[str]:
        """Paths received, in order."""
        return [url.path for url in self.seen]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """Run the receiver on 127.0.0.1, any port."""
    rec = Receiver()

    async def handle(request: web.Request) -> web.Response:
        rec.seen.append(request.rel_url)
        rec.arrived.set()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rec.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield rec
    await runner.cleanup()


def test_event_table() -> None:
    """Names and P-values both work; GRP261x has the shorter list [DOC S10]."""
    assert EVENT_PVALUES["incoming_call"] == "P8310"
    assert event_name("P22171") == "answered_call"
    assert event_name("p8310") == "incoming_call"
    assert event_name("hold_call") == "hold_call"
    with pytest.raises(ValueError, match="unknown Action URL event"):
        event_name("P1")
    assert "idle_to_busy" not in GRP261X_EVENTS
    assert "rejected_call" not in GRP261X_EVENTS
    assert {
        "incoming_call",
        "hold_call",
        "unhold_call",
        "attended_transfer",
    } <= GRP261X_EVENTS
    assert GRP261X_EVENTS < ALL_EVENTS


def test_render_encodes_and_adds_scheme() -> None:
    """Values are URL-encoded; longer names win; unknown $names stay; bare host gets http."""
    url = render(
        "10.0.0.1/x?r=$remote&d=$display_remote&m=$mac&z=$nope",
        {"remote": "+1 555&x", "display_remote": "Bob Ä", "mac": "000b82"},
    )
    assert url == "http://10.0.0.1/x?r=%2B1%20555%26x&d=Bob%20%C3%84&m=000b82&z=$nope"
    assert render("https://h/$local", {}) == "https://h/"


async def test_gxp2170_sends_substituted_gets(
    http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    """Boot, incoming, answered, hold, terminated: one GET each with the variables."""
    template = (
        f"{receiver.base_url}/$EVENT?mac=$mac&remote=$remote&name=$display_remote"
        "&local=$local&dl=$display_local&user=$active_user&ip=$phone_ip"
        "&product=$product&fw=$program_version&hw=$hardware_version&lang=$language"
    )
    events = [
        "setup_completed",
        "registered",
        "incoming_call",
        "answered_call",
        "hold_call",
    ]
    urls = {event: template.replace("$EVENT", event) for event in events}
    urls["P8314"] = f"{receiver.base_url}/terminated?remote=$remote"
    async with SimulatedPhone.start(
        model="GXP2170", mac="00:0B:82:AB:CD:EF", action_urls=urls, **CONFIGURED
    ) as sim:
        phone = sim.phone
        await phone.wait_for(lambda p: len(p.action_urls.sent) == 2)
        phone.incoming_call("+15555550100", "Alice & Co")
        await Cti(http, sim).keys("LINE1:HOLD")
        phone.far_end_hangup(1)
        await phone.wait_for(lambda p: len(p.action_urls.sent) == 6)
    assert receiver.paths() == [
        "/setup_completed",
        "/registered",
        "/incoming_call",
        "/answered_call",
        "/hold_call",
        "/terminated",
    ]
    incoming = receiver.seen[2].query
    assert dict(incoming) == {
        "mac": "000b82abcdef",
        "remote": "+15555550100",
        "name": "Alice & Co",
        "local": "1001",
        "dl": "Desk 1001",
        "user": "1001",
        "ip": "127.0.0.1",
        "product": "GXP2170",
        "fw": "1.0.11.16",
        "hw": "V1.2A",
        "lang": "English",
    }
    assert "remote=%2B15555550100" in receiver.seen[2].raw_query_string
    assert receiver.seen[1].query["remote"] == ""
    assert receiver.seen[5].query["remote"] == "+15555550100"


async def test_transfer_events(http: aiohttp.ClientSession, receiver: Receiver) -> None:
    """Blind transfer emits blind_transfer then transfer_finished."""
    urls = {
        name: f"{receiver.base_url}/{name}?to=$remote"
        for name in ("blind_transfer", "transfer_finished", "attended_transfer")
    }
    async with SimulatedPhone.start(
        model="GXP2170", action_urls=urls, **CONFIGURED
    ) as sim:
        sim.phone.incoming_call("1002")
        await Cti(http, sim).keys("OFFHOOK:XFER:1:0:0:3:#")
        await sim.phone.wait_for(lambda p: len(p.action_urls.sent) == 2)
    assert receiver.paths() == ["/blind_transfer", "/transfer_finished"]


async def test_grp2614_skips_events_it_lacks(
    http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    """GRP261x has no idle_to_busy slot, so nothing is sent for it."""
    urls = {
        "idle_to_busy": f"{receiver.base_url}/busy",
        "incoming_call": f"{receiver.base_url}/incoming",
    }
    async with SimulatedPhone.start(
        model="GRP2614", action_urls=urls, **CONFIGURED
    ) as sim:
        sim.phone.incoming_call("1002")
        await sim.phone.wait_for(lambda p: len(p.action_urls.sent) == 1)
    assert receiver.paths() == ["/incoming"]


async def test_gxp1165_sends_nothing(receiver: Receiver) -> None:
    """No Action URL settings on the GXP116x [DOC S10]."""
    urls = {name: f"{receiver.base_url}/{name}" for name in ALL_EVENTS}
    async with SimulatedPhone.start(
        model="GXP1165", action_urls=urls, **CONFIGURED
    ) as sim:
        sim.phone.far_ends.default = FarEnd(answer_after=0)
        sim.phone.incoming_call("1002")
        sim.phone.phone_operation("acceptcall")
        sim.phone.far_end_hangup(1)
        await sim.phone.wait_for_lines("idle")
        assert sim.phone.events  # events happened, only no URLs
    assert receiver.seen == []


async def test_sending_failures_are_ignored() -> None:
    """An unreachable receiver is recorded as an error and the phone carries on."""
    async with SimulatedPhone.start(
        model="GXP2170",
        action_urls={
            "incoming_call": "http://127.0.0.1:9/down",
            "missed_call": "http://127.0.0.1:1:bad/",
        },
        **CONFIGURED,
    ) as sim:
        sim.phone.incoming_call("1002")
        sim.phone.far_end_hangup(1)
        await sim.phone.wait_for(lambda p: len(p.action_urls.sent) == 2)
        first, second = sim.phone.action_urls.sent
        assert first.status is None and first.error
        assert second.status is None and second.error
        assert sim.phone.line_states()[0] == "idle"
