"""Call-control procedures of the CTI library against the simulated phone over loopback.

Each test drives a real `CtiClient` through `CallController` and checks both what the
phone did (its line states) and what travelled on the wire (the simulator's log).
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from custom_components.grandstream_gxp.cti import CtiClient, CtiCommandError, LineState
from custom_components.grandstream_gxp.cti.call_control import (
    CallController,
    CallControlSettings,
    CallStateError,
    SwapMethod,
    TransferMode,
    describe_lines,
)
from custom_components.grandstream_gxp.cti.call_events import CallEventType
from custom_components.grandstream_gxp.cti.errors import CtiClosedError
from gxp_simulator import SimulatedPhone
from gxp_simulator.farend import FarEnd
from tests.common import REALISTIC_FOR_TESTS

PASSWORD = "a&b#c%d+e f"  # noqa: S105 - the hard case for URL encoding


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets; pytest-socket still limits them to 127.0.0.1."""


class Bench:
    """One simulated phone with a client and a controller in front of it."""

    def __init__(
        self, sim: SimulatedPhone, client: CtiClient, controller: CallController
    ) -> None:
        """Keep the three together."""
        self.sim = sim
        self.phone = sim.phone
        self.client = client
        self.controller = controller

    def sent_keys(self) -> list[str]:
        """Return the `keys=` values the phone received, decoded, in order."""
        return [
            rec.query["keys"]
            for rec in self.phone.requests.for_endpoint("api-send_key")
        ]

    def raw_keys(self) -> list[str]:
        """Return the raw query strings of the key requests (to see `%23`)."""
        return [
            rec.raw_query for rec in self.phone.requests.for_endpoint("api-send_key")
        ]

    def commands(self) -> list[str]:
        """Return the `cmd=` values of the phone operations received."""
        return [
            rec.query["cmd"]
            for rec in self.phone.requests.for_endpoint("api-phone_operation")
        ]

    async def connected_call(self, number: str = "1001", name: str = "Alice") -> None:
        """Let a call come in and answer it on the phone's side."""
        line = self.phone.incoming_call(number, name)
        assert line is not None
        await self.controller.answer(line)
        self.phone.requests.clear()


@asynccontextmanager
async def start_bench(
    model: str,
    *,
    auto_attended_transfer: bool = True,
    swap_method: SwapMethod = SwapMethod.AUTO,
    **phone_settings: Any,
) -> AsyncIterator[Bench]:
    """Start a simulated `model` and a controller configured like the integration does."""
    # The README-configured phone on realistic (short) timing (issue 11); Click-To-Dial
    # stays off unless a test turns it on, so dialling goes through keys.
    phone_settings.setdefault("click_to_dial", False)
    async with (
        SimulatedPhone.start(
            model,
            password=PASSWORD,
            setup="readme",
            timing="realistic",
            auto_attended_transfer=auto_attended_transfer,
            **{**REALISTIC_FOR_TESTS, **phone_settings},
        ) as sim,
        aiohttp.ClientSession() as session,
    ):
        client = CtiClient(session, sim.host, port=sim.port, password=PASSWORD)
        controller = CallController(
            client,
            CallControlSettings(
                has_line_keys=sim.phone.profile.line_keys,
                auto_attended_transfer=auto_attended_transfer,
                swap_method=swap_method,
                step_timeout=1.0,
                handover_timeout=3.0,
                poll_interval=0.02,
            ),
        )
        yield Bench(sim, client, controller)


def states(lines: Any) -> list[str]:
    """Return the raw state of every line."""
    return [line.raw_state for line in lines]


MODELS = pytest.mark.parametrize("model", ["GXP1165", "GXP2170"])


@MODELS
async def test_hold_and_resume(model: str) -> None:
    """Hold uses the documented holdcall; resume the line key, or HOLD on a GXP1165."""
    async with start_bench(model) as bench:
        await bench.connected_call()

        lines = await bench.controller.hold()
        assert states(lines)[0] == "onhold"
        assert bench.commands() == ["holdcall"]

        lines = await bench.controller.resume()
        assert states(lines)[0] == "connected"
        assert bench.sent_keys() == (["LINE1"] if model == "GXP2170" else ["HOLD"])


