"""Issue 11: the simulator is a realistic phone by default.

Timing, factory settings, events and line status as unkind as the evidence.
"""

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest

from gxp_simulator import PhoneSettings, SimPhone, SimulatedPhone
from gxp_simulator.farend import FarEnd
from gxp_simulator.profiles import GRP2614, GXP1165, GXP2170, PROFILES

from .conftest import CONFIGURED, PASSWORD, Cti

FAST: dict[str, Any] = {"request_latency": 0.02, "key_delay": 0.03, "status_lag": 0.05}


# ------------------------------------------------------------------- presets


@pytest.mark.parametrize(
    ("model", "auto_attended"),
    [("GXP1165", False), ("GXP2170", False), ("GRP2614", True), ("GENERIC", False)],
)
def test_factory_defaults_per_family(model: str, auto_attended: bool) -> None:
    """P1376 per family, P1561 off, Remote Control closed with the pop-up on [DOC N7, S10]."""
    settings = PhoneSettings.for_profile(PROFILES[model])
    assert settings.auto_attended_transfer is auto_attended
    assert settings.click_to_dial is False
    assert (settings.allowed_ips, settings.popup) == ("", True)
    assert settings.request_latency > 0 and settings.serialize_requests
    assert settings.key_delay > 0 and settings.status_lag > 0
    assert settings.transfer_handover == (0.5, 3.0)


def test_readme_and_instant_presets() -> None:
    """Preset readme = the README's set-up, instant = no delays; overrides win."""
    settings = PhoneSettings.for_profile(
        GXP1165, setup="readme", timing="instant", key_delay=0.5
    )
    assert settings.auto_attended_transfer and settings.click_to_dial
    assert (settings.allowed_ips, settings.popup) == ("any", False)
    assert (settings.request_latency, settings.status_lag) == (0.0, 0.0)
    assert settings.key_delay == 0.5
    with pytest.raises(ValueError, match="setup"):
        PhoneSettings.for_profile(GXP1165, setup="lab")
    with pytest.raises(ValueError, match="timing"):
        PhoneSettings.for_profile(GXP1165, timing="slow")


@pytest.mark.parametrize(
    ("value", "error"),
    [((3, 1), ValueError), ("x", TypeError), ([1], TypeError), ((-1, 1), TypeError)],
)
def test_handover_range_is_validated(value: Any, error: type) -> None:
    """transfer_handover is [min, max] seconds (or one number)."""
    with pytest.raises(error):
        PhoneSettings().update(transfer_handover=value)
    settings = PhoneSettings()
    settings.update(transfer_handover=1)
    assert settings.transfer_handover == (1.0, 1.0)


async def test_factory_gxp2170_refuses_cti_until_set_up(
    http: aiohttp.ClientSession,
) -> None:
    """Factory Remote Control: nobody allowed -> forbidden; /_sim/settings setup=readme opens it."""
    async with SimulatedPhone.start(
        "GXP2170", password=PASSWORD, timing="instant"
    ) as sim:
        cti = Cti(http, sim)
        status, text, _ = await cti.request("api-get_line_status")
        assert (status, "forbidden" in text) == (403, True)
        settings = await cti.control("settings", {"setup": "readme"})
        assert (settings["allowed_ips"], settings["popup"]) == ("any", False)
        assert (await cti.json("api-get_line_status"))["response"] == "success"
        settings = await cti.control("settings", {"timing": "realistic"})
        assert settings["transfer_handover"] == [0.5, 3.0]


# -------------------------------------------------------------------- timing


async def test_one_request_at_a_time_but_overlap_is_measured(
    http: aiohttp.ClientSession,
) -> None:
    """Requests queue behind each other (embedded server); max_in_flight still sees 3."""
    async with SimulatedPhone.start(
        "GXP1165", password=PASSWORD, request_latency=0.1
    ) as sim:
        cti = Cti(http, sim)
        started = time.monotonic()
        await asyncio.gather(*(cti.lines() for _ in range(3)))
        assert time.monotonic() - started >= 0.3
        assert sim.phone.requests.max_in_flight == 3


async def test_keys_play_after_the_reply_and_status_lags(
    http: aiohttp.ClientSession,
) -> None:
    """The reply comes first; each key later; line status shows it later still."""
    async with SimulatedPhone.start(
        "GXP1165",
        password=PASSWORD,
        no_key_entry_timeout=None,
        **{**FAST, "key_delay": 0.05, "status_lag": 0.2},
    ) as sim:
        phone, cti = sim.phone, Cti(http, sim)
        assert (await cti.keys("1:2"))["body"] == "complete"
        assert phone.line(1).state == "idle" and phone.queued_keys == ["1", "2"]
        await phone.wait_for(lambda p: p.line(1).remote_number == "12")
        assert await cti.lines() == ["idle", "idle"]  # not shown yet
        await phone.wait_for(lambda p: p.line_status()[0]["state"] == "dialing")
        assert await cti.lines() == ["dialing", "idle"]


