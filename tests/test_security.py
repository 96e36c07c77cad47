"""Security: what a user types reaches the phone as one value, or not at all.

Also: the password never shows; the webhook takes only this phone's events from the
local network; `verify_ssl` is honoured.
"""

import asyncio
from collections.abc import AsyncIterator
import contextlib
from ipaddress import ip_address
import json
from pathlib import Path
import re
import ssl
from typing import Any
from unittest.mock import patch
from urllib.parse import quote, quote_plus

import aiohttp
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import (
    ATTR_DEVICE_ID,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_SSL,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
import voluptuous as vol
from yarl import URL

from custom_components.grandstream_gxp.const import CONF_ADVANCED, CONF_MODEL, DOMAIN
from custom_components.grandstream_gxp.coordinator import GxpConfigEntry
from custom_components.grandstream_gxp.cti import (
    CtiClient,
    CtiError,
    CtiKeyError,
    Family,
    KeyTable,
)
from custom_components.grandstream_gxp.cti.url import Encoded, build_url
from custom_components.grandstream_gxp.diagnostics import (
    async_get_config_entry_diagnostics,
)
from gxp_simulator import SimulatedPhone

from .common import device_id_of
from .conftest import MAC, PASSWORD
from .simulator.tls import self_signed_server_context

SECRETS = (PASSWORD, quote(PASSWORD, safe=""), quote(PASSWORD), quote_plus(PASSWORD))

# Values a user (or an automation fed from outside) might put where a number goes.
HOSTILE = [
    "1001&passcode=x",
    "1001&cmd=endcall",
    "../../cgi-bin/api-sys_operation?request=REBOOT",
    "%23",
    "1001%26passcode%3Dx",
    "1001#fragment",
    "1001\r\nX-Injected: 1",
    "1001\n",
    "1001;1002",
    "ūnïcødé☎",
    "1001 OR 1=1",
    "1001/../..",
    "\x00",
]


def assert_no_secret(text: str) -> None:
    """Fail when the password shows in `text` in any encoding."""
    assert not any(secret in text for secret in SECRETS), text[:300]


def exception_texts(err: BaseException) -> str:
    """Return str() and repr() of an exception and of everything it was raised from."""
    texts = []
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), repr(current.args)]
        current = current.__cause__ or current.__context__
    return "\n".join(texts)