@MODELS
async def test_answer_call_waiting_holds_the_first_call(model: str) -> None:
    """A second call rings while one is connected; answering it holds the first."""
    async with start_bench(model) as bench:
        await bench.connected_call()
        second = bench.phone.incoming_call("1003", "Carol")
        assert second == 2

        lines = await bench.controller.answer(second)

        assert states(lines)[:2] == ["onhold", "connected"]
        assert lines[1].remote_number == "1003"
        if model == "GXP2170":
            assert bench.sent_keys() == ["LINE2"]  # [D, S7]
        else:
            assert bench.commands() == ["acceptcall"]


@MODELS
async def test_attended_transfer_start_and_complete(model: str) -> None:
    """XFER, then 1002 and `#` (as %23): line 1 held, line 2 to 1002; XFER completes."""
    async with start_bench(model) as bench:
        await bench.connected_call()

        lines = await bench.controller.transfer("1002", TransferMode.ATTENDED)

        assert states(lines)[0] == "onhold"
        assert lines[1].state in {LineState.CALLING, LineState.CONNECTED}
        await bench.phone.wait_for_lines("onhold", "connected")
        assert bench.phone.line(2).remote_number == "1002"
        assert bench.sent_keys() == ["XFER", "1:0:0:2:#"]
        assert bench.raw_keys()[1].endswith("keys=1:0:0:2:%23")
        assert bench.phone.dtmf_log == ""  # no digit reached the caller

        lines = await bench.controller.complete_transfer()

        assert set(states(lines)) == {"idle"}
        assert bench.sent_keys()[-1] == "XFER"
        assert [(t.kind, t.target) for t in bench.phone.transfers] == [
            ("attended", "1002")
        ]
        assert bench.controller.expectations.outcomes() == {
            1: CallEventType.TRANSFERRED,
            2: CallEventType.TRANSFERRED,
        }
        assert bench.controller.expectations.transfer is None


@MODELS
async def test_blind_transfer_with_auto_attended_on(model: str) -> None:
    """With Auto-Attended Transfer on, blind is XFER, the number, XFER (S1 step 3)."""
    async with start_bench(model) as bench:
        await bench.connected_call()

        lines = await bench.controller.transfer("1002", TransferMode.BLIND)

        assert set(states(lines)) == {"idle"}
        assert bench.sent_keys() == ["XFER", "1:0:0:2:XFER"]
        assert [(t.kind, t.target) for t in bench.phone.transfers] == [
            ("blind", "1002")
        ]


@MODELS
async def test_blind_transfer_with_auto_attended_off(model: str) -> None:
    """Without the setting, XFER + number + `#` is the blind transfer (S1 step 4)."""
    async with start_bench(model, auto_attended_transfer=False) as bench:
        await bench.connected_call()

        lines = await bench.controller.transfer("1002", TransferMode.BLIND)

        assert set(states(lines)) == {"idle"}
        assert bench.sent_keys() == ["XFER", "1:0:0:2:#"]
        assert [(t.kind, t.target) for t in bench.phone.transfers] == [
            ("blind", "1002")
        ]


async def test_attended_transfer_refused_when_auto_attended_is_off() -> None:
    """The error says so and nothing is pressed: XFER + # would be a blind transfer."""
    async with start_bench("GXP1165", auto_attended_transfer=False) as bench:
        await bench.connected_call()

        with pytest.raises(CallStateError) as caught:
            await bench.controller.transfer("1002")

        assert caught.value.reason == "auto_attended_off"
        assert bench.sent_keys() == []
        assert bench.phone.line_states() == ["connected", "idle"]