async def test_transfer_hand_over_shows_transfered_then_idle(
    http: aiohttp.ClientSession,
) -> None:
    """REFER to NOTIFY takes its time; the line shows "transfered" meanwhile [D S4; C S5]."""
    async with SimulatedPhone.start(
        "GXP2170",
        password=PASSWORD,
        setup="readme",
        auto_attended_transfer=False,
        transfer_handover=(0.3, 0.3),
        **{**FAST, "key_delay": 0.0, "status_lag": 0.0},
    ) as sim:
        phone, cti = sim.phone, Cti(http, sim)
        phone.incoming_call("1002")
        phone.phone_operation("acceptcall")
        started = time.monotonic()
        await cti.keys("XFER:1:0:0:3:#")
        assert (await cti.lines())[0] == "transfered"
        assert [e.name for e in phone.events][-1] == "blind_transfer"
        await phone.wait_for_lines("idle", timeout=2)
        assert time.monotonic() - started >= 0.3
        assert [e.name for e in phone.events][-3:-1] == ["transfer_finished", "on_hook"]


def test_handover_is_seeded_and_in_range() -> None:
    """The realistic hand-over is drawn from 0.5-3 s with the seed."""
    first, second = SimPhone("GXP1165", seed=7), SimPhone("GXP1165", seed=7)
    draws = [first.random.uniform(0.5, 3.0) for _ in range(5)]
    assert draws == [second.random.uniform(0.5, 3.0) for _ in range(5)]
    assert all(0.5 <= d <= 3.0 for d in draws)


# -------------------------------------------------------------------- events


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("missed_first", ["missed_call", "terminated_call"]),
        ("terminated_first", ["terminated_call", "missed_call"]),
        ("missed_only", ["missed_call"]),
    ],
)
async def test_give_up_events_in_either_order(order: str, expected: list[str]) -> None:
    """Idle-to-Busy before Incoming; give-up sends Missed/Terminated; Busy-to-Idle last."""
    phone = SimPhone("GXP2170", timing="instant", giveup_order=order)
    phone.incoming_call("1002", "Bob")
    phone.far_end_hangup(1)
    names = [e.name for e in phone.events]
    assert names == ["idle_to_busy", "incoming_call", *expected, "busy_to_idle"]
    assert phone.state.missed[0].remote_number == "1002"
    await phone.close()


async def test_random_give_up_order_shows_both() -> None:
    """The seeded random order produces both orders over a few calls."""
    phone = SimPhone("GXP2170", timing="instant", giveup_order="random", seed=1)
    seen = set()
    for _ in range(12):
        phone.events.clear()
        phone.incoming_call("1002")
        phone.far_end_hangup(1)
        seen.add(tuple(e.name for e in phone.events[2:4]))
    assert seen == {
        ("missed_call", "terminated_call"),
        ("terminated_call", "missed_call"),
    }
    await phone.close()


async def test_answer_reject_and_hang_up_events() -> None:
    """Answered and Established on answer; Rejected on reject; hang-up name = number."""
    phone = SimPhone("GXP2170", timing="instant", hangup_name_is_number=True)
    phone.incoming_call("1002", "Bob")
    phone.phone_operation("acceptcall")
    phone.phone_operation("endcall")
    names = [e.name for e in phone.events]
    assert names[:2] == ["idle_to_busy", "incoming_call"]
    assert names[names.index("answered_call") + 1] == "established_call"
    assert names[-1] == "busy_to_idle"
    ended = next(e for e in phone.events if e.name == "terminated_call")
    assert ended.remote_name == "1002"
    phone.events.clear()
    phone.incoming_call("1003", "Carol")
    phone.phone_operation("rejectcall")
    assert [e.name for e in phone.events][-2:] == ["rejected_call", "busy_to_idle"]
    await phone.close()


async def test_outgoing_starts_with_idle_to_busy() -> None:
    """Idle-to-Busy comes first for an outgoing call too [CODE N2; I]."""
    phone = SimPhone("GXP2170", setup="readme", timing="instant")
    phone.far_ends.default = FarEnd(answer_after=None)
    assert phone.make_call("1002")
    names = [e.name for e in phone.events]
    assert names.index("idle_to_busy") < names.index("outgoing_call")
    await phone.close()


# --------------------------------------------------------------- line status


@pytest.mark.parametrize(
    ("model", "acct", "name"),
    [("GENERIC", 0, "1002"), ("GXP2170", 1, "1002"), ("GRP2614", 1, "")],
)
async def test_connected_line_in_each_familys_wording(
    http: aiohttp.ClientSession, model: str, acct: int, name: str
) -> None:
    """Active 0 on the only call; acct base per family; remotename = number [CAP N4; VENDOR-CODE N1]."""
    async with SimulatedPhone.start(model, password=PASSWORD, **CONFIGURED) as sim:
        sim.phone.incoming_call("1002")
        ringing = (await Cti(http, sim).json("api-get_line_status"))["body"][0]
        assert ringing["remotename"] == ""  # [CAP S8]
        sim.phone.phone_operation("acceptcall")
        line = (await Cti(http, sim).json("api-get_line_status"))["body"][0]
    assert (line["state"], line["active"], line["acct"]) == ("connected", 0, acct)
    assert line["remotename"] == name


