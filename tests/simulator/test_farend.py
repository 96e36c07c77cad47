"""Far-end scripts and driver methods, awaited through wait_for (no sleeping)."""

import aiohttp
import pytest

from gxp_simulator import FarEnd, FarEndScript, SimPhone, SimulatedPhone

from .conftest import CONFIGURED, Cti


async def test_scripted_answer_then_hangup(cti: Cti) -> None:
    """A far end answers after N s and hangs up after M s."""
    phone = cti.sim.phone
    phone.far_ends.set("1002", FarEnd(answer_after=0.01, hangup_after=0.02, name="Bob"))
    await cti.keys("1:0:0:2:SEND")
    await phone.wait_for_lines("connected")
    await phone.wait_for_lines("idle")
    names = [event.name for event in phone.events]
    assert names.count("established_call") == 1
    assert "terminated_call" in names


async def test_busy_far_end_fails_then_idle(cti: Cti) -> None:
    """Busy -> failed -> idle (failed is transient)."""
    phone = cti.sim.phone
    phone.far_ends.set("1002", FarEnd(busy=True, busy_after=0.01))
    await cti.keys("1:0:0:2:SEND")
    await phone.wait_for_lines("failed")
    assert (await cti.json("api-get_phone_status"))["body"] == "busy"
    await phone.wait_for_lines("idle")


async def test_unknown_numbers_use_the_default(cti: Cti) -> None:
    """The default far end applies to unscripted numbers; no answer keeps calling."""
    phone = cti.sim.phone
    phone.far_ends.default = FarEnd(answer_after=None)
    await cti.keys("5:5:5:SEND")
    assert await cti.lines() == ["calling", "idle"]
    assert phone.far_end_answer(1)
    assert not phone.far_end_answer(1)
    assert phone.far_end_hangup(1)
    assert await cti.lines() == ["idle", "idle"]


async def test_far_end_busy_driver(cti: Cti) -> None:
    """far_end_busy on a calling line."""
    phone = cti.sim.phone
    phone.far_ends.default = FarEnd(answer_after=None)
    await cti.keys("5:SEND")
    assert phone.far_end_busy(1)
    assert phone.line(1).state == "failed"
    await phone.wait_for_lines("idle")
    assert not phone.far_end_busy(1)


async def test_incoming_after_delay_and_caller_gives_up(cti: Cti) -> None:
    """incoming_call(after=...) rings later; give_up_after makes it a missed call."""
    phone = cti.sim.phone
    phone.far_ends.set("1002", FarEnd(give_up_after=0.01, name="Bob"))
    assert phone.incoming_call("1002", after=0.01) is None
    await phone.wait_for_lines("ringing")
    assert phone.line(1).remote_name == "Bob"  # name from the script
    await phone.wait_for_lines("idle")
    assert phone.state.missed[0].remote_number == "1002"
    assert phone.events[-2].name == "missed_call"


async def test_far_end_hangup_of_held_and_ringing(cti: Cti) -> None:
    """Held -> idle; ringing -> idle + missed; idle -> nothing."""
    phone = cti.sim.phone
    phone.incoming_call("1002")
    await cti.op("acceptcall")
    phone.incoming_call("1003")
    assert phone.far_end_hangup(2)
    assert phone.state.missed[-1].remote_number == "1003"
    await cti.keys("HOLD")
    assert phone.far_end_hangup(1)
    assert await cti.lines() == ["idle", "idle"]
    assert not phone.far_end_hangup(1)


async def test_stale_timer_does_not_touch_a_new_call(cti: Cti) -> None:
    """A far end's timer for an old call is ignored once the line holds a new call."""
    phone = cti.sim.phone
    phone.far_ends.set("1002", FarEnd(answer_after=0.05))
    await cti.keys("1:0:0:2:SEND")
    await cti.op("cancel")
    phone.far_ends.set("1003", FarEnd(answer_after=None))
    await cti.keys("1:0:0:3:SEND")
    with pytest.raises(TimeoutError, match="condition not reached"):
        await phone.wait_for(lambda p: p.line(1).state == "connected", timeout=0.1)
    assert phone.line(1).remote_number == "1003"


async def test_call_waiting_off_refuses_second_call(
    http: aiohttp.ClientSession,
) -> None:
    """P91 on: a second caller gets busy, nothing rings [I]."""
    async with SimulatedPhone.start(call_waiting=False, **CONFIGURED) as sim:
        sim.phone.incoming_call("1002")
        sim.phone.phone_operation("acceptcall")
        assert sim.phone.incoming_call("1003") is None
        assert await Cti(http, sim).lines() == ["connected", "idle"]


def test_far_end_script_json() -> None:
    """Scripts round-trip through JSON and refuse unknown fields."""
    script = FarEndScript()
    script.set("1002", FarEnd.from_json({"busy": True}))
    assert script.for_number("1002").busy
    assert script.for_number("9").answer_after == 0.5
    assert script.to_json()["numbers"]["1002"]["busy"] is True
    script.clear()
    assert script.numbers == {}
    with pytest.raises(ValueError, match="unknown far-end fields"):
        FarEnd.from_json({"answer": 1})


async def test_phone_without_server() -> None:
    """SimPhone works on its own (no HTTP), e.g. for state-only tests."""
    phone = SimPhone("GRP2614", timing="instant", failed_time=0.01, reboot_time=0.01)
    try:
        assert phone.profile.lines == 4
        assert phone.settings.auto_attended_transfer  # GRP261x Dynamic default [D S16e]
        phone.incoming_call("1002")
        assert phone.phone_operation("acceptcall")
        phone.press_keys(["XFER", "1", "#"])
        assert phone.line_states() == ["onhold", "calling", "idle", "idle"]
        phone.reboot()
        await phone.wait_for(lambda p: p.reboots == 1)
        assert phone.line_states() == ["idle"] * 4
    finally:
        await phone.close()