@MODELS
async def test_cancel_transfer_resumes_the_caller(model: str) -> None:
    """Cancel ends the consultation call and takes the first call off hold."""
    async with start_bench(model) as bench:
        await bench.connected_call()
        await bench.controller.transfer("1002")
        await bench.phone.wait_for_lines("onhold", "connected")

        lines = await bench.controller.cancel_transfer()

        assert states(lines)[:2] == ["connected", "idle"]
        assert lines[0].remote_number == "1001"
        assert "endcall" in bench.commands()
        assert bench.phone.transfers == []
        assert bench.controller.expectations.outcomes() == {}


async def test_cancel_while_the_consultation_still_rings() -> None:
    """A consultation call not yet answered is cancelled rather than ended."""
    async with start_bench("GXP1165") as bench:
        bench.phone.far_ends.set("1002", FarEnd(answer_after=None))
        await bench.connected_call()
        await bench.controller.transfer("1002")
        assert bench.phone.line_states() == ["onhold", "calling"]

        lines = await bench.controller.cancel_transfer()

        assert states(lines) == ["connected", "idle"]
        assert "cancel" in bench.commands()


async def test_transfer_stops_before_digits_when_xfer_does_not_hold() -> None:
    """If the call is still connected after XFER, digits would be tones: stop."""
    async with start_bench("GXP1165") as bench:
        # A key table that sends MUTE for XFER: accepted, but opens no transfer screen.
        bench.client.key_table = type(bench.client.key_table)(
            bench.client.key_table.family, {"XFER": "MUTE"}
        )
        await bench.connected_call()

        with pytest.raises(CallStateError) as caught:
            await bench.controller.transfer("1002")

        assert caught.value.reason == "transfer_not_started"
        assert bench.sent_keys() == ["MUTE"]
        assert bench.phone.dtmf_log == ""
        assert "line 1 connected" in str(caught.value)


async def test_transfer_needs_a_connected_call() -> None:
    """Nothing to transfer: refused before any key, with what the phone shows."""
    async with start_bench("GXP1165") as bench:
        with pytest.raises(CallStateError) as caught:
            await bench.controller.transfer("1002")
        assert caught.value.reason == "no_connected_call"
        assert "all lines idle" in str(caught.value)
        assert bench.sent_keys() == []


async def test_complete_refused_when_the_caller_was_swapped_back() -> None:
    """XFER with the caller active would transfer the wrong way round."""
    async with start_bench("GXP2170") as bench:
        await bench.connected_call()
        await bench.controller.transfer("1002")
        await bench.phone.wait_for_lines("onhold", "connected")
        await bench.controller.swap()

        with pytest.raises(CallStateError) as caught:
            await bench.controller.complete_transfer()

        assert caught.value.reason == "consultation_on_hold"
        assert bench.sent_keys()[-1] == "LINE1"


async def test_complete_without_a_consultation() -> None:
    """The consultation party hung up: there is nothing to join."""
    async with start_bench("GXP1165") as bench:
        await bench.connected_call()
        await bench.controller.transfer("1002")
        await bench.phone.wait_for_lines("onhold", "connected")
        bench.phone.far_end_hangup(2)

        with pytest.raises(CallStateError) as caught:
            await bench.controller.complete_transfer()

        assert caught.value.reason == "no_transfer_in_progress"
        assert "XFER" not in bench.sent_keys()[2:]


async def test_swap_by_line_key() -> None:
    """On a phone with line keys, the held call's LINE key swaps [D, S6]."""
    async with start_bench("GXP2170", swap_method=SwapMethod.LINE_KEY) as bench:
        await bench.connected_call()
        await bench.controller.transfer("1002")
        await bench.phone.wait_for_lines("onhold", "connected")

        lines = await bench.controller.swap()
        assert states(lines)[:2] == ["connected", "onhold"]
        lines = await bench.controller.swap()
        assert states(lines)[:2] == ["onhold", "connected"]
        assert bench.sent_keys()[-2:] == ["LINE1", "LINE2"]