async def test_raw_state_on_demand(cti: Cti) -> None:
    """A line can report a raw state string for a while (control API)."""
    cti.sim.phone.incoming_call("1002")
    answer = await cti.control(
        "line_state", {"line": 1, "state": "ending", "duration": 0.1}
    )
    assert answer == {"raw_states": {"1": "ending"}}
    assert await cti.lines() == ["ending", "idle"]
    assert (await cti.json("api-get_phone_status"))["body"] == "busy"
    await cti.sim.phone.wait_for(lambda p: not p.raw_states)
    assert await cti.lines() == ["ringing", "idle"]
    await cti.control("line_state", {"line": 2, "state": "none"})
    assert await cti.lines() == ["ringing", "none"]
    await cti.control("line_state", {"line": 2, "state": None})
    assert await cti.lines() == ["ringing", "idle"]


def test_gxp2170_has_twelve_line_keys() -> None:
    """12 call appearances, with the evidence tag."""
    assert GXP2170.lines == 12 and "12 line keys" in GXP2170.evidence["lines"]


# ------------------------------------------------- make_call and phone status


async def test_make_call_invalid_request_cases(http: aiohttp.ClientSession) -> None:
    """Off, empty number, unusable account, locked keypad -> Invalid Request [VENDOR-CODE N1]."""
    async with SimulatedPhone.start("GRP2614", password=PASSWORD, **CONFIGURED) as sim:
        cti, phone = Cti(http, sim), sim.phone
        phone.far_ends.default = FarEnd(answer_after=None)
        invalid = {"response": "error", "body": "Invalid Request"}
        assert await cti.json("api-make_call", phonenumber="1002") == invalid
        phone.settings.update(click_to_dial=True)
        assert await cti.json("api-make_call", phonenumber="") == invalid
        for account in ("1", "4", "-1", "x"):  # 1 = account 2, not registered
            assert (
                await cti.json("api-make_call", phonenumber="1", account=account)
                == invalid
            )
        await cti.keys("LOCK")
        assert await cti.json("api-make_call", phonenumber="1002") == invalid
        await cti.keys("UNLOCK")
        answer = await cti.json("api-make_call", phonenumber="1002", account="0")
        assert answer == {"response": "success", "body": True}
        assert phone.line(1).account == 0


async def test_phone_status_unavailable_and_misc(http: aiohttp.ClientSession) -> None:
    """No registered account -> unavailable; GRP misc 1 = idle call allowed [VENDOR-CODE N1]."""
    async with SimulatedPhone.start("GRP2614", password=PASSWORD, **CONFIGURED) as sim:
        cti = Cti(http, sim)
        answer = await cti.json("api-get_phone_status")
        assert (answer["body"], answer["misc"]) == ("available", "1")
        sim.phone.incoming_call("1002")
        answer = await cti.json("api-get_phone_status")
        assert (answer["body"], answer["misc"]) == ("ringing", "0")
        sim.phone.settings.accounts[0].registered = False
        answer = await cti.json("api-get_phone_status")
        assert (answer["body"], answer["misc"]) == ("unavailable", "0")
    assert GRP2614.misc_field and not GXP1165.misc_field


# ------------------------------------------------------------ keys-only 116x


async def test_keys_only_gxp1165_answers_only_send_key(
    http: aiohttp.ClientSession,
) -> None:
    """GXP1165-KEYS: api-send_key works, the other CTI functions are 404 [INF]."""
    async with SimulatedPhone.start(
        "GXP1165-KEYS", password=PASSWORD, **CONFIGURED
    ) as sim:
        cti = Cti(http, sim)
        assert sim.phone.profile.model == "GXP1165"
        assert (await cti.keys("1"))["body"] == "complete"
        for endpoint in (
            "api-get_line_status",
            "api-get_phone_status",
            "api-get_accounts",
            "api-phone_operation",
            "api-make_call",
            "api-sys_operation",
        ):
            status, _, _ = await cti.request(endpoint)
            assert status == 404, endpoint


@pytest.mark.parametrize("passcode", [PASSWORD, "wrong"])
async def test_keys_only_gxp1165_empty_keys_checks_only_the_passcode(
    http: aiohttp.ClientSession, passcode: str
) -> None:
    """An empty keys= presses nothing: `unknown` with the passcode, else unauthorized.

    The integration checks the password of a keys-only phone this way [INF].
    """
    async with SimulatedPhone.start(
        "GXP1165-KEYS", password=PASSWORD, **CONFIGURED
    ) as sim:
        cti = Cti(http, sim, password=passcode)
        status, text, _ = await cti.request("api-send_key", keys="")
        assert status == 200
        body = "unknown" if passcode == PASSWORD else "unauthorized"
        assert json.loads(text) == {"response": "error", "body": body}
        assert sim.phone.queued_keys == []
        assert sim.phone.line_states() == ["idle", "idle"]
