"""Probes: the web root's Server header, and which key spellings a phone takes.

`CtiClient.identify_without_password()` reads the model without the password; the key probe (`cti/probe.py`)
presses candidate spellings on an idle phone.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
import re
from typing import Any

import aiohttp
from aioresponses import aioresponses
import pytest

from custom_components.grandstream_gxp.cti import (
    CtiClient,
    CtiCommandError,
    CtiConnectionError,
    CtiKeyError,
    Family,
    InfoSource,
    KeyTable,
    LineState,
    PhoneIdentity,
    Sourced,
    family_for_model,
)
from custom_components.grandstream_gxp.cti.call_control import (
    CallController,
    CallControlSettings,
    SwapMethod,
)
from custom_components.grandstream_gxp.cti.keys import CtiKeyRefusedError
from custom_components.grandstream_gxp.cti.probe import (
    KeyAnswer,
    KeyProbe,
    ProbeBusyError,
    ProbeRestoreError,
    spellings,
    stored_keys,
    uncertain_keys,
)
from gxp_simulator import SimulatedPhone

from .conftest import HOST, PASSWORD, ExpectError, api, leaked, requests_sent

ROOT = re.compile(rf"^https?://{re.escape(HOST)}(:\d+)?/$")


@pytest.mark.parametrize(
    ("model", "expected_model", "firmware"),
    [
        ("GXP1165", "GXP1165", None),
        ("GXP2170", "GXP2170", "1.0.11.16"),
        ("GRP2614", "GRP2614", "1.0.5.15"),
    ],
)
async def test_probe_simulated_phone(
    socket_enabled: None,
    session: aiohttp.ClientSession,
    model: str,
    expected_model: str,
    firmware: str | None,
) -> None:
    """The simulator's login page names the model; no credentials travel."""
    async with SimulatedPhone.start(
        model, password=PASSWORD, lockout_attempts=1, setup="readme", timing="instant"
    ) as sim:
        client = CtiClient(session, sim.host, port=sim.port, password=PASSWORD)
        info = await client.identify_without_password()
        assert sim.phone.auth.failures == 0
        assert sim.phone.auth.lock_minutes() is None
        records = list(sim.phone.requests)

    assert info.model == Sourced(value=expected_model, source=InfoSource.SERVER_HEADER)
    if firmware is None:
        assert info.firmware is None
    else:
        assert info.firmware == Sourced(value=firmware, source=InfoSource.SERVER_HEADER)
    assert info.mac is None
    assert info.line_count is None
    assert info.server_header is not None
    assert info.server_header.startswith(f"Grandstream {model}")
    assert [
        (rec.method, rec.path, rec.raw_query, dict(rec.form)) for rec in records
    ] == [("GET", "/", "", {})]


async def test_probe_ignores_the_status(client: CtiClient, mock: aioresponses) -> None:
    """A redirect or an error page still carries the header that matters."""
    mock.get(ROOT, status=302, headers={"Server": "Grandstream GXP1628"})
    info = await client.identify_without_password()
    assert info.model is not None
    assert info.model.value == "GXP1628"
    assert info.firmware is None
    (method, url, kwargs) = requests_sent(mock)[0]
    assert method == "GET"
    assert url.path == "/"
    assert not url.query
    assert kwargs.get("data") is None
    assert kwargs["allow_redirects"] is False
    assert not leaked(str(url))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {"Server": "Grandstream HT814 1.0.3.2"},
            PhoneIdentity(
                model=Sourced(value="HT814", source=InfoSource.SERVER_HEADER),
                firmware=Sourced(value="1.0.3.2", source=InfoSource.SERVER_HEADER),
                server_header="Grandstream HT814 1.0.3.2",
            ),
        ),
        (
            {"Server": "lighttpd/1.4.35"},
            PhoneIdentity(server_header="lighttpd/1.4.35"),
        ),
        ({}, PhoneIdentity()),
    ],
)
async def test_probe_other_servers(
    client: CtiClient,
    mock: aioresponses,
    headers: dict[str, str],
    expected: PhoneIdentity,
) -> None:
    """Other devices and other web servers: only what the header says, nothing guessed."""
    mock.get(ROOT, status=200, body="<html></html>", headers=headers)
    assert await client.identify_without_password() == expected


async def test_probe_https(session: aiohttp.ClientSession, mock: aioresponses) -> None:
    """With https the probe goes to the https web root."""
    client = CtiClient(session, HOST, password=PASSWORD, https=True)
    mock.get(ROOT, headers={"Server": "Grandstream GRP2614"})
    info = await client.identify_without_password()
    assert info.model is not None
    assert info.model.value == "GRP2614"
    assert requests_sent(mock)[0][1].scheme == "https"


