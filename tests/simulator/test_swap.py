"""The GXP1165 swap worlds (call-control 6.4), each switchable, plus the GXP21xx line keys."""

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from gxp_simulator import FarEnd, SimulatedPhone

from .conftest import CONFIGURED, Cti


async def two_calls(http: aiohttp.ClientSession, **settings: Any) -> AsyncIterator[Cti]:
    """Run a GXP1165 with line 1 held and line 2 connected (P9)."""
    async with SimulatedPhone.start(
        model="GXP1165", no_key_entry_timeout=None, **settings, **CONFIGURED
    ) as sim:
        phone = sim.phone
        phone.far_ends.default = FarEnd(answer_after=None)
        phone.incoming_call("1002")
        phone.phone_operation("acceptcall")
        phone.incoming_call("1003")
        phone.phone_operation("acceptcall")
        assert phone.line_states() == ["onhold", "connected"]
        yield Cti(http, sim)


@pytest.fixture
async def default_world(http: aiohttp.ClientSession) -> AsyncIterator[Cti]:
    """Use factory settings: no line keys, no hold-key navigation."""
    async for cti in two_calls(http):
        yield cti


@pytest.fixture
async def line_key_world(http: aiohttp.ClientSession) -> AsyncIterator[Cti]:
    """Let LINEn select calls on the GXP1165 too."""
    async for cti in two_calls(http, line_keys_select_calls=True):
        yield cti


@pytest.fixture
async def hold_key_world(http: aiohttp.ClientSession) -> AsyncIterator[Cti]:
    """Let HOLD, UP/DOWN pick the call, HOLD or OK resume."""
    async for cti in two_calls(http, hold_key_navigation=True):
        yield cti


async def test_default_world_has_no_swap(default_world: Cti) -> None:
    """LINEn refused; HOLD/holdcall only toggle the focused call; XFER never swaps."""
    cti = default_world
    assert await cti.keys("LINE1") == {"response": "error", "body": "unknown"}
    await cti.keys("HOLD")
    assert await cti.lines() == ["onhold", "onhold"]
    await cti.keys("DOWN:OK")  # navigation is not modelled in this world
    await cti.keys("HOLD")
    assert await cti.lines() == ["onhold", "connected"]
    await cti.op("holdcall")
    await cti.op("holdcall")
    assert await cti.lines() == ["onhold", "connected"]


async def test_line_key_world_swaps(line_key_world: Cti) -> None:
    """LINE1 resumes the held call and holds the active one."""
    cti = line_key_world
    await cti.keys("LINE1")
    assert await cti.lines() == ["connected", "onhold"]
    await cti.keys("LINE2")
    assert await cti.lines() == ["onhold", "connected"]


@pytest.mark.parametrize("resume_key", ["HOLD", "OK", "SOFT1"])
async def test_hold_key_world_swaps(hold_key_world: Cti, resume_key: str) -> None:
    """HOLD the active call, move the focus with UP, resume with HOLD/OK/Resume."""
    cti = hold_key_world
    await cti.keys("HOLD")
    assert await cti.lines() == ["onhold", "onhold"]
    await cti.keys("UP")
    assert cti.sim.phone.state.focus == 1
    await cti.keys(resume_key)
    assert await cti.lines() == ["connected", "onhold"]
    await cti.keys("DOWN")  # focus to the held line 2 while line 1 is active
    await cti.keys(resume_key)
    assert await cti.lines() == ["onhold", "connected"]


async def test_holdcall_toggle_can_be_switched_off(http: aiohttp.ClientSession) -> None:
    """holdcall_toggles off: holdcall on a held call answers false."""
    async for cti in two_calls(http, holdcall_toggles=False):
        assert (await cti.op("holdcall"))["body"] is True
        assert await cti.op("holdcall") == {"response": "error", "body": False}
        assert await cti.lines() == ["onhold", "onhold"]


async def test_gxp1165_does_not_swap_with_xfer(default_world: Cti) -> None:
    """XFER in P9 opens a transfer of the active call, it never swaps [C S1]."""
    cti = default_world
    await cti.keys("XFER")
    assert await cti.lines() == ["onhold", "onhold"]
    assert cti.sim.phone.state.xfer is not None
    assert cti.sim.phone.state.xfer.line == 2
