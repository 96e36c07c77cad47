"""A firmware upgrade: the phone reboots into another version with more or fewer lines."""

import asyncio

import aiohttp
import pytest

from gxp_simulator import SimulatedPhone
from gxp_simulator.state import CallState

from .conftest import Cti


async def _back(sim: SimulatedPhone) -> None:
    await sim.phone.wait_for(lambda p: p.upgrades == 1 and not p.down)


async def test_upgrade_to_more_lines(cti2170: Cti) -> None:
    """16 lines after the reboot; LINE16 becomes a key; the new version is announced."""
    sim = cti2170.sim
    sim.phone.settings.update(reboot_time=0.05)
    sim.phone.incoming_call("1001", "Alice")
    await cti2170.op("acceptcall")
    assert (await cti2170.keys("LINE16"))["body"] == "unknown"

    profile = sim.phone.upgrade_firmware(lines=16, firmware="1.0.11.20")
    assert (profile.lines, profile.firmware) == (16, "1.0.11.20")
    await sim.phone.wait_for(lambda p: p.down)
    with pytest.raises(aiohttp.ClientConnectorError):
        await cti2170.lines()
    await _back(sim)

    assert await cti2170.lines() == ["idle"] * 16  # the reboot dropped the call
    _, _, headers = await cti2170.request("api-get_line_status")
    assert headers["Server"] == "Grandstream GXP2170 1.0.11.20"
    assert (await cti2170.keys("LINE16"))["body"] == "complete"
    assert sim.phone.profile.model == "GXP2170"
    assert sim.phone.reboots == 1


async def test_upgrade_to_fewer_lines(cti2170: Cti) -> None:
    """2 lines: the others are gone from the status and from the keys."""
    sim = cti2170.sim
    sim.phone.settings.update(reboot_time=0.05)
    accounts = await cti2170.json("api-get_accounts")

    sim.phone.upgrade_firmware(lines=2)
    await _back(sim)

    assert await cti2170.lines() == ["idle", "idle"]
    assert (await cti2170.keys("LINE3"))["body"] == "unknown"
    # Settings survive an upgrade: same accounts, same firmware string when not given.
    assert await cti2170.json("api-get_accounts") == accounts
    assert sim.phone.profile.firmware == "1.0.11.16"
    # Calls still work on the lines that remain; a third call finds no line.
    assert sim.phone.incoming_call("1001") == 1
    assert sim.phone.incoming_call("1002") == 2
    assert sim.phone.incoming_call("1003") is None


async def test_upgrade_through_the_control_api(cti2170: Cti) -> None:
    """POST /_sim/firmware; the state shows the new version; bad values are refused."""
    sim = cti2170.sim
    sim.phone.settings.update(reboot_time=0.05)
    answer = await cti2170.control("firmware", {"lines": 3, "firmware": "1.0.12.1"})
    assert answer == {"lines": 3, "firmware": "1.0.12.1"}
    await _back(sim)
    state = await cti2170.control("state")
    assert state["firmware"] == "1.0.12.1"
    assert state["upgrades"] == 1
    assert len(state["lines"]) == 3

    for bad in ({"lines": 0}, {"lines": 17}, {"lines": True}, {"lines": "4"}):
        assert "error" in await cti2170.control("firmware", bad), bad
    assert "error" in await cti2170.control("firmware", {"firmware": " "})
    assert "error" in await cti2170.control("firmware", {"model": "GXP1165"})
    assert sim.phone.upgrades == 1


async def test_request_log_counts_overlapping_requests(cti2170: Cti) -> None:
    """`max_in_flight` shows whether a client ever had two requests open at once."""
    sim = cti2170.sim
    sim.phone.requests.clear()
    await cti2170.lines()
    await cti2170.lines()
    assert sim.phone.requests.max_in_flight == 1
    sim.phone.set_faults(latency=0.05, times=2)
    await asyncio.gather(cti2170.lines(), cti2170.lines())
    assert sim.phone.requests.max_in_flight == 2
    assert sim.phone.requests.in_flight == 0
    sim.phone.requests.clear()
    assert sim.phone.requests.max_in_flight == 0


def test_a_phone_keeps_at_least_one_line() -> None:
    """The state machine refuses a firmware without lines."""
    state = CallState(2)
    with pytest.raises(ValueError, match="at least one line"):
        state.reset(0)
    state.reset(3)
    assert [line.number for line in state.lines] == [1, 2, 3]
