"""Action URLs filled in verbatim, as raw request lines, to a real Home Assistant.

A phone substitutes its `$variables` without encoding [CODE N2]: raw spaces, `&`,
`#`, a leading `+`, the literal `$name` of a variable it does not fill, the MAC in any
notation. Each URL the integration hands out (from the options dialog, where the owner
copies them) is filled that way with worst-case values and written byte for byte to
Home Assistant's socket: every one must arrive, and the call event must still name
the caller.
"""

from collections.abc import Awaitable
from dataclasses import dataclass
import itertools
import re
import time

import pytest

from gxp_simulator import SimulatedPhone
from scripts.dev_hass import HomeAssistantProcess
from scripts.raw_request import fill_verbatim, raw_get

from .conftest import LoopThread

pytestmark = pytest.mark.e2e

PASSWORD = "e2e-phone"  # noqa: S105 - the simulated phone's password
MODEL = "GXP2170"
WAIT = 15.0
# So long that only an Action URL explains a read within WAIT.
SCAN_INTERVAL = 3600
WORST_NUMBER = "+49 30 1234567"
WORST_NAME = "John Doe & Sons #2"
WORST_VALUES = {
    "$remote": WORST_NUMBER,
    "$display_remote": WORST_NAME,
    "$display_local": "Front Desk #1",
    # $local and $active_user stay literal: a firmware that does not fill them.
}
_URL_ITEM = re.compile(r"^- (.*) \((P\d+)\): `([^`]+)`$", re.MULTILINE)


@dataclass
class World:
    """The module's Home Assistant, phone and entry."""

    loop: LoopThread
    ha: HomeAssistantProcess
    sim: SimulatedPhone
    entry_id: str = ""

    def run[T](self, awaitable: Awaitable[T]) -> T:
        """Run a coroutine on the module's loop."""
        return self.loop.run(awaitable)

    def macs(self) -> tuple[str, ...]:
        """Return the phone's MAC as phones write it: colons, dashes, none, any case."""
        digits = re.sub(r"[^0-9a-fA-F]", "", self.sim.phone.mac).lower()
        colons = ":".join(digits[i : i + 2] for i in range(0, 12, 2))
        return (colons, colons.upper(), colons.replace(":", "-"), digits.upper())

    def reads(self) -> int:
        """Return how many line-status reads the phone answered."""
        return len(self.sim.phone.requests.for_endpoint("api-get_line_status"))


async def handed_out_urls(ha: HomeAssistantProcess, entry_id: str) -> list[str]:
    """Return every URL the options dialog shows, in its order."""
    flow = await ha.rest(
        "POST", "/api/config/config_entries/options/flow", {"handler": entry_id}
    )
    await ha.rest(
        "DELETE", f"/api/config/config_entries/options/flow/{flow['flow_id']}"
    )
    text = str(flow["description_placeholders"]["urls"])
    return [url for _, _, url in _URL_ITEM.findall(text)]


@pytest.fixture(scope="module")
def world(e2e_loop: LoopThread) -> World:
    """Start a GXP2170 (factory settings: no Action URLs stored) and Home Assistant."""
    sim = e2e_loop.enter(SimulatedPhone.start(MODEL, password=PASSWORD, setup="readme"))
    ha = e2e_loop.enter(HomeAssistantProcess(name="e2e-push", link=True))
    world = World(e2e_loop, ha, sim)
    entry = world.run(ha.add_phone(sim.port, PASSWORD))
    world.entry_id = entry["entry_id"]
    line_1 = world.run(ha.line_entity(world.entry_id, 1))
    since = time.monotonic()
    world.run(
        ha.set_options(
            world.entry_id,
            {
                "auto_attended_transfer": False,
                "swap_method": "auto",
                "scan_interval": SCAN_INTERVAL,
                "write_action_urls": False,
            },
        )
    )
    # Options reload the entry: wait until its line is back.
    world.run(ha.states.wait(line_1, lambda s: s == "unavailable", since, WAIT))
    assert world.run(ha.states.wait(line_1, lambda s: s == "idle", since, WAIT))
    return world