async def test_probe_unreachable(
    socket_enabled: None, session: aiohttp.ClientSession, expect_error: ExpectError
) -> None:
    """Nothing listening: CtiConnectionError, without the password."""
    async with SimulatedPhone.start(
        "GXP1165", password=PASSWORD, setup="readme", timing="instant"
    ) as sim:
        port = sim.port
        await sim.stop_listening()
        client = CtiClient(session, sim.host, port=port, password=PASSWORD)
        await expect_error(CtiConnectionError, client.identify_without_password())


# --- the key probe (cti/probe.py) ----------------------------------------------------


class ProbeBench:
    """A simulated phone, a client for it, and a record of the phone's call events."""

    def __init__(self, sim: SimulatedPhone, client: CtiClient) -> None:
        """Record every call event the phone emits from now on."""
        self.sim = sim
        self.phone = sim.phone
        self.client = client
        self.events: list[str] = []
        state = sim.phone.state
        emit = state._emit

        def record(name: str, line: Any = None) -> None:
            self.events.append(name)
            emit(name, line)

        state._emit = record  # type: ignore[method-assign]

    def sent(self) -> list[str]:
        """Return the `keys=` values the phone received, decoded, in order."""
        return [
            rec.query["keys"]
            for rec in self.phone.requests.for_endpoint("api-send_key")
        ]

    def commands(self) -> list[str]:
        """Return the `cmd=` values of the phone operations received."""
        return [
            rec.query["cmd"]
            for rec in self.phone.requests.for_endpoint("api-phone_operation")
        ]

    def line_states(self) -> list[str]:
        """Return the phone's own line states."""
        return [line.state.value for line in self.phone.state.lines]

    def probe(self, **kwargs: Any) -> KeyProbe:
        """Return a probe without waiting times, as tests need no real phone's pace."""
        return KeyProbe(
            self.client,
            settle=0,
            poll_interval=0.01,
            restore_timeout=kwargs.pop("restore_timeout", 1.0),
            clock=lambda: PROBED_AT,
            **kwargs,
        )


PROBED_AT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@asynccontextmanager
async def probe_bench(model: str, **settings: Any) -> AsyncIterator[ProbeBench]:
    """Start a simulated phone (no dial timeout unless asked) with a client in front."""
    settings.setdefault("no_key_entry_timeout", None)
    async with (
        SimulatedPhone.start(
            model, password=PASSWORD, **settings, setup="readme", timing="instant"
        ) as sim,
        aiohttp.ClientSession() as session,
    ):
        client = CtiClient(session, sim.host, port=sim.port, password=PASSWORD)
        client.key_table = KeyTable(family_for_model(model))
        yield ProbeBench(sim, client)


def test_uncertain_keys_in_a_safe_order() -> None:
    """Quiet keys first, toggles, then keys that go off hook; lines as reported; no `#`."""
    assert uncertain_keys(Family.GXP21XX, 3) == (
        "HOLD",
        "XFER",
        "HEADSET",
        "SPEAKER",
        "CONF",
        "LINE1",
        "LINE2",
        "LINE3",
    )
    # The family's limit wins over a line count the phone reports.
    assert uncertain_keys(Family.GXP116X, 4)[-2:] == ("LINE1", "LINE2")
    # `#` is the dial key by default (P72 = 1): on an idle phone it may redial.
    assert all("#" not in uncertain_keys(family, 6) for family in Family)
    assert spellings("XFER") == ("XFER", "TRANSFER")
    assert spellings("#") == ("%23", "POUND", "HASH")
    assert spellings("HOLD") == ("HOLD",)
    assert spellings("LINE2") == ("LINE2",)