def device_id(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return the phone's device id."""
    return device_id_of(hass, entry)


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """Yield a plain aiohttp session for library-level tests."""
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
def client(session: aiohttp.ClientSession, sim: SimulatedPhone) -> CtiClient:
    """Return a client for the simulated phone, with the hard test password."""
    return CtiClient(
        session,
        sim.host,
        port=sim.port,
        password=PASSWORD,
        timeout=0.5,
        key_table=KeyTable(Family.GXP21XX),
    )


# --- what reaches the wire ------------------------------------------------------


@pytest.mark.parametrize("number", HOSTILE)
async def test_a_number_reaches_the_phone_as_one_value(
    client: CtiClient, sim: SimulatedPhone, number: str
) -> None:
    """`api-make_call` gets exactly passcode and phonenumber; the number is one value.

    The client sends the number as typed (percent-encoded); what the phone does with it
    is the phone's business, but it can neither add a parameter nor change the path.
    """
    sim.phone.requests.clear()
    # The phone may refuse to dial it (Click-To-Dial is off): that is fine.
    with contextlib.suppress(CtiError):
        await client.make_call(number)
    record = sim.phone.requests.last()
    assert record is not None
    assert record.path == "/cgi-bin/api-make_call"
    assert dict(record.query) == {"passcode": PASSWORD, "phonenumber": number.strip()}
    assert record.raw_query.count("&") == 1
    assert record.raw_query.startswith(f"passcode={quote(PASSWORD, safe='')}&")
    assert len(sim.phone.requests) == 1
    assert sim.phone.reboots == 0


@pytest.mark.parametrize("text", [*HOSTILE, "1 & 2", "XFER:passcode=x", "HOLD?x=1"])
async def test_keys_that_are_not_keys_are_refused_before_sending(
    client: CtiClient, sim: SimulatedPhone, text: str
) -> None:
    r"""Key text and key tokens go through the key table: only key names are sent.

    Text may still be keys (`"1001\n"` is four digits and a separator); then only the
    tokens travel, in the one `keys` value.
    """
    sim.phone.requests.clear()
    try:
        await client.send_keys(text)
    except CtiKeyError:
        assert len(sim.phone.requests) == 0
    else:
        record = sim.phone.requests.last()
        assert record is not None
        assert set(record.query) == {"passcode", "keys"}
        assert re.fullmatch(r"[A-Z0-9]+(:[A-Z0-9#]+)*|#", record.query["keys"])
    sim.phone.requests.clear()
    with pytest.raises(CtiKeyError):
        await client.send_keys([text])
    with pytest.raises(CtiKeyError):
        await client.send_keys(["1", text, "2"])
    assert len(sim.phone.requests) == 0


async def test_keys_arrive_as_one_value(client: CtiClient, sim: SimulatedPhone) -> None:
    """`#` travels as %23 and `:` joins keys inside the one `keys` value."""
    await client.send_keys("1# *")
    record = sim.phone.requests.last("api-send_key")
    assert record is not None
    assert dict(record.query) == {"passcode": PASSWORD, "keys": "1:#:STAR"}
    assert record.raw_query.endswith("&keys=1:%23:STAR")


@pytest.mark.parametrize(
    "wire", ["TRANSFER&passcode=x", "XFER/../x", "X#Y", "X Y", "X\nY", "X%26Y", ""]
)
def test_key_overrides_cannot_smuggle_parameters(wire: str) -> None:
    """An override's wire name is a plain key name or exactly %23."""
    with pytest.raises(ValueError):
        KeyTable(Family.GXP21XX, {"XFER": wire})


@pytest.mark.parametrize("value", ["1&x=2", "1#2", "1 2", "1/2", "1?2", "é", "1\n"])
def test_pre_encoded_values_are_checked(value: str) -> None:
    """The one door around percent-encoding (`Encoded`) admits encoded text only."""
    with pytest.raises(ValueError, match="unsafe"):
        build_url(URL("http://127.0.0.1"), "/x", [("k", Encoded(value))])


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1/cgi-bin/api-sys_operation?request=REBOOT#",
        "admin:secret@127.0.0.1",
        "127.0.0.1?passcode=x",
        "127.0.0.1 127.0.0.2",
        "",
        "127.0.0.1:99999",
        "127.0.0.1:80x",
    ],
)
def test_a_host_cannot_carry_a_path_or_credentials(
    session: aiohttp.ClientSession, host: str
) -> None:
    """The address is a host and a port, nothing else."""
    with pytest.raises(ValueError):
        CtiClient(session, host, password=PASSWORD)


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ("dial", "number"),
        ("transfer", "number"),
        ("send_dtmf", "digits"),
        ("send_key", "keys"),
    ],
)
@pytest.mark.parametrize("value", HOSTILE[:-1])  # "\x00" fails the schema earlier
async def test_actions_send_hostile_values_as_digits_or_not_at_all(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    init_integration: MockConfigEntry,
    *,
    action: str,
    field: str,
    value: str,
) -> None:
    r"""Every action that takes text refuses these, or sends only digits and key names.

    Numbers lose their separators (`1001/../..` dials 1001) and key text may still be
    keys (`1001\n`); anything else is refused with a translated error before sending.
    """
    target = device_id(hass, init_integration)
    sim.phone.requests.clear()
    refused: ServiceValidationError | None = None
    try:
        await hass.services.async_call(
            DOMAIN, action, {ATTR_DEVICE_ID: target, field: value}, blocking=True
        )
    except vol.Invalid:
        # The action's schema refuses numbers and digits before anything runs.
        assert action != "send_key"
    except ServiceValidationError as err:
        refused = err
    if refused is not None:
        assert refused.translation_domain == DOMAIN
        assert refused.translation_key in {
            "invalid_number",
            "unknown_key",
            "no_connected_call",  # a valid number, but nothing to transfer
        }
    for record in sim.phone.requests:
        allowed = WIRE_VALUES[record.endpoint]
        assert set(record.query) <= {"passcode", *allowed}, record
        assert record.query["passcode"] == PASSWORD
        for name, pattern in allowed.items():
            assert re.fullmatch(pattern, record.query.get(name, "")), record


# What each endpoint may receive besides the passcode, as patterns of whole values.
WIRE_VALUES: dict[str, dict[str, str]] = {
    "api-get_line_status": {},
    "api-get_accounts": {},
    "api-make_call": {"phonenumber": r"\+?[0-9*#]+", "account": r"[0-9]*"},
    "api-send_key": {"keys": r"[A-Z0-9#]+(:[A-Z0-9#]+)*"},
}


# --- the password never shows ---------------------------------------------------


async def test_reprs_never_show_the_password(
    hass: HomeAssistant, init_integration: GxpConfigEntry
) -> None:
    """Client, runtime data, coordinator, controller, key table, models, entry."""
    runtime = init_integration.runtime_data
    coordinator = runtime.coordinator
    await coordinator.async_refresh()
    objects: list[Any] = [
        runtime,
        runtime.client,
        runtime.controller,
        runtime.client.key_table,
        coordinator,
        coordinator.data,
        *coordinator.data.lines,
        *coordinator.data.accounts,
        init_integration,
        runtime.client.base_url,
    ]
    for thing in objects:
        assert_no_secret(repr(thing))
        assert_no_secret(str(thing))
    async with runtime.client.session() as web:
        assert_no_secret(repr(web))