def test_urls_carry_nothing_a_phone_can_break(world: World) -> None:
    """Every URL has an IP address and only `e` and `$mac` (cti-api.md §12)."""
    urls = world.run(handed_out_urls(world.ha, world.entry_id))
    assert len(urls) == 15
    for url in urls:
        assert url.startswith(f"http://127.0.0.1:{world.ha.port}/api/webhook/")
        assert re.fullmatch(r".*\?e=[a-z_]+&m=\$mac", url), url


def test_incoming_call_names_the_caller(world: World) -> None:
    """A verbatim-filled Incoming URL: the event and the line name the caller."""
    urls = world.run(handed_out_urls(world.ha, world.entry_id))
    incoming = fill_verbatim(urls[0], {**WORST_VALUES, "$mac": world.macs()[1]})
    assert "?e=incoming&" in incoming
    entities = world.run(world.ha.entities_of(world.entry_id))
    call = next(e["entity_id"] for e in entities if e["entity_id"].startswith("event."))
    line_1 = world.run(world.ha.line_entity(world.entry_id, 1))

    world.loop.run(_ring(world.sim))
    since = time.monotonic()
    assert world.run(raw_get(world.ha.port, incoming)) == 200
    assert world.run(
        world.ha.states.wait(call, lambda s: s not in {None, "unknown"}, since, WAIT)
    )
    event = world.run(world.ha.rest("GET", f"/api/states/{call}"))["attributes"]
    assert (event["event_type"], event["remote_number"], event["remote_name"]) == (
        "incoming",
        WORST_NUMBER,
        WORST_NAME,
    )
    line = world.run(world.ha.rest("GET", f"/api/states/{line_1}"))
    assert line["state"] == "ringing"
    assert line["attributes"]["remote_name"] == WORST_NAME

    # The caller gives up; the Missed URL names the call that went away.
    world.loop.run(_hang_up(world.sim))
    missed = fill_verbatim(urls[4], {**WORST_VALUES, "$mac": world.macs()[2]})
    assert "?e=missed&" in missed
    since = time.monotonic()
    assert world.run(raw_get(world.ha.port, missed)) == 200
    assert world.run(world.ha.states.wait(line_1, lambda s: s == "idle", since, WAIT))
    assert world.run(
        world.ha.states.wait(call, lambda s: s not in {None, "unknown"}, since, WAIT)
    )
    event = world.run(world.ha.rest("GET", f"/api/states/{call}"))["attributes"]
    # missed or ended: how a give-up maps is the event mapping's business.
    assert event["event_type"] in {"missed", "ended"}
    assert event["remote_number"] == WORST_NUMBER


def test_every_url_arrives_in_any_mac_notation(world: World) -> None:
    """Each URL, filled verbatim, reaches the integration: its confirming read follows."""
    urls = world.run(handed_out_urls(world.ha, world.entry_id))
    for url, mac in zip(urls, itertools.cycle(world.macs()), strict=False):
        target = fill_verbatim(url, {**WORST_VALUES, "$mac": mac})
        assert world.run(_arrives(world, target)), target


def test_a_name_in_the_url_never_arrives(world: World) -> None:
    """Why the URLs carry no name: a raw space is a 400 before any handler runs."""
    urls = world.run(handed_out_urls(world.ha, world.entry_id))
    values = {**WORST_VALUES, "$mac": world.macs()[0]}
    old = fill_verbatim(f"{urls[0]}&r=$remote&n=$display_remote", values)
    before = world.reads()
    assert world.run(raw_get(world.ha.port, old)) == 400
    assert world.reads() == before


async def _ring(sim: SimulatedPhone) -> None:
    sim.phone.incoming_call(WORST_NUMBER, WORST_NAME)
    await sim.phone.wait_for_lines("ringing")


async def _hang_up(sim: SimulatedPhone) -> None:
    sim.phone.far_end_hangup(1)
    await sim.phone.wait_for_lines()


async def _arrives(world: World, target: str) -> bool:
    """Send `target` raw; whether it was answered 200 and its confirming read came."""
    before = world.reads()
    if await raw_get(world.ha.port, target) != 200:
        return False
    await world.sim.phone.wait_for(lambda _: world.reads() > before, WAIT)
    return True