@pytest.mark.parametrize(
    ("world", "learned", "keys"),
    [
        ({"line_keys_select_calls": True}, SwapMethod.LINE_KEY, ["LINE1"]),
        (
            {"hold_key_navigation": True},
            SwapMethod.HOLD_KEY,
            ["LINE1", "HOLD", "UP:HOLD"],
        ),
    ],
    ids=["line-keys-select-calls", "hold-key-navigation"],
)
async def test_gxp1165_auto_swap_finds_the_working_method(
    world: dict[str, Any], learned: SwapMethod, keys: list[str]
) -> None:
    """`auto` tries the candidates in order, verifies each, and remembers the one that works."""
    async with start_bench("GXP1165", **world) as bench:
        await bench.connected_call()
        await bench.controller.transfer("1002")
        await bench.phone.wait_for_lines("onhold", "connected")
        bench.phone.requests.clear()

        lines = await bench.controller.swap()

        assert states(lines) == ["connected", "onhold"]
        assert bench.sent_keys() == keys
        assert bench.controller.learned_swap_method is learned
        assert "XFER" not in bench.sent_keys()

        bench.phone.requests.clear()
        lines = await bench.controller.swap()
        assert states(lines) == ["onhold", "connected"]
        assert len(bench.sent_keys()) == len(keys) - (
            1 if learned is SwapMethod.HOLD_KEY else 0
        )


async def test_gxp1165_auto_swap_unsupported_leaves_the_calls_as_they_were() -> None:
    """No candidate works: the error says so and both calls are where they were."""
    async with start_bench("GXP1165") as bench:
        await bench.connected_call()
        await bench.controller.transfer("1002")
        await bench.phone.wait_for_lines("onhold", "connected")
        bench.phone.requests.clear()

        with pytest.raises(CallStateError) as caught:
            await bench.controller.swap()

        assert caught.value.reason == "swap_unsupported"
        assert bench.phone.line_states() == ["onhold", "connected"]
        assert "XFER" not in bench.sent_keys()


async def test_swap_needs_two_calls() -> None:
    """One call only: nothing to swap, nothing pressed."""
    async with start_bench("GXP2170") as bench:
        await bench.connected_call()
        with pytest.raises(CallStateError) as caught:
            await bench.controller.swap()
        assert caught.value.reason == "two_calls_needed"
        assert bench.sent_keys() == []


async def test_explicit_line_key_swap_on_a_gxp1165_reports_the_refused_key() -> None:
    """The phone answers `unknown` for LINE1; the state is unchanged."""
    async with start_bench("GXP1165", swap_method=SwapMethod.LINE_KEY) as bench:
        await bench.connected_call()
        await bench.controller.transfer("1002")
        await bench.phone.wait_for_lines("onhold", "connected")

        with pytest.raises(CtiCommandError):
            await bench.controller.swap()
        assert bench.phone.line_states() == ["onhold", "connected"]


async def test_send_dtmf_reaches_the_call_as_tones() -> None:
    """DTMF is the one case where digits go into a connected call."""
    async with start_bench("GXP1165") as bench:
        await bench.connected_call()

        await bench.controller.send_dtmf("12*#")

        # Keys play after the reply, at the phone's pace.
        await bench.phone.wait_for(lambda p: p.dtmf_log == "12*#")
        assert bench.raw_keys()[-1].endswith("keys=1:2:STAR:%23")


async def test_send_dtmf_needs_a_connected_call() -> None:
    """Digits on an idle phone would start dialling: refused."""
    async with start_bench("GXP1165") as bench:
        with pytest.raises(CallStateError) as caught:
            await bench.controller.send_dtmf("1")
        assert caught.value.reason == "no_connected_call"


@pytest.mark.parametrize("click_to_dial", [True, False])
async def test_dial(click_to_dial: bool) -> None:
    """Click-to-dial when the phone allows it, else the digits and SEND."""
    async with start_bench("GXP1165", click_to_dial=click_to_dial) as bench:
        dialled = await bench.controller.dial("1002")
        lines = dialled.lines

        assert dialled.method == ("click_to_dial" if click_to_dial else "keys")
        assert lines[0].state in {LineState.CALLING, LineState.CONNECTED}
        assert lines[0].remote_number == "1002"
        calls = bench.phone.requests.for_endpoint("api-make_call")
        assert calls[0].query["phonenumber"] == "1002"
        assert bench.sent_keys() == ([] if click_to_dial else ["1:0:0:2:SEND"])


