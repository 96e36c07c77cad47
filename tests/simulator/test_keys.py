"""api-send_key behaviours over HTTP: dialing, DTMF, hold, line keys, conference, MPK."""

import aiohttp
import pytest

from gxp_simulator import FarEnd, SimulatedPhone
from gxp_simulator.keys import accepted_keys
from gxp_simulator.profiles import GENERIC, GRP2614, GXP1165, GXP2170
from gxp_simulator.settings import PhoneSettings

from .conftest import CONFIGURED, Cti


def test_accepted_keys_per_model() -> None:
    """Each model takes its own soft keys, MPKs and line keys; FLASH never."""
    gxp1165 = accepted_keys(GXP1165, PhoneSettings.for_profile(GXP1165))
    assert {"XFER", "HOLD", "CONF", "#", "STAR", "SOFT3", "OFFHOOK"} <= gxp1165
    assert not {"FLASH", "SOFT4", "LINE1", "MPK1"} & gxp1165
    worlds = accepted_keys(
        GXP1165, PhoneSettings.for_profile(GXP1165, line_keys_select_calls=True)
    )
    assert {"LINE1", "LINE2"} <= worlds
    assert "LINE3" not in worlds
    gxp2170 = accepted_keys(GXP2170, PhoneSettings.for_profile(GXP2170))
    assert {"LINE12", "MPK48", "SOFT4"} <= gxp2170
    assert not {"LINE13", "MPK49", "FLASH"} & gxp2170
    grp = accepted_keys(GRP2614, PhoneSettings.for_profile(GRP2614))
    assert "LINE4" in grp and "LINE5" not in grp
    assert "MPK8" in accepted_keys(GENERIC, PhoneSettings.for_profile(GENERIC))


async def test_off_hook_dialing_with_send(cti: Cti) -> None:
    """Digits open a dialing line; SEND dials; far end answers."""
    phone = cti.sim.phone
    phone.far_ends.default = FarEnd(answer_after=0.01)
    await cti.keys("STAR:7:2")
    assert await cti.lines() == ["dialing", "idle"]
    assert phone.line(1).digits == "*72"
    await cti.keys("SEND")
    assert phone.line(1).state == "calling"
    await phone.wait_for_lines("connected")
    assert phone.line(1).remote_number == "*72"


async def test_hash_as_dial_key_off_is_a_digit(cti: Cti) -> None:
    """With P72 off, `#` is dialled as a digit."""
    phone = cti.sim.phone
    phone.settings.use_hash_as_dial_key = False
    await cti.keys("1:#")
    assert phone.line(1).digits == "1#"
    assert phone.line(1).state == "dialing"


async def test_no_key_entry_timeout_dials(http: aiohttp.ClientSession) -> None:
    """P85: digits without SEND are dialled after the timeout [D S16]."""
    async with SimulatedPhone.start(no_key_entry_timeout=0.05, **CONFIGURED) as sim:
        sim.phone.far_ends.default = FarEnd(answer_after=None)
        await Cti(http, sim).keys("1:0:0:2")
        assert sim.phone.line(1).state == "dialing"
        await sim.phone.wait_for_lines("calling")
        assert sim.phone.line(1).remote_number == "1002"


async def test_digits_in_a_call_are_dtmf(cti: Cti) -> None:
    """Digits, STAR and `#` in a connected call become tones, per call."""
    phone = cti.sim.phone
    phone.incoming_call("1002")
    await cti.op("acceptcall")
    await cti.keys("1:2:STAR:#")
    assert await cti.lines() == ["connected", "idle"]
    assert phone.dtmf_log == "12*#"
    assert phone.state.dtmf_for("1002") == "12*#"
    assert {rec.call_id for rec in phone.state.dtmf_log} == {phone.line(1).call_id}


async def test_hold_key_toggles(cti: Cti) -> None:
    """HOLD holds the focused call, HOLD again resumes it [I]."""
    phone = cti.sim.phone
    phone.incoming_call("1002")
    await cti.keys("OFFHOOK")
    assert await cti.lines() == ["connected", "idle"]
    await cti.keys("HOLD")
    assert await cti.lines() == ["onhold", "idle"]
    await cti.keys("HOLD")
    assert await cti.lines() == ["connected", "idle"]
    names = [event.name for event in phone.events]
    assert names[-2:] == ["hold_call", "unhold_call"]


async def test_onhook_rejects_and_ends(cti: Cti) -> None:
    """ONHOOK rejects a ringing call and ends the focused call."""
    phone = cti.sim.phone
    phone.incoming_call("1002")
    await cti.keys("ONHOOK")
    assert await cti.lines() == ["idle", "idle"]
    phone.incoming_call("1002")
    await cti.keys("OFFHOOK:ONHOOK")
    assert await cti.lines() == ["idle", "idle"]
    await cti.keys("ONHOOK")  # nothing to do, still complete
    assert phone.events[-1].name == "busy_to_idle"


async def test_call_waiting_answered_with_offhook(cti: Cti) -> None:
    """A second call rings line 2; OFFHOOK answers it and holds line 1 [D S7; I]."""
    phone = cti.sim.phone
    phone.incoming_call("1002")
    await cti.op("acceptcall")
    assert phone.incoming_call("1003", "Carol") == 2
    assert await cti.lines() == ["connected", "ringing"]
    await cti.keys("5")  # still DTMF into the active call
    assert phone.dtmf_log == "5"
    await cti.keys("OFFHOOK")
    assert await cti.lines() == ["onhold", "connected"]


