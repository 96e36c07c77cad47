"""Reboot, the /_sim/ control API, the request log and several phones at once."""

import asyncio

import aiohttp
import pytest

from gxp_simulator import PhoneSettings, SimulatedPhone
from gxp_simulator.control import _loopback

from .conftest import CONFIGURED, Cti


async def test_reboot_goes_down_and_comes_back_idle(
    http: aiohttp.ClientSession,
) -> None:
    """savereboot, connection refused while down, then idle lines [DOC S2]."""
    async with SimulatedPhone.start(
        model="GXP1165", reboot_time=0.1, **CONFIGURED
    ) as sim:
        phone = sim.phone
        cti = Cti(http, sim)
        phone.incoming_call("1002")
        await cti.op("acceptcall")
        answer = await cti.json("api-sys_operation", request="REBOOT")
        assert answer == {"response": "success", "body": "savereboot"}
        await phone.wait_for(lambda p: p.down)
        with pytest.raises(aiohttp.ClientConnectorError):
            await cti.lines()
        await phone.wait_for(lambda p: not p.down)
        assert await cti.lines() == ["idle", "idle"]
        assert phone.reboots == 1
        assert [e.name for e in phone.events[-2:]] == ["setup_completed", "registered"]


async def test_factory_reset_restores_settings(http: aiohttp.ClientSession) -> None:
    """RESET answers "reset" and reboots with the model's defaults [DOC S2; I]."""
    async with SimulatedPhone.start(
        model="GXP1165", reboot_time=0.01, click_to_dial=True, **CONFIGURED
    ) as sim:
        answer = await Cti(http, sim).json("api-sys_operation", request="RESET")
        assert answer == {"response": "success", "body": "reset"}
        await sim.phone.wait_for(lambda p: p.reboots == 1)
        assert not sim.phone.settings.click_to_dial
        assert await Cti(http, sim).lines() == ["idle", "idle"]


async def test_control_drives_the_far_end(cti: Cti) -> None:
    """incoming, answer, hangup, busy, keys and state through /_sim/."""
    phone = cti.sim.phone
    await cti.control("farends", {"default": {"answer_after": None}})
    assert await cti.control("incoming", {"number": "1002", "name": "Bob"}) == {
        "line": 1
    }
    await cti.op("acceptcall")
    state = await cti.control("state")
    assert state["model"] == "GXP1165"
    assert state["lines"][0]["state"] == "connected"
    assert state["lines"][0]["remote_name"] == "Bob"
    assert await cti.control("hangup", {"line": 1}) == {"ok": True}
    assert await cti.control("keys", {"keys": "1:SEND"}) == {"ok": True}
    assert phone.line(1).state == "calling"
    assert await cti.control("answer", {"line": 1}) == {"ok": True}
    assert await cti.control("hangup", {"line": 1}) == {"ok": True}
    await cti.control("keys", {"keys": "2:SEND"})
    assert await cti.control("busy", {"line": 1}) == {"ok": True}
    assert phone.line(1).state == "failed"
    assert await cti.control("incoming", {"number": "9", "after": 0.01}) == {
        "line": None
    }
    await phone.wait_for(
        lambda p: p.line(2).state == "ringing" or p.line(1).state == "ringing"
    )