async def test_probe_finds_the_default_spellings(socket_enabled: None) -> None:
    """A phone that takes the usual names: every key found, one key per request, idle after."""
    async with probe_bench("GXP2170") as bench:
        result = await bench.probe().run(model="GXP2170", firmware="1.0.11.16")
        lines = bench.line_states()
        headset = bench.phone.state.peripherals.headset

    assert result.keys == {
        "HOLD": "HOLD",
        "XFER": "XFER",
        "HEADSET": "HEADSET",
        "SPEAKER": "SPEAKER",
        "CONF": "CONF",
        **{f"LINE{n}": f"LINE{n}" for n in range(1, 13)},  # 12 line keys
    }
    assert not result.interrupted
    assert result.skipped == ()
    assert result.model == "GXP2170"
    assert result.firmware == "1.0.11.16"
    assert result.probed_at == PROBED_AT
    assert all(line.state is LineState.IDLE for line in result.lines)
    assert set(lines) == {"idle"}
    assert headset is False  # pressed twice
    sent = bench.sent()
    # ONHOOK first (the way back must work), every candidate alone, never SEND or a digit.
    assert sent[0] == "ONHOOK"
    assert all(":" not in keys for keys in sent)
    assert not {"SEND", *map(str, range(10))} & set(sent)
    # `#` is never pressed: with "Use # as Dial Key" on (the default) it may redial.
    assert not {"%23", "POUND", "HASH"} & set(sent)
    # CONF and the line keys took the phone off hook; ONHOOK followed each.
    for key in ("CONF", "LINE1", "LINE12"):
        assert sent[sent.index(key) + 1] == "ONHOOK"
    assert sent.count("HEADSET") == 2
    assert sent.count("SPEAKER") == 2
    assert "outgoing_call" not in bench.events
    assert bench.events.count("off_hook") == bench.events.count("on_hook") > 0


async def test_probe_finds_other_spellings_and_the_transfer_uses_them(
    socket_enabled: None,
) -> None:
    """TRANSFER instead of XFER, no HOLD: found, then used."""
    async with probe_bench(
        "GXP2170",
        auto_attended_transfer=True,
        key_spellings={"XFER": "TRANSFER"},
        missing_keys=["HOLD"],
    ) as bench:
        result = await bench.probe().run()
        assert result.keys["XFER"] == "TRANSFER"
        assert "#" not in result.keys
        assert result.keys["HOLD"] is None
        finding = {item.key: item for item in result.findings}
        assert finding["XFER"].answers == (
            KeyAnswer(wire="XFER", answer="unknown"),
            KeyAnswer(wire="TRANSFER", answer="complete"),
        )
        assert bench.line_states() == ["idle"] * 12

        # Without the findings the transfer's first key is refused by the phone.
        controller = CallController(
            bench.client,
            CallControlSettings(has_line_keys=True, step_timeout=1, poll_interval=0.02),
        )
        line = bench.phone.incoming_call("1001", "Alice")
        assert line is not None
        await controller.answer(line)
        with pytest.raises(CtiCommandError):
            await controller.transfer("1002")

        # With them it goes through with the phone's own spellings.
        bench.phone.requests.clear()
        bench.client.key_table = KeyTable(Family.GXP21XX, probed=result.keys)
        lines = await controller.transfer("1002")
        assert [line.state for line in lines][:2] == [
            LineState.ONHOLD,
            LineState.CALLING,
        ]
        assert bench.sent() == ["TRANSFER", "1:0:0:2:#"]
        # A key found missing is refused before anything is sent.
        bench.phone.requests.clear()
        with pytest.raises(CtiKeyRefusedError) as info:
            await bench.client.send_keys("HOLD")
        assert info.value.key == "HOLD"
        assert bench.sent() == []


async def test_probe_refused_line_keys_leave_swap_to_the_hold_key(
    socket_enabled: None,
) -> None:
    """A GXP1165 whose line keys select nothing: LINE1-2 found refused, swap uses HOLD."""
    async with probe_bench(
        "GXP1165",
        auto_attended_transfer=True,
        line_keys_select_calls=False,
        hold_key_navigation=True,
    ) as bench:
        result = await bench.probe().run()
        assert result.keys["LINE1"] is None
        assert result.keys["LINE2"] is None
        bench.client.key_table = KeyTable(Family.GXP116X, probed=result.keys)
        controller = CallController(
            bench.client,
            CallControlSettings(
                has_line_keys=False, step_timeout=1, poll_interval=0.02
            ),
        )
        first = bench.phone.incoming_call("1001")
        assert first is not None
        await controller.answer(first)
        second = bench.phone.incoming_call("1003")
        assert second is not None
        await controller.answer(second)
        bench.phone.requests.clear()

        lines = await controller.swap()

        assert [line.state for line in lines] == [LineState.CONNECTED, LineState.ONHOLD]
        # No LINE key travelled: the refusal is known, so the hold key came next.
        assert not [keys for keys in bench.sent() if "LINE" in keys]
        assert controller.learned_swap_method is SwapMethod.HOLD_KEY


async def test_probe_refuses_to_start_unless_idle(socket_enabled: None) -> None:
    """A ringing phone: ProbeBusyError with the lines, and nothing pressed."""
    async with probe_bench("GXP2170") as bench:
        bench.phone.incoming_call("1001", "Alice")
        with pytest.raises(ProbeBusyError) as info:
            await bench.probe().run()
        assert info.value.lines[0].state is LineState.RINGING
        assert bench.sent() == []
        assert bench.line_states()[0] == "ringing"


