"""Every CTI endpoint over loopback HTTP: JSON shapes per model, headers, errors."""

import json

import aiohttp
import pytest

from gxp_simulator import FarEnd, SimulatedPhone

from .conftest import CONFIGURED, Cti


@pytest.mark.parametrize(
    ("model", "lines", "server", "content_type"),
    [
        ("GXP1165", 2, "Grandstream GXP1165", "text/html"),
        ("GXP2170", 12, "Grandstream GXP2170 1.0.11.16", "text/plain"),
        ("GRP2614", 4, "Grandstream GRP2614 1.0.5.15", "text/html"),
        ("GENERIC", 3, "Grandstream GENERIC 1.0.0.1", "text/plain"),
    ],
)
async def test_line_status_per_model(
    http: aiohttp.ClientSession, model: str, lines: int, server: str, content_type: str
) -> None:
    """Idle lines in each model's wording, Server header, loose content type."""
    async with SimulatedPhone.start(model=model, **CONFIGURED) as sim:
        status, text, headers = await Cti(http, sim).request("api-get_line_status")
    assert status == 200
    assert headers["Server"] == server
    assert headers["Content-Type"].startswith(content_type)
    answer = json.loads(text)
    assert answer["response"] == "success"
    assert [entry["line"] for entry in answer["body"]] == list(range(1, lines + 1))
    first = answer["body"][0]
    if model == "GENERIC":  # WP826 capture style [CAP S8]
        assert list(first) == [
            "line",
            "conf",
            "state",
            "acct",
            "active",
            "remotename",
            "remotenumber",
        ]
        assert first["acct"] == 0
    else:  # documented example [DOC S3]
        assert first["acct"] == ""
        assert ("conf" in first) is (model == "GXP2170")
    assert first["state"] == "idle"
    assert first["active"] == 0


async def test_line_status_during_call_shows_account_and_focus(cti: Cti) -> None:
    """A single call: account 0 as integer, active 0 [CAP N4]; two calls: focus is 1."""
    cti.sim.phone.incoming_call("+15555550100", "Alice")
    answer = await cti.json("api-get_line_status")
    assert answer["body"][0] == {
        "line": 1,
        "state": "ringing",
        "acct": 0,
        "remotename": "Alice",
        "remotenumber": "+15555550100",
        "active": 0,
    }
    await cti.op("acceptcall")
    cti.sim.phone.incoming_call("1003")
    await cti.op("acceptcall")
    body = (await cti.json("api-get_line_status"))["body"]
    assert [(line["state"], line["active"]) for line in body] == [
        ("onhold", 0),
        ("connected", 1),
    ]


async def test_generic_active_stays_zero(http: aiohttp.ClientSession) -> None:
    """WP826-style phones report active 0 even for the connected line [CAP S8]."""
    async with SimulatedPhone.start(model="GENERIC", **CONFIGURED) as sim:
        sim.phone.incoming_call("1002")
        sim.phone.phone_operation("acceptcall")
        answer = await Cti(http, sim).json("api-get_line_status")
        assert answer["body"][0]["state"] == "connected"
        assert answer["body"][0]["active"] == 0
        assert answer["body"][0]["conf"] == 0


async def test_phone_status_values(cti: Cti) -> None:
    """available, ringing, busy [CAP S8]; no misc on the GXP1165."""
    assert await cti.json("api-get_phone_status") == {
        "response": "success",
        "body": "available",
    }
    line = cti.sim.phone.incoming_call("1002")
    assert (await cti.json("api-get_phone_status"))["body"] == "ringing"
    await cti.op("acceptcall")
    assert (await cti.json("api-get_phone_status"))["body"] == "busy"
    assert line == 1


async def test_phone_status_misc_on_generic(http: aiohttp.ClientSession) -> None:
    """The WP826-style profile adds misc "0" [CAP S8]."""
    async with SimulatedPhone.start(model="GENERIC", **CONFIGURED) as sim:
        answer = await Cti(http, sim).json("api-get_phone_status")
    assert answer == {"response": "success", "body": "available", "misc": "0"}