async def test_diagnostics_never_show_the_password(
    hass: HomeAssistant, init_integration: GxpConfigEntry
) -> None:
    """The whole diagnostics document, in any encoding of the password."""
    diagnostics = await async_get_config_entry_diagnostics(hass, init_integration)
    assert diagnostics  # something to look at
    assert_no_secret(json.dumps(diagnostics, default=str))


FAULTS: dict[str, dict[str, Any]] = {
    "http_401": {"http_status": 401},
    "http_403": {"http_status": 403},
    "http_500": {"http_status": 500},
    "login_page": {"login_page": True},
    "truncated_json": {"truncated_json": True},
    "wrong_types": {"wrong_types": True},
    "timeout": {"no_answer": True},
}


@pytest.mark.parametrize("fault", [*FAULTS, "refused", "wrong_password", "tls"])
async def test_errors_never_show_the_password(
    client: CtiClient,
    session: aiohttp.ClientSession,
    sim: SimulatedPhone,
    fault: str,
) -> None:
    """str() and repr() of every library error, down its whole chain."""
    used = client
    if fault == "refused":
        await sim.stop_listening()
    elif fault == "wrong_password":
        sim.phone.auth.password = "something else"  # noqa: S105
    elif fault == "tls":
        # Speaking TLS to a plain HTTP server fails inside aiohttp's SSL layer.
        used = CtiClient(
            session, sim.host, port=sim.port, password=PASSWORD, https=True, timeout=0.5
        )
    else:
        sim.phone.set_faults(**FAULTS[fault])
    calls = [
        used.get_line_status(),
        used.get_accounts(),
        used.send_keys("1"),
        used.make_call("1001"),
        used.identify(login=True),
    ]
    failures = 0
    for call in calls:
        # A command may still pass (the body type does not matter to it).
        try:
            await call
        except CtiError as err:
            failures += 1
            assert_no_secret(exception_texts(err))
    assert failures >= 2


@pytest.mark.parametrize("fault", ["http_500", "timeout", "refused", "wrong_password"])
async def test_home_assistant_errors_never_show_the_password(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    init_integration: MockConfigEntry,
    fault: str,
) -> None:
    """What an action raises and what a failed poll keeps, with their causes."""
    if fault == "refused":
        await sim.stop_listening()
    elif fault == "wrong_password":
        sim.phone.auth.password = "something else"  # noqa: S105
    elif fault == "timeout":
        sim.phone.set_faults(latency=20)
    else:
        sim.phone.set_faults(**FAULTS[fault])
    coordinator = init_integration.runtime_data.coordinator
    init_integration.runtime_data.client._timeout = aiohttp.ClientTimeout(total=0.3)

    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN,
            "dial",
            {ATTR_DEVICE_ID: device_id(hass, init_integration), "number": "1001"},
            blocking=True,
        )
    assert_no_secret(exception_texts(raised.value))
    await coordinator.async_refresh()
    assert coordinator.last_exception is not None
    assert_no_secret(exception_texts(coordinator.last_exception))
    sim.phone.clear_faults()


# --- the webhook -------------------------------------------------------------------


def _hook(entry: GxpConfigEntry) -> str:
    return f"/api/webhook/{entry.data['webhook_id']}"


@pytest.mark.parametrize(
    "remote", ["203.0.113.7", "8.8.8.8", "2a00:1450:4001:800::200e", "100.64.0.1"]
)
async def test_webhook_ignores_callers_outside_the_local_network(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: SimulatedPhone,
    init_integration: GxpConfigEntry,
    remote: str,
) -> None:
    """A valid event from a public (or carrier-grade NAT) address changes nothing."""
    client = await hass_client()
    mac = MAC.replace(":", "")
    with patch(
        "homeassistant.components.webhook.ip_address", return_value=ip_address(remote)
    ):
        response = await client.get(
            f"{_hook(init_integration)}?e=incoming&m={mac}&r=1001"
        )
    await hass.async_block_till_done()
    assert response.status == 200
    coordinator = init_integration.runtime_data.coordinator
    assert coordinator.last_push_at is None
    assert (state := hass.states.get("sensor.grandstream_gxp2170_line_1"))
    assert state.state == "idle"