async def test_control_settings_faults_farends_clock(cti: Cti) -> None:
    """Settings, faults, far ends, pop-up and clock through /_sim/."""
    phone = cti.sim.phone
    settings = await cti.control(
        "settings",
        {
            "click_to_dial": True,
            "action_urls": {"P8310": "h/x"},
            "mpk_numbers": {"1": "7"},
        },
    )
    assert settings["click_to_dial"] is True
    assert settings["action_urls"] == {"incoming_call": "h/x"}
    assert phone.settings.mpk_numbers == {1: "7"}
    faults = await cti.control("faults", {"http_status": 500, "times": 1})
    assert faults["http_status"] == 500
    assert (await cti.request("api-get_phone_status"))[0] == 500
    assert (await cti.control("faults", {"clear": True}))["http_status"] is None
    far = await cti.control(
        "farends", {"clear": True, "numbers": {"1002": {"busy": True}}}
    )
    assert far["numbers"]["1002"]["busy"] is True
    assert await cti.control("popup", {"accept": False}) == {"ok": True}
    assert phone.popup_answers == 1 and not phone.popup_accept
    assert await cti.control("clock", {"advance": 10}) == {"lock_minutes": None}


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("settings", {"nope": 1}),
        ("settings", {"click_to_dial": "yes"}),
        ("faults", {"latency": "slow"}),
        ("answer", {"line": "1"}),
        ("incoming", {}),
        ("keys", {"keys": "FLASH"}),
        ("farends", {"numbers": {"1": {"bogus": 1}}}),
    ],
)
async def test_control_rejects_bad_input(
    cti: Cti, path: str, data: dict[str, object]
) -> None:
    """Bad input: HTTP 400 with an error text."""
    async with cti.session.post(
        f"{cti.sim.base_url}/_sim/{path}", json=data
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"]


async def test_control_needs_a_json_object(cti: Cti) -> None:
    """A JSON list is refused; an empty body counts as {}."""
    async with cti.session.post(
        f"{cti.sim.base_url}/_sim/faults", json=[1]
    ) as response:
        assert response.status == 400
    async with cti.session.post(f"{cti.sim.base_url}/_sim/popup") as response:
        assert response.status == 200


async def test_control_refuse_and_reboot(http: aiohttp.ClientSession) -> None:
    """refuse_connections and reboot via the control API (answered first)."""
    async with SimulatedPhone.start(
        model="GXP2170", reboot_time=0.05, **CONFIGURED
    ) as sim:
        cti = Cti(http, sim)
        await cti.control("faults", {"refuse_connections": 0.05})
        await sim.phone.wait_for(lambda p: p.refusing)
        await sim.phone.wait_for(lambda p: not p.refusing)
        assert await cti.control("reboot", {}) == {"ok": True}
        await sim.phone.wait_for(lambda p: p.reboots == 1)
        await cti.control("faults", {"refuse_connections": True})
        await sim.phone.wait_for(lambda p: not sim.listening)


async def test_separate_control_port_survives_refusal(
    http: aiohttp.ClientSession,
) -> None:
    """With --control-port the control API stays reachable while the phone refuses."""
    async with SimulatedPhone.start(
        model="GXP1165", control_port=0, **CONFIGURED
    ) as sim:
        assert sim.control_port
        control = f"http://127.0.0.1:{sim.control_port}/_sim"
        sim.phone.refuse_connections()
        await sim.phone.wait_for(lambda p: p.refusing)
        async with http.get(f"{control}/state") as response:
            assert (await response.json())["refusing"] is True
        async with http.post(
            f"{control}/faults", json={"refuse_connections": False}
        ) as r:
            assert r.status == 200
        await sim.phone.wait_for(lambda p: not p.refusing)
        assert await Cti(http, sim).lines() == ["idle", "idle"]


async def test_request_log(cti: Cti) -> None:
    """Method, path, decoded query, raw query, time; control calls are not logged."""
    await cti.keys("XFER:1:#")
    await cti.json("api-get_line_status")
    await cti.control("state")
    log = cti.sim.phone.requests
    assert len(log) == 2
    first = log[0]
    assert (first.method, first.path, first.endpoint) == (
        "GET",
        "/cgi-bin/api-send_key",
        "api-send_key",
    )
    assert first.query == {"passcode": "admin", "keys": "XFER:1:#"}
    assert first.raw_query == "passcode=admin&keys=XFER:1:%23"
    assert first.remote == "127.0.0.1"
    assert log[1].time >= first.time
    assert log.keys_sent() == ["XFER:1:#"]
    assert log.count() == 2 and log.count("api-send_key") == 1
    assert [r.endpoint for r in log] == ["api-send_key", "api-get_line_status"]
    listed = await cti.control("requests")
    assert listed[0]["query"]["keys"] == "XFER:1:#"
    async with cti.session.delete(f"{cti.sim.base_url}/_sim/requests") as response:
        assert response.status == 200
    assert len(log) == 0
    assert log.last() is None
    log.clear()


def test_loopback_check() -> None:
    """Only loopback addresses may use the control API."""
    assert _loopback("127.0.0.1") and _loopback("::1")
    assert not _loopback("192.0.2.1")
    assert not _loopback(None)
    assert not _loopback("garbage")


async def test_many_phones_in_one_process(http: aiohttp.ClientSession) -> None:
    """Independent phones on their own ports and MACs."""
    async with (
        SimulatedPhone.start(model="GXP1165", **CONFIGURED) as one,
        SimulatedPhone.start(model="GXP2170", **CONFIGURED) as two,
        SimulatedPhone.start(
            model="GRP2614", settings=PhoneSettings(), **CONFIGURED
        ) as three,
    ):
        assert len({one.port, two.port, three.port}) == 3
        assert len({one.phone.mac, two.phone.mac, three.phone.mac}) == 3
        one.phone.incoming_call("1002")
        results = await asyncio.gather(
            Cti(http, one).lines(), Cti(http, two).lines(), Cti(http, three).lines()
        )
        assert list(results) == [["ringing", "idle"], ["idle"] * 12, ["idle"] * 4]
        assert three.phone.settings.accounts == []  # explicit settings used as given