@pytest.mark.parametrize(("model", "count"), [("GXP1165", 1), ("GXP2170", 6)])
async def test_accounts(http: aiohttp.ClientSession, model: str, count: int) -> None:
    """One entry per account, 1-based id, account 1 registered as 1001 [DOC S2]."""
    async with SimulatedPhone.start(model=model, **CONFIGURED) as sim:
        answer = await Cti(http, sim).json("api-get_accounts")
    body = answer["body"]
    assert len(body) == count
    assert body[0] == {
        "id": 1,
        "sip_server": "pbx.example.com",
        "sip_id": "1001",
        "name": "Desk 1001",
        "reg": 1,
    }
    assert [entry["id"] for entry in body] == list(range(1, count + 1))
    assert all(entry["reg"] == 0 for entry in body[1:])


async def test_accounts_auto_cfg_on_generic(http: aiohttp.ClientSession) -> None:
    """The capture adds auto_cfg [CAP S8]."""
    async with SimulatedPhone.start(model="GENERIC", **CONFIGURED) as sim:
        answer = await Cti(http, sim).json("api-get_accounts")
    assert answer["body"][1] == {
        "id": 2,
        "sip_server": "",
        "sip_id": "",
        "name": "",
        "reg": 0,
        "auto_cfg": "",
    }


async def test_send_key_answers_and_hash_decoding(cti: Cti) -> None:
    """Complete / unknown; `#` arrives decoded while the raw query keeps %23."""
    assert await cti.keys("1:0:0:2:#") == {"response": "success", "body": "complete"}
    record = cti.sim.phone.requests.last("api-send_key")
    assert record is not None
    assert record.query["keys"] == "1:0:0:2:#"
    assert "keys=1:0:0:2:%23" in record.raw_query
    assert cti.sim.phone.line(1).state == "calling"
    assert cti.sim.phone.line(1).remote_number == "1002"


@pytest.mark.parametrize(
    "keys",
    ["FLASH", "1:FLASH", "POUND", "HASH", "send", "LINE1", "MPK1", "SOFT4", "", "1::2"],
)
async def test_send_key_refuses_unknown_tokens_whole(cti: Cti, keys: str) -> None:
    """One unknown token refuses the request and no key is applied [DOC S2; I]."""
    assert await cti.keys(keys) == {"response": "error", "body": "unknown"}
    assert cti.sim.phone.line_states() == ["idle", "idle"]


async def test_send_key_without_keys_parameter(cti: Cti) -> None:
    """A missing keys= is unknown as well."""
    assert await cti.json("api-send_key") == {"response": "error", "body": "unknown"}


async def test_phone_operation_bodies(cti: Cti) -> None:
    """True on success, false when there is nothing to act on or cmd is unknown."""
    assert await cti.op("endcall") == {"response": "error", "body": False}
    assert await cti.op("dance") == {"response": "error", "body": False}
    cti.sim.phone.incoming_call("1002")
    assert await cti.op("acceptcall") == {"response": "success", "body": True}
    assert await cti.op("endcall") == {"response": "success", "body": True}
    assert await cti.lines() == ["idle", "idle"]


async def test_phone_operations_reject_cancel_hold(cti: Cti) -> None:
    """rejectcall, cancel on ringing/dialing, holdcall toggling."""
    phone = cti.sim.phone
    phone.incoming_call("1002")
    assert (await cti.op("rejectcall"))["body"] is True
    assert phone.events[-2].name == "rejected_call"
    phone.incoming_call("1002")
    assert (await cti.op("cancel"))["body"] is True
    await cti.keys("5:5")
    assert await cti.lines() == ["dialing", "idle"]
    assert (await cti.op("cancel"))["body"] is True
    phone.incoming_call("1002")
    await cti.op("acceptcall")
    assert (await cti.op("holdcall"))["body"] is True
    assert await cti.lines() == ["onhold", "idle"]
    assert (await cti.op("holdcall"))["body"] is True  # toggles back [CODE S11; I]
    assert await cti.lines() == ["connected", "idle"]
    phone.settings.holdcall_toggles = False
    await cti.op("holdcall")
    assert await cti.op("holdcall") == {"response": "error", "body": False}
    assert await cti.lines() == ["onhold", "idle"]
    assert (await cti.op("endcall"))[
        "body"
    ] is False  # a held call alone is not ended [I]


