"""Transfers through keys: blind and auto-attended, with the setting on and off."""

from collections.abc import AsyncIterator

import aiohttp
import pytest

from gxp_simulator import FarEnd, SimulatedPhone

from .conftest import CONFIGURED, Cti


@pytest.fixture
async def attended(http: aiohttp.ClientSession) -> AsyncIterator[Cti]:
    """Run a GXP1165 with Auto-Attended Transfer on and a connected call from 1002."""
    async with SimulatedPhone.start(
        model="GXP1165",
        auto_attended_transfer=True,
        failed_time=0.05,
        no_key_entry_timeout=None,
        **CONFIGURED,
    ) as sim:
        sim.phone.far_ends.default = FarEnd(answer_after=None)
        sim.phone.incoming_call("1002", "Bob")
        sim.phone.phone_operation("acceptcall")
        yield Cti(http, sim)


async def connect(cti: Cti) -> None:
    """Give the GXP1165 a connected call from 1002."""
    cti.sim.phone.far_ends.default = FarEnd(answer_after=None)
    cti.sim.phone.incoming_call("1002", "Bob")
    await cti.op("acceptcall")


async def test_xfer_opens_screen_and_holds(cti: Cti) -> None:
    """XFER puts the call on hold and opens the transfer screen [C S8]."""
    await connect(cti)
    await cti.keys("XFER")
    assert await cti.lines() == ["onhold", "idle"]
    assert cti.sim.phone.state.xfer is not None
    await cti.keys("1:0:0:3")
    assert cti.sim.phone.state.xfer.digits == "1003"
    assert cti.sim.phone.dtmf_log == ""  # digits went to the screen, not the call


async def test_xfer_without_call_is_ignored(cti: Cti) -> None:
    """XFER with no open call does nothing [C S1]."""
    assert (await cti.keys("XFER"))["body"] == "complete"
    assert cti.sim.phone.state.xfer is None
    assert await cti.lines() == ["idle", "idle"]


async def test_blind_transfer_with_setting_off(cti: Cti) -> None:
    """Auto-Attended off: XFER + number + `#` is a blind transfer [C S1]."""
    await connect(cti)
    await cti.keys("XFER")
    await cti.keys("1:0:0:3:#")
    assert await cti.lines() == ["idle", "idle"]
    (record,) = cti.sim.phone.transfers
    assert (record.kind, record.remote_number, record.target, record.ok) == (
        "blind",
        "1002",
        "1003",
        True,
    )
    names = [event.name for event in cti.sim.phone.events]
    assert names.index("blind_transfer") < names.index("transfer_finished")


async def test_blind_transfer_with_send_and_refused_refer(cti: Cti) -> None:
    """SEND ends the number too; a target refusing the REFER brings the call back."""
    await connect(cti)
    cti.sim.phone.far_ends.set("1003", FarEnd(accept_transfer=False))
    await cti.keys("XFER:1:0:0:3:SEND")
    assert await cti.lines() == ["connected", "idle"]
    assert not cti.sim.phone.transfers[0].ok


async def test_attended_start_and_complete(attended: Cti) -> None:
    """Auto-Attended on: XFER + number + `#` consults, XFER completes [C S1]."""
    phone = attended.sim.phone
    await attended.keys("XFER")
    await attended.keys("1:0:0:3:%23".replace("%23", "#"))
    assert await attended.lines() == ["onhold", "calling"]
    assert phone.state.xfer_pending is not None
    assert phone.far_end_answer(2)
    assert await attended.lines() == ["onhold", "connected"]
    await attended.keys("XFER")
    assert await attended.lines() == ["idle", "idle"]
    (record,) = phone.transfers
    assert (record.kind, record.remote_number, record.target) == (
        "attended",
        "1002",
        "1003",
    )
    assert phone.state.xfer_pending is None


async def test_attended_complete_while_consultation_rings(attended: Cti) -> None:
    """XFER while the consultation is still calling completes (semi-attended) [I]."""
    await attended.keys("XFER:2:0:0:0:#")
    assert await attended.lines() == ["onhold", "calling"]
    await attended.keys("XFER")
    assert await attended.lines() == ["idle", "idle"]
    assert attended.sim.phone.transfers[0].target == "2000"