async def test_dial_by_keys_refused_during_a_call_without_line_keys() -> None:
    """On a GXP1165 with click-to-dial off, digits now would reach the caller."""
    async with start_bench("GXP1165") as bench:
        await bench.connected_call()
        with pytest.raises(CallStateError) as caught:
            await bench.controller.dial("1002")
        assert caught.value.reason == "call_in_progress"
        assert bench.phone.dtmf_log == ""


async def test_dial_by_keys_during_a_call_takes_a_free_line() -> None:
    """With line keys, a free LINE key holds the call and opens a new line."""
    async with start_bench("GXP2170") as bench:
        await bench.connected_call()
        lines = (await bench.controller.dial("1002")).lines
        assert states(lines)[:2] == ["onhold", "calling"] or states(lines)[:2] == [
            "onhold",
            "connected",
        ]
        assert bench.sent_keys() == ["LINE2", "1:0:0:2:SEND"]


async def test_dial_a_plus_number_needs_click_to_dial() -> None:
    """`+` has no key; without click-to-dial the number cannot be dialled."""
    async with start_bench("GXP1165") as bench:
        with pytest.raises(CallStateError) as caught:
            await bench.controller.dial("+4930123")
        assert caught.value.reason == "number_needs_click_to_dial"


@pytest.mark.parametrize(
    ("setup", "command"),
    [("ringing", "rejectcall"), ("connected", "endcall"), ("calling", "cancel")],
)
async def test_hang_up(setup: str, command: str) -> None:
    """Reject a ringing call, end a connected one, cancel an outgoing attempt."""
    async with start_bench("GXP2170", click_to_dial=True) as bench:
        bench.phone.far_ends.set("1002", FarEnd(answer_after=None))
        if setup == "ringing":
            bench.phone.incoming_call("1001")
        elif setup == "connected":
            await bench.connected_call()
        else:
            await bench.controller.dial("1002")
        bench.phone.requests.clear()

        lines = await bench.controller.hang_up()

        assert set(states(lines)) == {"idle"}
        assert bench.commands() == [command]


@MODELS
async def test_hang_up_a_held_call_resumes_it_first(model: str) -> None:
    """A held call is taken back, then ended."""
    async with start_bench(model) as bench:
        await bench.connected_call()
        await bench.controller.hold()

        lines = await bench.controller.hang_up(1)

        assert set(states(lines)) == {"idle"}
        assert bench.commands()[-1] == "endcall"


async def test_line_arguments_are_checked() -> None:
    """A line the phone does not have, or one in the wrong state, is refused."""
    async with start_bench("GXP1165") as bench:
        with pytest.raises(CallStateError) as caught:
            await bench.controller.answer(7)
        assert caught.value.reason == "no_such_line"
        with pytest.raises(CallStateError) as caught:
            await bench.controller.answer(1)
        assert caught.value.reason == "no_ringing_call"
        with pytest.raises(CallStateError) as caught:
            await bench.controller.hold()
        assert caught.value.reason == "no_connected_call"
        with pytest.raises(CallStateError) as caught:
            await bench.controller.resume()
        assert caught.value.reason == "no_held_call"
        with pytest.raises(CallStateError) as caught:
            await bench.controller.hang_up()
        assert caught.value.reason == "no_call"


@pytest.mark.parametrize("number", ["", "12a", "1+2", "#"])
async def test_bad_numbers_are_refused_before_anything_is_sent(number: str) -> None:
    """Only digits, `*`, `#` and a leading `+`."""
    async with start_bench("GXP1165") as bench:
        await bench.connected_call()
        with pytest.raises(CallStateError) as caught:
            await bench.controller.transfer(number)
        assert caught.value.reason == "invalid_number"
        assert bench.sent_keys() == []