async def test_probe_needs_onhook(socket_enabled: None) -> None:
    """A phone that refuses ONHOOK could not be brought back: stop before any candidate."""
    async with probe_bench("GXP2170", missing_keys=["ONHOOK"]) as bench:
        with pytest.raises(ProbeRestoreError) as info:
            await bench.probe().run()
        assert info.value.key == "ONHOOK"
        # Refused, so nothing happened on the phone, and no candidate followed.
        assert bench.sent() == ["ONHOOK"]


async def test_call_arriving_while_the_probe_has_a_line_open(
    socket_enabled: None,
) -> None:
    """A call rings while LINE2 is off hook: LINE2 ended with endcall, the call untouched."""
    async with probe_bench("GXP2170") as bench:
        press = bench.phone.press_keys

        def ring_on_line2(tokens: list[str]) -> None:
            press(tokens)
            if tokens == ["LINE2"]:
                bench.phone.incoming_call("1001", "Alice")

        bench.phone.press_keys = ring_on_line2  # type: ignore[method-assign]
        result = await bench.probe().run()

        assert result.interrupted
        assert result.keys["LINE2"] == "LINE2"  # found before the call came
        assert result.skipped == tuple(f"LINE{n}" for n in range(3, 13))
        assert "LINE3" not in result.keys
        assert bench.line_states() == ["ringing", *["idle"] * 11]
        assert bench.sent()[-1] == "LINE2"  # no ONHOOK: it could reject the call
        assert bench.commands() == ["endcall"]
        assert [line.state for line in result.lines][:2] == [
            LineState.RINGING,
            LineState.IDLE,
        ]
        assert "rejected_call" not in bench.events


async def test_call_arriving_between_two_keys(socket_enabled: None) -> None:
    """A call rings after HOLD (which did nothing): stop, press nothing more."""
    async with probe_bench("GXP2170") as bench:
        press = bench.phone.press_keys

        def ring_after_hold(tokens: list[str]) -> None:
            press(tokens)
            if tokens == ["HOLD"]:
                bench.phone.incoming_call("1001", "Alice")

        bench.phone.press_keys = ring_after_hold  # type: ignore[method-assign]
        result = await bench.probe().run()

        assert result.interrupted
        assert result.keys == {"HOLD": "HOLD"}
        assert result.skipped[0] == "XFER"
        assert bench.sent() == ["ONHOOK", "HOLD"]
        assert bench.commands() == []
        assert bench.line_states()[0] == "ringing"


async def test_call_arriving_between_two_spellings(socket_enabled: None) -> None:
    """XFER refused, then a call: XFER has no finding (TRANSFER was never tried)."""
    async with probe_bench("GXP2170", key_spellings={"XFER": "TRANSFER"}) as bench:
        original = bench.phone.parse_keys

        def ring_after_xfer(raw: str | None) -> list[str] | None:
            tokens = original(raw)
            if raw == "XFER":
                bench.phone.incoming_call("1001", "Alice")
            return tokens

        bench.phone.parse_keys = ring_after_xfer  # type: ignore[method-assign]
        result = await bench.probe().run()

        assert result.interrupted
        assert "XFER" not in result.keys
        assert result.skipped[0] == "XFER"
        assert "TRANSFER" not in bench.sent()


def _line_status(*states: str) -> dict[str, Any]:
    return {
        "response": "success",
        "body": [
            {
                "line": n,
                "state": state,
                "acct": 0,
                "active": 0,
                "remotename": "",
                "remotenumber": "",
            }
            for n, state in enumerate(states, start=1)
        ],
    }


KEYS_URL = api("api-send_key")
LINES_URL = api("api-get_line_status")


async def test_probe_that_cannot_restore_idle(
    client: CtiClient, mock: aioresponses
) -> None:
    """A line that stays off hook after two ONHOOKs: ProbeRestoreError naming the key."""
    client.key_table = KeyTable(Family.GXP21XX)
    mock.get(LINES_URL, payload=_line_status("idle"), repeat=2)
    mock.get(LINES_URL, payload=_line_status("dialing"), repeat=True)
    mock.get(KEYS_URL, payload={"response": "success", "body": "complete"}, repeat=True)
    probe = KeyProbe(client, settle=0, poll_interval=0.01, restore_timeout=0.05)

    with pytest.raises(ProbeRestoreError) as info:
        await probe.run()

    assert info.value.key == "HOLD"
    assert info.value.lines[0].state is LineState.DIALING
    keys = [
        url.query["keys"] for _, url, _ in requests_sent(mock) if "keys" in url.query
    ]
    # The check, the key, then ONHOOK twice at most (the mock groups by URL).
    assert sorted(keys) == ["HOLD", "ONHOOK", "ONHOOK", "ONHOOK"]