async def test_webhook_unknown_and_oversized_parameters(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: SimulatedPhone,
    init_integration: GxpConfigEntry,
) -> None:
    """Unknown keys go nowhere; an oversized value voids the event; a huge request dies.

    A request over the HTTP server's line limit never reaches the integration.
    """
    client = await hass_client()
    mac = MAC.replace(":", "")
    coordinator = init_integration.runtime_data.coordinator
    hook = _hook(init_integration)

    junk = "&".join(f"x{i}={'y' * 50}" for i in range(30))
    response = await client.get(f"{hook}?e=incoming&m={mac}&r=1001&{junk}")
    await hass.async_block_till_done()
    assert response.status == 200
    assert coordinator.last_push_at is not None  # the event itself was fine
    assert (state := hass.states.get("event.grandstream_gxp2170_call"))
    assert not any(key.startswith("x") for key in state.attributes)

    coordinator.last_push_at = None
    response = await client.get(f"{hook}?e=missed&m={mac}&n={'N' * 257}")
    assert response.status == 200
    assert coordinator.last_push_at is None

    # Longer than the phone could ever send, though each value would pass.
    junk = "&".join(f"x{i}={'y' * 200}" for i in range(10))
    response = await client.get(f"{hook}?e=missed&m={mac}&{junk}")
    assert response.status == 200
    assert coordinator.last_push_at is None


# --- verify_ssl ---------------------------------------------------------------------


@pytest.fixture
async def https_sim(
    hass: HomeAssistant, socket_enabled: None, tmp_path: Path
) -> AsyncIterator[SimulatedPhone]:
    """Run a phone that answers HTTPS only, with a self-signed certificate.

    A client refusing the certificate aborts the handshake; the phone's side of that
    is reported to the event loop (in debug mode), which would fail the test although
    it is what the test wants. Only that report is dropped.
    """
    loop = asyncio.get_running_loop()
    handler = loop.get_exception_handler()

    def drop_refused_handshakes(
        loop: asyncio.AbstractEventLoop, context: dict[str, Any]
    ) -> None:
        if context.get("message", "").startswith(
            "Error on transport creation for incoming connection"
        ) and isinstance(context.get("exception"), (OSError, ssl.SSLError)):
            return
        if handler is None:
            loop.default_exception_handler(context)
        else:
            handler(loop, context)

    loop.set_exception_handler(drop_refused_handshakes)
    async with SimulatedPhone.start(
        "GXP2170",
        password=PASSWORD,
        mac=MAC,
        ssl_context=self_signed_server_context(tmp_path),
        no_key_entry_timeout=None,
        setup="readme",
        timing="instant",
    ) as phone:
        yield phone
    loop.set_exception_handler(handler)


@pytest.mark.parametrize(
    ("verify", "expected"), [(True, "cannot_connect"), (False, None)]
)
async def test_verify_ssl_is_honoured_by_the_config_flow(
    hass: HomeAssistant,
    https_sim: SimulatedPhone,
    verify: bool,
    expected: str | None,
) -> None:
    """A self-signed phone: refused when verifying, accepted when not."""
    assert https_sim.base_url.startswith("https://")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    https_sim.phone.requests.clear()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: f"{https_sim.host}:{https_sim.port}",
            CONF_PASSWORD: PASSWORD,
            CONF_ADVANCED: {CONF_SSL: True, CONF_VERIFY_SSL: verify},
        },
    )
    if expected is None:
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"][CONF_VERIFY_SSL] is False
        await hass.async_block_till_done()
        entry = result["result"]
        assert entry.state is ConfigEntryState.LOADED
        await hass.config_entries.async_unload(entry.entry_id)
        return
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOST: expected}
    # The handshake failed: no request (and so no password) reached the phone.
    assert len(https_sim.phone.requests) == 0


@pytest.mark.parametrize(
    ("verify", "state"),
    [(True, ConfigEntryState.SETUP_RETRY), (False, ConfigEntryState.LOADED)],
)
async def test_verify_ssl_is_honoured_by_setup(
    hass: HomeAssistant,
    https_sim: SimulatedPhone,
    verify: bool,
    state: ConfigEntryState,
) -> None:
    """An entry that verifies certificates does not talk to a self-signed phone."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Grandstream GXP2170",
        unique_id=MAC,
        data={
            CONF_HOST: https_sim.host,
            CONF_PORT: https_sim.port,
            CONF_PASSWORD: PASSWORD,
            CONF_SSL: True,
            CONF_VERIFY_SSL: verify,
            CONF_MODEL: "GXP2170",
        },
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is state
    if verify:
        assert entry.error_reason_translation_key == "cannot_connect"
        assert len(https_sim.phone.requests) == 0
    else:
        assert https_sim.phone.requests.count("api-get_line_status") >= 1
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