async def test_the_password_reaches_the_phone_intact() -> None:
    """`a&b#c%d+e f` is decoded by the phone exactly: every request was accepted."""
    async with start_bench("GXP1165") as bench:
        await bench.connected_call()
        await bench.controller.hold()
        assert all(rec.query["passcode"] == PASSWORD for rec in bench.phone.requests)


async def test_concurrent_procedures_do_not_interleave() -> None:
    """A second action waits for the first; its keys never land between XFER and digits."""
    async with start_bench("GXP1165", key_delay=0.01) as bench:
        await bench.connected_call()

        results = await asyncio.gather(
            bench.controller.transfer("1002"),
            bench.controller.send_dtmf("5"),
            return_exceptions=True,
        )

        assert not isinstance(results[0], BaseException)
        # When the DTMF action ran, the caller was on hold and the consultation call
        # not yet connected, so it was refused; no tone reached the caller.
        assert isinstance(results[1], CallStateError)
        assert bench.sent_keys() == ["XFER", "1:0:0:2:#"]
        assert bench.phone.state.dtmf_for("1001") == ""


def test_describe_lines() -> None:
    """The found-state text names the busy lines only."""
    assert describe_lines(()) == "all lines idle"


async def test_press_keys_in_one_request_or_spaced_out() -> None:
    """Raw keys go as one request, or one request per key with a delay between."""
    async with start_bench("GXP2170") as bench:
        await bench.controller.press_keys(("MUTE", "VUP"))
        busy_after_first = bench.controller.busy
        pressing = asyncio.ensure_future(
            bench.controller.press_keys(("VUP", "VDOWN"), 0.01)
        )
        await asyncio.sleep(0)
        busy_while_pressing = bench.controller.busy
        await pressing
        assert (busy_after_first, busy_while_pressing) == (False, True)
        assert bench.sent_keys() == ["MUTE:VUP", "VUP", "VDOWN"]


async def test_dial_refused_while_a_number_is_being_typed_or_lines_are_full() -> None:
    """A half-typed number, or no free line, stops dial before anything is sent."""
    async with start_bench("GXP1165", no_key_entry_timeout=None) as bench:
        await bench.controller.press_keys(("1",))
        await bench.phone.wait_for(  # the key played and line status shows it
            lambda p: p.line_status()[0]["state"] == "dialing"
        )
        with pytest.raises(CallStateError) as caught:
            await bench.controller.dial("1002")
        assert caught.value.reason == "call_being_dialled"

    async with start_bench("GXP1165") as bench:
        await bench.connected_call()
        await bench.controller.transfer("1002")
        await bench.phone.wait_for_lines("onhold", "connected")
        with pytest.raises(CallStateError) as caught:
            await bench.controller.dial("1003")
        assert caught.value.reason == "no_free_line"
        with pytest.raises(CallStateError) as caught:
            await bench.controller.transfer("1003", TransferMode.BLIND)
        assert caught.value.reason == "call_on_hold"


async def test_blind_transfer_the_target_refuses() -> None:
    """The phone recovers the call [D, S30]; the error says what it found."""
    async with start_bench("GXP1165", auto_attended_transfer=False) as bench:
        bench.phone.far_ends.set("1002", FarEnd(accept_transfer=False))
        await bench.connected_call()

        with pytest.raises(CallStateError) as caught:
            await bench.controller.transfer("1002", TransferMode.BLIND)

        assert caught.value.reason == "transfer_failed"
        assert "line 1 connected" in str(caught.value)
        assert bench.controller.expectations.outcomes() == {}


async def test_complete_refused_when_the_option_says_auto_attended_is_off() -> None:
    """A consultation started on the phone itself cannot be completed with XFER."""
    async with start_bench("GXP1165") as bench:
        await bench.connected_call()
        await bench.controller.transfer("1002")
        bench.controller.settings = CallControlSettings(
            has_line_keys=False, auto_attended_transfer=False, step_timeout=1.0
        )
        with pytest.raises(CallStateError) as caught:
            await bench.controller.complete_transfer()
        assert caught.value.reason == "auto_attended_off"