async def test_probe_other_answers_are_not_findings(
    client: CtiClient, mock: aioresponses
) -> None:
    """An answer other than complete/unknown is kept raw but is no finding."""
    client.key_table = KeyTable(Family.GXP21XX)
    mock.get(LINES_URL, payload=_line_status("idle"), repeat=True)
    mock.get(KEYS_URL, payload={"response": "success", "body": "complete"})  # ONHOOK
    mock.get(KEYS_URL, payload={"response": "error", "body": "failed"}, repeat=True)
    probe = KeyProbe(client, settle=0, poll_interval=0.01)

    result = await probe.run()

    assert result.keys == {}
    assert not result.interrupted
    hold = result.findings[0]
    assert hold.key == "HOLD"
    assert hold.accepted is None
    assert not hold.conclusive
    assert result.as_dict()["answers"]["XFER"] == {
        "XFER": "failed",
        "TRANSFER": "failed",
    }
    assert result.as_dict()["complete"] is True
    assert result.as_dict()["probed_at"].endswith("+00:00")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"keys": {"XFER": "TRANSFER", "HOLD": None}},
            {"XFER": "TRANSFER", "HOLD": None},
        ),
        ({"keys": {"XFER": 3, "#": "POUND"}}, {"#": "POUND"}),
        ({"keys": ["XFER"]}, {}),
        ({}, {}),
        (None, {}),
        ("XFER=TRANSFER", {}),
    ],
)
def test_stored_keys(data: object, expected: dict[str, str | None]) -> None:
    """Stored findings are read defensively: malformed parts are dropped."""
    assert stored_keys(data) == expected


def test_key_table_precedence() -> None:
    """The user's override > the probe's finding > the default; None refuses the key."""
    table = KeyTable(
        Family.GXP21XX,
        overrides={"HOLD": "HOLD2"},
        probed={"xfer": "transfer", "hold": None, "#": "POUND", "CONF": None},
    )
    assert table.probed == {
        "XFER": "TRANSFER",
        "HOLD": None,
        "#": "POUND",
        "CONF": None,
    }
    assert table.wire("XFER") == "TRANSFER"
    assert table.wire("HOLD") == "HOLD2"  # the user knows better
    assert table.encode(["1", "#"]) == "1:POUND"
    assert table.wire("MUTE") == "MUTE"
    with pytest.raises(CtiKeyRefusedError) as info:
        table.encode(["CONF", "1"])
    err = info.value
    assert err.key == "CONF"
    assert (err.endpoint, err.body) == ("api-send_key", "unknown")
    assert isinstance(err, CtiCommandError)
    assert "probe" in str(err)
    assert "probed={'XFER': 'TRANSFER'" in repr(table)
    # A candidate for one request: this key only, everything else unchanged.
    trial = table.trying("CONF", "CONFERENCE")
    assert trial.wire("CONF") == "CONFERENCE"
    assert trial.wire("XFER") == "TRANSFER"
    assert trial.wire("HOLD") == "HOLD2"
    assert table.trying("#", "%23").wire("#") == "%23"


@pytest.mark.parametrize(
    "probed", [{"FLASH": "FLASH"}, {"XFER": "trans fer"}, {"NOPE": None}]
)
def test_key_table_refuses_bad_findings(probed: dict[str, str | None]) -> None:
    """A stored finding that is no key or no wire token is refused like an override."""
    with pytest.raises(CtiKeyError):
        KeyTable(probed=probed)


async def test_interrupted_probe_when_endcall_is_refused(
    client: CtiClient, mock: aioresponses
) -> None:
    """A call rings while the probe's line dials and endcall is refused: stop anyway."""
    client.key_table = KeyTable(Family.GXP21XX)
    mock.get(LINES_URL, payload=_line_status("idle", "idle"), repeat=2)
    mock.get(LINES_URL, payload=_line_status("ringing", "dialing"), repeat=True)
    mock.get(KEYS_URL, payload={"response": "success", "body": "complete"}, repeat=True)
    mock.get(
        api("api-phone_operation"),
        payload={"response": "error", "body": False},
        repeat=True,
    )
    result = await KeyProbe(client, settle=0, poll_interval=0.01).run()

    assert result.interrupted
    assert result.keys == {"HOLD": "HOLD"}
    assert [line.state for line in result.lines] == [
        LineState.RINGING,
        LineState.DIALING,
    ]
    assert result.skipped[0] == "XFER"