async def test_line_keys_on_gxp2170(cti2170: Cti) -> None:
    """LINEn answers a waiting call, swaps, and seizes a new line [D S6, S7]."""
    phone = cti2170.sim.phone
    phone.far_ends.default = FarEnd(answer_after=None)
    phone.incoming_call("1002")
    await cti2170.op("acceptcall")
    phone.incoming_call("1003")
    await cti2170.keys("LINE2")
    assert (await cti2170.lines())[:2] == ["onhold", "connected"]
    await cti2170.keys("LINE1")
    assert (await cti2170.lines())[:2] == ["connected", "onhold"]
    await cti2170.keys("LINE1")  # already active: focus only
    assert (await cti2170.lines())[:2] == ["connected", "onhold"]
    await cti2170.keys("LINE3:1:0:0:4:SEND")
    assert (await cti2170.lines())[:3] == ["onhold", "onhold", "calling"]
    await cti2170.keys("LINE3")  # focus the calling line
    assert phone.state.focus == 3


async def test_line_key_on_gxp1165_is_unknown(cti: Cti) -> None:
    """No line keys on the GXP1165 by default [D by absence S16a; I]."""
    assert await cti.keys("LINE1") == {"response": "error", "body": "unknown"}


async def test_conference_by_keys(cti2170: Cti) -> None:
    """CONF, number, SEND, answer, CONF -> both connected with conf=1 [D S12]."""
    phone = cti2170.sim.phone
    phone.far_ends.default = FarEnd(answer_after=0.01)
    phone.incoming_call("1002")
    await cti2170.op("acceptcall")
    await cti2170.keys("CONF")
    assert (await cti2170.lines())[:2] == ["onhold", "dialing"]
    await cti2170.keys("1:0:0:3:SEND")
    await phone.wait_for(lambda p: p.line(2).state == "connected")
    await cti2170.keys("CONF")
    body = (await cti2170.json("api-get_line_status"))["body"]
    assert [(e["state"], e["conf"]) for e in body[:2]] == [
        ("connected", 1),
        ("connected", 1),
    ]
    await cti2170.op("endcall")
    assert set(await cti2170.lines()) == {"idle"}


async def test_mpk_speed_dial(cti2170: Cti) -> None:
    """An MPK with a number holds the active call and dials it [C S9]."""
    phone = cti2170.sim.phone
    phone.far_ends.default = FarEnd(answer_after=None)
    phone.settings.mpk_numbers = {3: "2000"}
    await cti2170.keys("MPK1")  # not configured: nothing
    assert set(await cti2170.lines()) == {"idle"}
    phone.incoming_call("1002")
    await cti2170.op("acceptcall")
    await cti2170.keys("MPK3")
    assert (await cti2170.lines())[:2] == ["onhold", "calling"]
    assert phone.line(2).remote_number == "2000"


async def test_keypad_lock_and_peripherals(cti: Cti) -> None:
    """LOCK ignores keys until UNLOCK; volume and mute change flags."""
    phone = cti.sim.phone
    assert (await cti.keys("LOCK:1:2"))["body"] == "complete"
    assert await cti.lines() == ["idle", "idle"]
    await cti.keys("UNLOCK:VUP:VUP:VDOWN")
    assert phone.state.peripherals.volume == 5
    phone.incoming_call("1002")
    await cti.keys("OFFHOOK:MUTE")
    assert phone.line(1).muted


async def test_navigation_without_hold_world_does_nothing(cti: Cti) -> None:
    """UP/DOWN/OK outside the hold-key world leave calls alone."""
    phone = cti.sim.phone
    phone.incoming_call("1002")
    await cti.op("acceptcall")
    await cti.keys("HOLD:DOWN:OK:UP:LEFT:RIGHT")
    assert await cti.lines() == ["onhold", "idle"]


async def test_ok_dials(cti: Cti) -> None:
    """OK while dialing sends the number [I]."""
    cti.sim.phone.far_ends.default = FarEnd(answer_after=None)
    await cti.keys("2:OK")
    assert await cti.lines() == ["calling", "idle"]


@pytest.mark.parametrize("delay", [0.02])
async def test_key_delay_queues_after_reply(
    http: aiohttp.ClientSession, delay: float
) -> None:
    """With a per-key delay the reply comes first, keys follow in order [C S20]."""
    async with SimulatedPhone.start(
        key_delay=delay, no_key_entry_timeout=None, **CONFIGURED
    ) as sim:
        phone = sim.phone
        cti = Cti(http, sim)
        assert (await cti.keys("1:0"))["body"] == "complete"
        assert phone.line_states() == ["idle", "idle"]
        assert phone.queued_keys == ["1", "0"]
        await cti.keys("0:2")
        await phone.wait_for(lambda p: p.line(1).digits == "1002")
        assert phone.queued_keys == []
        await cti.keys("1")
        assert phone.queued_keys == ["1"]
    # leaving the block cancelled the queue without lingering tasks


async def test_digits_while_calling_and_hold_without_call(cti: Cti) -> None:
    """Digits during ringback are ignored; HOLD with nothing focused does nothing."""
    phone = cti.sim.phone
    phone.far_ends.default = FarEnd(answer_after=None)
    await cti.keys("HOLD")
    await cti.keys("1:SEND:2:3")
    assert phone.line(1).remote_number == "1"
    assert phone.dtmf_log == ""
    assert await cti.lines() == ["calling", "idle"]