async def test_make_call_needs_click_to_dial(cti: Cti) -> None:
    """P1561 off (factory default) -> Invalid Request [VENDOR-CODE N1]."""
    answer = await cti.json("api-make_call", phonenumber="1002", account="0")
    assert answer == {"response": "error", "body": "Invalid Request"}
    assert await cti.lines() == ["idle", "idle"]


async def test_make_call_places_call_and_holds_active(
    http: aiohttp.ClientSession,
) -> None:
    """With Click-To-Dial: calling on the first idle line; `password=` works too."""
    async with SimulatedPhone.start(
        model="GXP2170", click_to_dial=True, **CONFIGURED
    ) as sim:
        phone = sim.phone
        phone.far_ends.default = FarEnd(answer_after=None)
        phone.incoming_call("1002")
        phone.phone_operation("acceptcall")
        async with http.get(
            sim.url("api-make_call"),
            params={"phonenumber": "+15555550100", "account": "0", "password": "admin"},
        ) as response:
            assert await response.json(content_type=None) == {
                "response": "success",
                "body": True,
            }
        assert phone.line_states()[:2] == ["onhold", "calling"]
        assert phone.line(2).remote_number == "+15555550100"
        assert phone.line(2).account == 0  # account id 1 - 1 [VENDOR-CODE N1]
        cti = Cti(http, sim)
        for params in (
            {"phonenumber": "1", "account": "x"},
            {"phonenumber": "1", "account": "6"},
            {"phonenumber": "1", "account": "1"},  # account 2 is not registered
            {"phonenumber": ""},
        ):
            answer = await cti.json("api-make_call", **params)
            assert answer == {"response": "error", "body": "Invalid Request"}


async def test_sys_operation_unknown_request(cti: Cti) -> None:
    """Anything but REBOOT/RESET is unknown [DOC S2]."""
    answer = await cti.json("api-sys_operation", request="PROV")
    assert answer == {"response": "error", "body": "unknown"}


async def test_unknown_paths_are_html_404(cti: Cti) -> None:
    """Unknown paths and methods: 404 HTML, still logged."""
    for path in ("/index.html", "/cgi-bin/api-get_callinfo", "/cgi-bin/dologin"):
        async with cti.session.get(cti.sim.base_url + path) as response:
            assert response.status == 404
            assert response.headers["Server"] == "Grandstream GXP1165"
            assert "<html>" in await response.text()
    assert cti.sim.phone.requests.count("api-get_callinfo") == 1


async def test_post_with_form_parameters(cti: Cti) -> None:
    """POST with form fields or with the query string both work [CODE S15]."""
    async with cti.session.post(
        cti.sim.url("api-get_phone_status"), data={"passcode": "admin"}
    ) as response:
        assert (await response.json(content_type=None))["body"] == "available"
    async with cti.session.post(
        cti.sim.url("api-get_phone_status"), params={"passcode": "admin"}
    ) as response:
        assert (await response.json(content_type=None))["body"] == "available"
    record = cti.sim.phone.requests[-2]
    assert record.method == "POST"
    assert record.form == {"passcode": "admin"}


@pytest.mark.parametrize("passcode", ["wrong", None])
async def test_wrong_or_missing_passcode(cti: Cti, passcode: str | None) -> None:
    """HTTP 200 with "unauthorized" [INF spec 3.3]."""
    params = {} if passcode is None else {"passcode": passcode}
    status, text, _ = await cti.request("api-get_line_status", auth=False, **params)
    assert status == 200
    assert json.loads(text) == {"response": "error", "body": "unauthorized"}