async def test_resume_with_another_call_active_swaps() -> None:
    """Resuming the held call while another is connected is a swap."""
    async with start_bench("GXP2170") as bench:
        await bench.connected_call()
        await bench.controller.transfer("1002")
        await bench.phone.wait_for_lines("onhold", "connected")

        lines = await bench.controller.resume(1)

        assert states(lines)[:2] == ["connected", "onhold"]


async def test_resume_falls_back_to_holdcall_when_the_hold_key_is_refused() -> None:
    """Where HOLD is not a key the phone knows, holdcall toggles the call back [I]."""
    async with start_bench("GXP1165") as bench:
        bench.client.key_table = type(bench.client.key_table)(
            bench.client.key_table.family, {"HOLD": "FLASH"}
        )
        await bench.connected_call()
        await bench.controller.hold()

        lines = await bench.controller.resume()

        assert states(lines)[0] == "connected"
        assert bench.commands() == ["holdcall", "holdcall"]


async def test_close_stops_a_procedure_before_its_next_request() -> None:
    """After close(), a running procedure sends nothing more; new ones fail at once."""
    async with start_bench("GXP2170") as bench:
        await bench.connected_call()
        bench.phone.set_faults(
            latency=0.1, endpoints=frozenset({"api-send_key"}), times=1
        )
        pressing = asyncio.create_task(
            bench.controller.press_keys(["1", "2", "3"], 0.01)
        )
        await bench.phone.wait_for(lambda p: p.requests.count("api-send_key") == 1)

        bench.controller.close()

        with pytest.raises(CtiClosedError):
            await pressing
        assert bench.sent_keys() == ["1"]
        for procedure in (
            bench.controller.hold(),
            bench.controller.dial("1002"),
            bench.controller.lines(),
        ):
            with pytest.raises(CtiClosedError):
                await procedure
        assert bench.phone.requests.count() == 1


async def test_the_client_notes_the_firmware_of_each_answer() -> None:
    """`server_header` follows the phone through a firmware upgrade."""
    async with start_bench("GXP2170", reboot_time=0.01) as bench:
        seen = [bench.client.server_header]
        await bench.client.get_line_status()
        seen.append(bench.client.server_header)
        bench.phone.upgrade_firmware(firmware="1.0.11.20")
        await bench.phone.wait_for(lambda p: p.upgrades == 1 and not p.down)
        await bench.client.get_line_status()
        seen.append(bench.client.server_header)
        assert seen == [
            None,
            "Grandstream GXP2170 1.0.11.16",
            "Grandstream GXP2170 1.0.11.20",
        ]


async def test_a_slow_hand_over_is_waited_for() -> None:
    """Keys played after the reply [C S20] hand over later than a step's timeout.

    The hand-over waits `handover_timeout` (the phone's REFER wait, P26070 [D S16]),
    not `step_timeout`, and the call counts as transferred all along.
    """
    async with start_bench("GXP2170", key_delay=0.3) as bench:
        await bench.connected_call()

        lines = await bench.controller.transfer("1002", TransferMode.BLIND)

        assert set(states(lines)) == {"idle"}
        assert bench.controller.expectations.outcomes() == {
            1: CallEventType.TRANSFERRED
        }


async def test_attended_transfer_the_phone_hands_over_blind() -> None:
    """The phone's Auto-Attended Transfer is off, the option on: `#` hands over [C S1]."""
    async with start_bench("GXP1165") as bench:
        bench.phone.settings.update(auto_attended_transfer=False)
        await bench.connected_call()

        with pytest.raises(CallStateError) as caught:
            await bench.controller.transfer("1002")

        assert caught.value.reason == "transferred_blind_auto_attended_off"
        assert bench.sent_keys() == ["XFER", "1:0:0:2:#"]
        assert [(t.kind, t.target) for t in bench.phone.transfers] == [
            ("blind", "1002")
        ]
        assert bench.controller.expectations.outcomes() == {
            1: CallEventType.TRANSFERRED
        }
        assert bench.controller.expectations.transfer is None