async def test_blind_transfer_with_setting_on(attended: Cti) -> None:
    """Auto-Attended on: XFER + number + XFER is blind (S1 recipe step 3)."""
    await attended.keys("XFER:1:0:0:3:XFER")
    assert await attended.lines() == ["idle", "idle"]
    assert attended.sim.phone.transfers[0].kind == "blind"


async def test_cancel_consultation_with_endcall(attended: Cti) -> None:
    """Cancel with endcall: the first call stays held and HOLD resumes it [C S9; I]."""
    phone = attended.sim.phone
    await attended.keys("XFER:1:0:0:3:#")
    phone.far_end_answer(2)
    assert (await attended.op("endcall"))["body"] is True
    assert await attended.lines() == ["onhold", "idle"]
    assert phone.state.xfer_pending is None
    await attended.keys("HOLD")
    assert await attended.lines() == ["connected", "idle"]
    await attended.keys("XFER")  # a new transfer screen, not a completion
    assert await attended.lines() == ["onhold", "idle"]
    assert phone.transfers == []


async def test_consultation_busy_fails_back_to_held_call(attended: Cti) -> None:
    """A busy consultation target: failed, then idle; the first call stays held."""
    phone = attended.sim.phone
    phone.far_ends.set("1003", FarEnd(busy=True, busy_after=0))
    await attended.keys("XFER:1:0:0:3:#")
    await phone.wait_for_lines("onhold", "failed")
    await phone.wait_for_lines("onhold")
    assert phone.state.xfer_pending is None
    await attended.keys("XFER")  # nothing pending, no connected call: ignored
    assert await attended.lines() == ["onhold", "idle"]


async def test_xfer_after_swapping_back_does_not_complete(attended: Cti) -> None:
    """After going back to the first caller, XFER starts a new transfer instead [I]."""
    phone = attended.sim.phone
    await attended.keys("XFER:1:0:0:3:#")
    phone.far_end_answer(2)
    phone.state.resume(phone.line(1))
    await attended.keys("XFER")
    assert phone.transfers == []
    assert phone.state.xfer is not None and phone.state.xfer.line == 1


async def test_cancel_closes_transfer_screen(cti: Cti) -> None:
    """cmd=cancel and ONHOOK close the screen; the call stays on hold [I]."""
    await connect(cti)
    await cti.keys("XFER:1")
    assert (await cti.op("cancel"))["body"] is True
    assert cti.sim.phone.state.xfer is None
    await cti.keys("HOLD:XFER:ONHOOK")
    assert cti.sim.phone.state.xfer is None
    assert await cti.lines() == ["onhold", "idle"]


async def test_keys_ignored_in_transfer_screen(cti: Cti) -> None:
    """HOLD, CONF, MPK-less keys and UP/DOWN do not leave the screen [I]."""
    await connect(cti)
    cti.sim.phone.settings.hold_key_navigation = True
    await cti.keys("XFER:HOLD:CONF:DOWN:XFER")  # empty-number XFER is ignored too
    assert cti.sim.phone.state.xfer is not None
    assert await cti.lines() == ["onhold", "idle"]


async def test_far_end_hangup_closes_transfer_screen(cti: Cti) -> None:
    """The held caller hanging up closes the screen."""
    await connect(cti)
    await cti.keys("XFER:1")
    cti.sim.phone.far_end_hangup(1)
    assert cti.sim.phone.state.xfer is None
    assert await cti.lines() == ["idle", "idle"]


async def test_gxp21xx_transfer_to_held_line(cti2170: Cti) -> None:
    """LINE(new) + call + XFER + LINE(held) = attended transfer [C S9; I for API]."""
    phone = cti2170.sim.phone
    phone.far_ends.default = FarEnd(answer_after=None)
    phone.incoming_call("1002")
    await cti2170.op("acceptcall")
    await cti2170.keys("LINE2:1:0:0:3:SEND")
    phone.far_end_answer(2)
    await cti2170.keys("XFER")
    assert (await cti2170.lines())[:2] == ["onhold", "onhold"]
    await cti2170.keys("LINE1")
    assert set(await cti2170.lines()) == {"idle"}
    assert phone.transfers[0].kind == "attended"
    assert (phone.transfers[0].remote_number, phone.transfers[0].target) == (
        "1003",
        "1002",
    )
