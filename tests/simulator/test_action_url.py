"""Action URLs: substituted GETs arrive at a local receiver; the GXP1165 sends none."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest

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
    """A raw TCP server that records the request lines exactly as they arrive.

    Raw, because an HTTP server library would reject or normalise the phone's
    verbatim request lines (raw spaces) before a test could see them.
    """

    base_url: str = ""
    lines: list[bytes] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def targets(self) -> list[str]:
        """Request targets received, in order, as sent (decoded as UTF-8)."""
        return [
            line.removeprefix(b"GET ").removesuffix(b" HTTP/1.1\r\n").decode()
            for line in self.lines
        ]

    def paths(self) -> list[str]:
        """Paths received, in order."""
        return [target.partition("?")[0] for target in self.targets]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """Run the receiver on 127.0.0.1, any port."""
    rec = Receiver()

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        rec.lines.append(await reader.readline())
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()
        rec.arrived.set()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    rec.base_url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    yield rec
    server.close()
    await server.wait_closed()


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


def test_render_is_verbatim_by_default() -> None:
    """Values go in raw: spaces, `&`, `#`, `+` [CODE N2]; longer names win; bare host gets http."""
    url = render(
        "10.0.0.1/x?r=$remote&d=$display_remote&m=$mac&z=$nope",
        {"remote": "+1 555&x#", "display_remote": "Bob Ä", "mac": "000B82"},
    )
    assert url == "http://10.0.0.1/x?r=+1 555&x#&d=Bob Ä&m=000b82&z=$nope"
    assert render("https://h/$local", {}) == "https://h/"


def test_render_percent_encoding_phone() -> None:
    """action_url_encoding "percent": a phone that encodes its values [INF]."""
    url = render(
        "10.0.0.1/x?r=$remote&d=$display_remote",
        {"remote": "+1 555&x#", "display_remote": "Bob Ä"},
        encoding="percent",
    )
    assert url == "http://10.0.0.1/x?r=%2B1%20555%26x%23&d=Bob%20%C3%84"


def test_render_unfilled_variables_stay_literal() -> None:
    """A variable the firmware does not fill arrives as `$name` [CODE N2; CAP N4]."""
    template = "h/?n=$display_remote&r=$remote&c=$call-id"
    values = {"remote": "", "display_remote": ""}
    assert (
        render(template, values, literal_when_empty=["display_remote"])
        == "http://h/?n=$display_remote&r=&c=$call-id"
    )
    values["display_remote"] = "Alice"
    assert (
        render(template, values, literal_when_empty=["display_remote"])
        == "http://h/?n=Alice&r=&c=$call-id"
    )


@pytest.mark.parametrize(
    ("notation", "upper", "expected"),
    [
        ("plain", False, "000b82abcdef"),
        ("colons", True, "00:0B:82:AB:CD:EF"),
        ("dashes", False, "00-0b-82-ab-cd-ef"),
        ("plain", True, "000B82ABCDEF"),
    ],
)
def test_mac_notations(notation: str, upper: bool, expected: str) -> None:
    """The MAC arrives with colons, dashes or none [CODE N2]."""
    url = render(
        "h/?m=$mac",
        {"mac": "00:0b:82:AB:cd:ef"},
        mac_notation=notation,
        mac_upper=upper,
    )
    assert url == f"http://h/?m={expected}"


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
    # The exact bytes a phone puts on the wire: nothing encoded [CODE N2].
    assert receiver.lines[2] == (
        b"GET /incoming_call?mac=000b82abcdef&remote=+15555550100&name=Alice & Co"
        b"&local=1001&dl=Desk 1001&user=1001&ip=127.0.0.1&product=GXP2170"
        b"&fw=1.0.11.16&hw=V1.2A&lang=English HTTP/1.1\r\n"
    )
    assert "remote=&" in receiver.targets[1]
    assert receiver.targets[5] == "/terminated?remote=+15555550100"


async def test_no_name_and_other_settings_on_the_wire(receiver: Receiver) -> None:
    """No caller name: literal $display_remote; MAC notation and encoding are settings."""
    template = f"{receiver.base_url}/in?n=$display_remote&m=$mac&r=$remote"
    async with SimulatedPhone.start(
        model="GXP2170",
        mac="00:0B:82:AB:CD:EF",
        action_urls={"incoming_call": template},
    ) as sim:
        phone = sim.phone
        phone.incoming_call("+1 555 #1")
        await phone.wait_for(lambda p: len(p.action_urls.sent) == 1)
        phone.far_end_hangup(1)
        phone.settings.update(
            action_url_encoding="percent", mac_notation="dashes", mac_upper=True
        )
        phone.incoming_call("+1 555 #1", "Bob")
        await phone.wait_for(lambda p: len(p.action_urls.sent) == 2)
    assert receiver.lines == [
        b"GET /in?n=$display_remote&m=000b82abcdef&r=+1 555 #1 HTTP/1.1\r\n",
        b"GET /in?n=Bob&m=00-0B-82-AB-CD-EF&r=%2B1%20555%20%231 HTTP/1.1\r\n",
    ]


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
    assert receiver.lines == []


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
