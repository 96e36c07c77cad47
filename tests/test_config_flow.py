"""The config flow and the options flow, against the simulated phone over loopback."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
import json
import logging
from pathlib import Path
import re
import sys
from types import ModuleType
from typing import Any
from unittest.mock import AsyncMock, patch
from urllib.parse import quote, quote_plus

from homeassistant.config_entries import SOURCE_DHCP, SOURCE_USER, ConfigFlowResult
from homeassistant.const import (
    CONF_HOST,
    CONF_MAC,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_SCAN_INTERVAL,
    CONF_SSL,
    CONF_VERIFY_SSL,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

from custom_components.grandstream_gxp.config_flow import (
    _MAC_SCHEMA,
    _PASSWORD_SCHEMA,
    OPTIONS_SCHEMA,
    _connection_schema,
    _discovery_schema,
)
from custom_components.grandstream_gxp.const import (
    CONF_ADVANCED,
    CONF_AUTO_ATTENDED_TRANSFER,
    CONF_FIRMWARE,
    CONF_KEY_OVERRIDES,
    CONF_KEYS_ONLY,
    CONF_MODEL,
    CONF_SWAP_METHOD,
    CONF_VOICE_SENTENCES,
    CONF_WRITE_ACTION_URLS,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    REQUEST_TIMEOUT,
)
from custom_components.grandstream_gxp.cti import (
    CtiClient,
    CtiConnectionError,
    InfoSource,
    PhoneIdentity,
    Sourced,
)
from custom_components.grandstream_gxp.cti.call_control import SwapMethod
from gxp_simulator import SimulatedPhone
from gxp_simulator.profiles import GXP2170

from .conftest import MAC, PASSWORD
from .simulator.tls import self_signed_server_context

CONNECTION = "custom_components.grandstream_gxp.connection"
COMPONENT = Path("custom_components") / DOMAIN
USER_PASSWORD = "user-pw 7"  # noqa: S105 - the phone's user-level password
OTHER_MAC = "00:0b:82:aa:bb:cc"
SECRETS = (PASSWORD, quote(PASSWORD, safe=""), quote_plus(PASSWORD))
NO_ADVANCED: dict[str, Any] = {CONF_ADVANCED: {}}


@pytest.fixture(autouse=True)
def no_password_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Log everything at debug level and check that the password never shows."""
    caplog.set_level(logging.DEBUG)
    yield
    formatter = logging.Formatter("%(name)s %(message)s")
    for record in caplog.get_records("setup") + caplog.get_records("call"):
        text = formatter.format(record)  # with the traceback, if any
        assert not any(secret in text for secret in SECRETS), text


@pytest.fixture
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Set entries up without talking to the phone (the flow is what is tested)."""
    with patch(
        "custom_components.grandstream_gxp.async_setup_entry", return_value=True
    ) as mocked:
        yield mocked


@contextmanager
def default_port(port: int) -> Iterator[None]:
    """Send requests that name no port to `port`.

    A discovered phone is reached on the scheme's default port (80/443), where the
    simulator cannot listen; only the port changes, the real client still talks to
    the simulated phone.
    """
    real = CtiClient

    def client(*args: Any, **kwargs: Any) -> CtiClient:
        if kwargs.get("port") is None:
            kwargs["port"] = port
        return real(*args, **kwargs)

    with patch(f"{CONNECTION}.CtiClient", side_effect=client):
        yield


def suggested(schema: Any) -> dict[str, Any]:
    """Return the suggested values of a form schema (sections as nested dicts)."""
    values: dict[str, Any] = {}
    for marker, value in schema.schema.items():
        if isinstance(value, section):
            values[marker.schema] = suggested(value.schema)
        elif marker.description and "suggested_value" in marker.description:
            values[marker.schema] = marker.description["suggested_value"]
    return values


def assert_form(
    result: ConfigFlowResult, step_id: str, errors: dict[str, str] | None = None
) -> None:
    """Check a form result, and that it shows the password nowhere."""
    assert result["type"] is FlowResultType.FORM, result
    assert result["step_id"] == step_id
    if errors is None:
        assert not result.get("errors")
    else:
        assert result["errors"] == errors
    shown = repr(result.get("description_placeholders")) + repr(
        suggested(result["data_schema"])
    )
    assert not any(secret in shown for secret in SECRETS), shown


def advanced_section(result: ConfigFlowResult) -> section:
    """Return the form's collapsible connection section."""
    schema = result["data_schema"]
    assert schema is not None
    value = schema.schema[CONF_ADVANCED]
    assert isinstance(value, section)
    return value


def dhcp_info(ip: str = "127.0.0.1", mac: str = MAC) -> DhcpServiceInfo:
    """Return what DHCP discovery reports (MAC as lower-case hex without colons)."""
    return DhcpServiceInfo(
        ip=ip, hostname="gxp-phone", macaddress=mac.replace(":", "").lower()
    )


def without_webhook_id(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return entry data without its webhook id, after checking that it is a fresh one."""
    rest = dict(data)
    webhook_id = rest.pop(CONF_WEBHOOK_ID)
    assert re.fullmatch(r"[0-9a-f]{64}", webhook_id)
    return rest


def entry_for(sim: SimulatedPhone, **changes: Any) -> MockConfigEntry:
    """Return a config entry for the simulated phone, with some data changed."""
    unique_id = changes.pop("unique_id", MAC)
    return MockConfigEntry(
        domain=DOMAIN,
        title="Grandstream GXP2170",
        unique_id=unique_id,
        data={
            CONF_HOST: sim.host,
            CONF_PORT: sim.port,
            CONF_PASSWORD: PASSWORD,
            CONF_SSL: False,
            CONF_VERIFY_SSL: False,
            CONF_MODEL: "GXP2170",
            **changes,
        },
    )


async def start_user_flow(hass: HomeAssistant) -> ConfigFlowResult:
    """Open the user step and check its empty form."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert_form(result, "user", {})
    return result


def api_requests(sim: SimulatedPhone) -> list[str]:
    """Return the endpoints the phone was asked, in order (`/` for the web root)."""
    return [rec.endpoint or "/" for rec in sim.phone.requests]


# --- user step ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone_model", "firmware"),
    [("GXP2170", "1.0.11.16"), ("GXP1165", "1.0.8.9"), ("GRP2614", "1.0.5.15")],
)
async def test_user_creates_entry(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    mock_setup_entry: AsyncMock,
    phone_model: str,
    firmware: str,
) -> None:
    """Host with port and password: a status read, one login for the MAC, an entry.

    The login's firmware is stored (the GXP1165's Server header names none); the
    title is the model and account 1's extension.
    """
    result = await start_user_flow(hass)
    advanced = advanced_section(result)
    assert advanced.options["collapsed"] is True

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: f"{sim.host}:{sim.port}",
            CONF_PASSWORD: PASSWORD,
            **NO_ADVANCED,
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["title"] == f"{phone_model} 1001"
    assert without_webhook_id(result["data"]) == {
        CONF_HOST: sim.host,
        CONF_PORT: sim.port,
        CONF_PASSWORD: PASSWORD,
        CONF_SSL: False,
        CONF_VERIFY_SSL: False,
        CONF_MODEL: phone_model,
        CONF_FIRMWARE: firmware,
    }
    assert result["result"].unique_id == MAC
    assert api_requests(sim) == [
        "api-get_line_status",
        "access",
        "dologin",
        "dologout",
        "api-get_accounts",
    ]
    assert len(mock_setup_entry.mock_calls) == 1


async def test_user_host_without_port(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """A host without a port is stored with port None (the scheme's default)."""
    result = await start_user_flow(hass)
    with default_port(sim.port):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: f" {sim.host} ", CONF_PASSWORD: PASSWORD, **NO_ADVANCED},
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["data"][CONF_HOST] == sim.host
    assert result["data"][CONF_PORT] is None


async def test_user_https_settings_are_stored(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """The section's HTTPS switches are stored flat; a plain HTTP phone cannot answer."""
    result = await start_user_flow(hass)
    user_input = {
        CONF_HOST: f"{sim.host}:{sim.port}",
        CONF_PASSWORD: PASSWORD,
        CONF_ADVANCED: {CONF_SSL: True, CONF_VERIFY_SSL: True},
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert_form(result, "user", {CONF_HOST: "cannot_connect"})
    assert suggested(result["data_schema"]) == {
        CONF_HOST: f"{sim.host}:{sim.port}",
        CONF_ADVANCED: {CONF_SSL: True, CONF_VERIFY_SSL: True},
    }

    # The simulator has no HTTPS; check what the flow builds and stores.
    info = PhoneIdentity(
        model=Sourced(value="GRP2614", source=InfoSource.SERVER_HEADER),
        mac=Sourced(value=MAC, source=InfoSource.LOGIN),
    )
    with (
        patch(f"{CONNECTION}.CtiClient", autospec=True) as client_cls,
        patch(f"{CONNECTION}.async_get_clientsession") as get_session,
    ):
        client_cls.return_value.identify.return_value = info
        client_cls.return_value.get_accounts.return_value = []
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert without_webhook_id(result["data"]) == {
        CONF_HOST: sim.host,
        CONF_PORT: sim.port,
        CONF_PASSWORD: PASSWORD,
        CONF_SSL: True,
        CONF_VERIFY_SSL: True,
        CONF_MODEL: "GRP2614",
    }
    assert result["title"] == "GRP2614 34:56"
    get_session.assert_called_once_with(hass, verify_ssl=True)
    client_cls.assert_called_once_with(
        get_session.return_value,
        sim.host,
        password=PASSWORD,
        port=sim.port,
        https=True,
        verify_ssl=True,
        timeout=REQUEST_TIMEOUT,
        key_table=None,
    )
    client_cls.return_value.identify.assert_awaited_once_with(login=True)


@pytest.mark.parametrize(
    ("phone_settings", "wrong", "errors", "fix"),
    [
        pytest.param(
            {},
            {"password": "wrong"},
            {CONF_PASSWORD: "invalid_auth"},
            None,
            id="wrong_password",
        ),
        pytest.param(
            {"popup": True},
            {},
            {CONF_PASSWORD: "invalid_auth"},
            {"popup": False},
            id="popup_unauthorized",
        ),
        pytest.param(
            {"popup": True, "popup_variant": "forbidden"},
            {},
            {"base": "cti_disabled"},
            {"popup": False},
            id="popup_forbidden",
        ),
        pytest.param(
            {"action_uri_support": False},
            {},
            {"base": "cti_disabled"},
            {"action_uri_support": True},
            id="action_uri_off",
        ),
        pytest.param(
            {"allowed_ips": "192.0.2.1"},
            {},
            {"base": "cti_disabled"},
            {"allowed_ips": "127.0.0.1"},
            id="ip_not_allowed",
        ),
    ],
)
@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_refused_then_fixed(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    wrong: dict[str, str],
    errors: dict[str, str],
    fix: dict[str, Any] | None,
) -> None:
    """A refusal shows once per submit (no retry, no login); the fixed phone is added."""
    result = await start_user_flow(hass)
    user_input = {CONF_HOST: f"{sim.host}:{sim.port}", CONF_PASSWORD: PASSWORD}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**user_input, **wrong, **NO_ADVANCED}
    )
    assert_form(result, "user", errors)
    assert api_requests(sim) == ["api-get_line_status"]
    # The password is not sent back to the form; the rest is kept.
    assert suggested(result["data_schema"]) == {
        CONF_HOST: f"{sim.host}:{sim.port}",
        CONF_ADVANCED: {CONF_SSL: False, CONF_VERIFY_SSL: False},
    }

    if fix is not None:
        sim.phone.settings.update(**fix)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**user_input, **NO_ADVANCED}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["result"].unique_id == MAC


async def test_user_locked_phone_says_so(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """The fifth wrong password locks the phone: then even the right one is refused."""
    result = await start_user_flow(hass)
    user_input = {CONF_HOST: f"{sim.host}:{sim.port}", CONF_PASSWORD: PASSWORD}
    wrong = {**user_input, CONF_PASSWORD: "wrong"}
    for error in ["invalid_auth"] * 4 + ["phone_locked"]:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], wrong | NO_ADVANCED
        )
        assert_form(result, "user", {CONF_PASSWORD: error})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input | NO_ADVANCED
    )
    assert_form(result, "user", {CONF_PASSWORD: "phone_locked"})
    assert api_requests(sim) == ["api-get_line_status"] * 6


async def test_user_phone_down_then_up(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """Nothing listening: cannot_connect next to the host; works once the phone is up."""
    result = await start_user_flow(hass)
    user_input = {
        CONF_HOST: f"{sim.host}:{sim.port}",
        CONF_PASSWORD: PASSWORD,
        **NO_ADVANCED,
    }
    await sim.stop_listening()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert_form(result, "user", {CONF_HOST: "cannot_connect"})

    await sim.start_listening()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result


@pytest.mark.parametrize(
    "faults",
    [
        {"http_status": 500},
        {"login_page": True},
        {"truncated_json": True},
        {"wrong_types": True},
    ],
)
async def test_user_bad_answer_is_cannot_connect(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    mock_setup_entry: AsyncMock,
    faults: dict[str, Any],
) -> None:
    """An answer that is not the API's JSON counts as not reaching the phone."""
    result = await start_user_flow(hass)
    user_input = {
        CONF_HOST: f"{sim.host}:{sim.port}",
        CONF_PASSWORD: PASSWORD,
        **NO_ADVANCED,
    }
    sim.phone.set_faults(**faults, times=1)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert_form(result, "user", {CONF_HOST: "cannot_connect"})

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result


@pytest.mark.parametrize("phone_settings", [{"passcode_accepted": False}])
async def test_user_firmware_refusing_the_passcode(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """HTML 401 to the passcode: its own error, not `invalid_auth`, no login tried."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: f"{sim.host}:{sim.port}", CONF_PASSWORD: PASSWORD} | NO_ADVANCED,
    )
    assert_form(result, "user", {"base": "password_not_accepted"})
    assert api_requests(sim) == ["api-get_line_status"]


def keys_pressed(sim: SimulatedPhone) -> list[str]:
    """Return the `keys=` values the phone received (an empty one presses nothing)."""
    return [
        rec.query.get("keys", "")
        for rec in sim.phone.requests.for_endpoint("api-send_key")
    ]


@pytest.mark.parametrize("phone_model", ["GXP1165-KEYS"])
async def test_user_keys_only_phone_is_added(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """No line status (404): the password is checked by api-send_key with no key.

    The phone answers `unknown` to the empty key list and presses nothing; the entry
    says keys_only. No accounts to read: the title ends with the MAC.
    """
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: f"{sim.host}:{sim.port}", CONF_PASSWORD: PASSWORD} | NO_ADVANCED,
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["data"][CONF_KEYS_ONLY] is True
    assert result["data"][CONF_MODEL] == "GXP1165"
    assert result["title"] == f"GXP1165 {MAC[-5:].upper()}"
    assert api_requests(sim)[:2] == ["api-get_line_status", "api-send_key"]
    assert "api-get_accounts" not in api_requests(sim)
    assert keys_pressed(sim) == [""]
    assert sim.phone.queued_keys == []
    assert sim.phone.line_states() == ["idle", "idle"]


@pytest.mark.parametrize("phone_model", ["GXP1165-KEYS"])
async def test_user_keys_only_phone_wrong_password(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """A wrong password on the keys-only phone: invalid_auth, no key, no login."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: f"{sim.host}:{sim.port}", CONF_PASSWORD: "wrong"} | NO_ADVANCED,
    )

    assert_form(result, "user", {CONF_PASSWORD: "invalid_auth"})
    assert api_requests(sim) == ["api-get_line_status", "api-send_key"]
    assert keys_pressed(sim) == [""]
    assert sim.phone.queued_keys == []
    assert sim.phone.line_states() == ["idle", "idle"]
    assert not mock_setup_entry.mock_calls


async def test_user_unexpected_error(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    mock_setup_entry: AsyncMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An error the flow does not know is `unknown`, logged with its traceback."""
    result = await start_user_flow(hass)
    user_input = {
        CONF_HOST: f"{sim.host}:{sim.port}",
        CONF_PASSWORD: PASSWORD,
        **NO_ADVANCED,
    }
    with patch.object(CtiClient, "identify", side_effect=RuntimeError("boom")):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input
        )
    assert_form(result, "user", {"base": "unknown"})
    assert "Unexpected error testing the phone at" in caplog.text
    assert "RuntimeError: boom" in caplog.text

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result


@pytest.mark.parametrize(
    "host",
    [
        "http://127.0.0.1",
        "127.0.0.1/index.html",
        "phone:http",
        "phone:99999",
        "a b",
        "",
    ],
)
async def test_user_invalid_host(
    hass: HomeAssistant, sim: SimulatedPhone, host: str
) -> None:
    """A URL or a path instead of a host is refused before anything is sent."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: host, CONF_PASSWORD: PASSWORD, **NO_ADVANCED},
    )
    assert_form(result, "user", {CONF_HOST: "invalid_host"})
    assert api_requests(sim) == []


async def test_user_ipv6_host_with_port(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    """`[v6]:port` is split into the address and the port."""
    info = PhoneIdentity(mac=Sourced(value=MAC, source=InfoSource.LOGIN))
    result = await start_user_flow(hass)
    with (
        patch.object(CtiClient, "identify", return_value=info),
        patch.object(CtiClient, "get_accounts", return_value=[]),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: "[fe80::20b:82ff:fe12:3456]:8080", CONF_PASSWORD: "x"}
            | NO_ADVANCED,
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["data"][CONF_HOST] == "fe80::20b:82ff:fe12:3456"
    assert result["data"][CONF_PORT] == 8080
    # Unknown model: the host is the title.
    assert result["title"] == "fe80::20b:82ff:fe12:3456"
    assert result["data"][CONF_MODEL] is None


async def test_user_already_configured(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """The same phone (same MAC) at another address is not added twice."""
    entry_for(sim, **{CONF_HOST: "192.0.2.10", CONF_PORT: None}).add_to_hass(hass)
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: f"{sim.host}:{sim.port}", CONF_PASSWORD: PASSWORD, **NO_ADVANCED},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert not mock_setup_entry.mock_calls


@pytest.mark.parametrize("phone_model", ["GENERIC"])
async def test_user_unknown_model_uses_host_as_title(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """A phone whose Server header names no model: title is the host, model None."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: f"{sim.host}:{sim.port}", CONF_PASSWORD: PASSWORD, **NO_ADVANCED},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["title"] == sim.host
    assert result["data"][CONF_MODEL] is None
    assert result["result"].unique_id == MAC


# --- mac step ------------------------------------------------------------------


@pytest.mark.parametrize("phone_settings", [{"user_password": USER_PASSWORD}])
async def test_mac_step_when_login_reveals_nothing(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """With the user password the admin login fails: the MAC is asked for."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: f"{sim.host}:{sim.port}",
            CONF_PASSWORD: USER_PASSWORD,
            **NO_ADVANCED,
        },
    )
    assert_form(result, "mac", {})
    assert result["description_placeholders"] == {"name": "Grandstream GXP2170"}
    assert api_requests(sim) == [
        "api-get_line_status",
        "access",
        "dologin",
        "api-get_accounts",
    ]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MAC: "00:0B:82:12:34"}
    )
    assert_form(result, "mac", {CONF_MAC: "invalid_mac"})
    assert suggested(result["data_schema"]) == {CONF_MAC: "00:0B:82:12:34"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MAC: " 00-0B-82-12-34-56 "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["result"].unique_id == MAC
    assert result["title"] == "GXP2170 1001"
    assert result["data"][CONF_PASSWORD] == USER_PASSWORD
    # The flow made no further request to the phone.
    assert api_requests(sim) == [
        "api-get_line_status",
        "access",
        "dologin",
        "api-get_accounts",
    ]


@pytest.mark.parametrize("phone_settings", [{"user_password": USER_PASSWORD}])
async def test_mac_step_already_configured(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """A typed MAC that belongs to a configured phone aborts."""
    entry_for(sim).add_to_hass(hass)
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: f"{sim.host}:{sim.port}",
            CONF_PASSWORD: USER_PASSWORD,
            **NO_ADVANCED,
        },
    )
    assert_form(result, "mac", {})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MAC: "000b82123456"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# --- DHCP discovery ---------------------------------------------------------------


async def test_dhcp_new_phone(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """Probe without password, confirm with it; a wrong password shows on the form."""
    with default_port(sim.port):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info()
        )
        assert_form(result, "discovery_confirm", {})
        assert result["description_placeholders"] == {
            "name": "Grandstream GXP2170",
            "host": "127.0.0.1",
        }
        flow = hass.config_entries.flow.async_get(result["flow_id"])
        assert flow["context"]["title_placeholders"] == {
            "name": "Grandstream GXP2170",
            "host": "127.0.0.1",
        }
        assert flow["context"]["unique_id"] == MAC
        # Only the web root, without any credentials.
        assert [(rec.path, rec.raw_query) for rec in sim.phone.requests] == [("/", "")]
        assert sim.phone.auth.failures == 0

        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PASSWORD: "wrong"}
        )
        assert_form(result, "discovery_confirm", {CONF_PASSWORD: "invalid_auth"})

        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PASSWORD: PASSWORD}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["title"] == "GXP2170 1001"
    assert result["result"].unique_id == MAC
    assert without_webhook_id(result["data"]) == {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: None,
        CONF_PASSWORD: PASSWORD,
        CONF_SSL: False,
        CONF_VERIFY_SSL: False,
        CONF_MODEL: "GXP2170",
        CONF_FIRMWARE: "1.0.11.16",
    }
    # The MAC came from DHCP: no web login.
    assert api_requests(sim) == [
        "/",
        "api-get_line_status",
        "api-get_line_status",
        "api-get_accounts",
    ]


async def test_dhcp_confirm_errors(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """Errors without a field of their own show above the password form."""
    with default_port(sim.port):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info()
        )
        sim.phone.settings.update(action_uri_support=False)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PASSWORD: PASSWORD}
        )
        assert_form(result, "discovery_confirm", {"base": "cti_disabled"})

        await sim.stop_listening()
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PASSWORD: PASSWORD}
        )
        assert_form(result, "discovery_confirm", {"base": "cannot_connect"})


async def test_dhcp_known_phone_updates_host(
    hass: HomeAssistant, sim: SimulatedPhone
) -> None:
    """A configured phone with a new address: host updated, nothing sent to it."""
    entry = entry_for(sim, **{CONF_HOST: "192.0.2.10"})
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info(ip="192.0.2.20")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == "192.0.2.20"
    assert entry.data[CONF_PORT] == sim.port
    assert api_requests(sim) == []


@pytest.mark.parametrize(
    "profile",
    [
        pytest.param(
            GXP2170.with_changes(server_header="Grandstream HT814 1.0.3.2"), id="ata"
        ),
        pytest.param(
            GXP2170.with_changes(server_header="Grandstream GSC3610 1.0.1.1"),
            id="camera",
        ),
        pytest.param(
            GXP2170.with_changes(server_header="lighttpd/1.4.35"), id="other_server"
        ),
        pytest.param(GXP2170.with_changes(server_header=""), id="no_header"),
        pytest.param("GENERIC", id="no_model"),
    ],
)
async def test_dhcp_not_a_desk_phone(
    hass: HomeAssistant, socket_enabled: None, profile: Any
) -> None:
    """Other Grandstream devices abort without ever getting a password."""
    async with SimulatedPhone.start(
        profile, password=PASSWORD, mac=MAC, setup="readme", timing="instant"
    ) as other:
        with default_port(other.port):
            result = await hass.config_entries.flow.async_init(
                DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info()
            )
        records = [(rec.path, rec.raw_query) for rec in other.phone.requests]
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_supported"
    assert records == [("/", "")]


async def test_dhcp_no_answer(
    hass: HomeAssistant, sim: SimulatedPhone, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing answers on HTTP nor HTTPS: not supported."""
    await sim.stop_listening()
    with default_port(sim.port):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info()
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_supported"
    assert f"No answer from http://127.0.0.1:{sim.port}" in caplog.text
    assert f"No answer from https://127.0.0.1:{sim.port}" in caplog.text


async def test_dhcp_https_only_phone(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    """A phone whose web UI answers only HTTPS is added with HTTPS on."""
    https_info = PhoneIdentity(
        model=Sourced(value="GRP2614", source=InfoSource.SERVER_HEADER),
        server_header="Grandstream GRP2614 1.0.5.15",
    )
    calls: list[bool] = []

    async def probe(self: CtiClient) -> PhoneIdentity:
        calls.append(self.base_url.scheme == "https")
        if self.base_url.scheme == "http":
            raise CtiConnectionError("refused")
        return https_info

    with patch.object(CtiClient, "identify_without_password", probe):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info(ip="192.0.2.30")
        )
    assert calls == [False, True]
    assert_form(result, "discovery_confirm", {})
    with (
        patch.object(CtiClient, "identify", return_value=PhoneIdentity()),
        patch.object(CtiClient, "get_accounts", return_value=[]),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PASSWORD: PASSWORD}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["title"] == "GRP2614 34:56"
    assert result["data"][CONF_SSL] is True
    assert result["data"][CONF_VERIFY_SSL] is False
    assert result["data"][CONF_MODEL] == "GRP2614"


async def test_dhcp_twice_while_in_progress(
    hass: HomeAssistant, sim: SimulatedPhone
) -> None:
    """A second discovery of the same phone waits for the first one."""
    with default_port(sim.port):
        first = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info()
        )
        second = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info()
        )
    assert first["type"] is FlowResultType.FORM
    assert second["type"] is FlowResultType.ABORT
    assert second["reason"] == "already_in_progress"


# --- MAC without a login, titles of phones of one model -------------------------------


@contextmanager
def dhcp_integration_knows(hass: HomeAssistant, ip: str, mac: str) -> Iterator[None]:
    """Pretend the dhcp integration runs and saw `mac` with `ip`.

    Its module cannot be imported in the tests (its packages are not installed);
    only its public `async_discovered_service_info` is used.
    """
    module = ModuleType("homeassistant.components.dhcp")
    setattr(
        module,
        "async_discovered_service_info",
        lambda _hass: [
            DhcpServiceInfo(ip="192.0.2.99", hostname="other", macaddress="0"),
            dhcp_info(ip=ip, mac=mac),
        ],
    )
    hass.config.components.add("dhcp")
    try:
        with patch.dict(sys.modules, {"homeassistant.components.dhcp": module}):
            yield
    finally:
        hass.config.components.remove("dhcp")


async def test_user_mac_from_dhcp_integration_needs_no_login(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """The dhcp integration saw the address: its MAC is used, no web login."""
    result = await start_user_flow(hass)
    with dhcp_integration_knows(hass, sim.host, MAC):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: f"{sim.host}:{sim.port}", CONF_PASSWORD: PASSWORD}
            | NO_ADVANCED,
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["result"].unique_id == MAC
    assert api_requests(sim) == ["api-get_line_status", "api-get_accounts"]
    assert sim.phone.auth.failures == 0
    # The Server header's firmware, since there was no login.
    assert result["data"][CONF_FIRMWARE] == "1.0.11.16"


async def test_user_dhcp_data_of_another_address_means_a_login(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """The dhcp integration and a discovery know other addresses only: log in."""
    desk_phone = PhoneIdentity(
        model=Sourced(value="GXP2170", source=InfoSource.SERVER_HEADER)
    )
    with patch.object(CtiClient, "identify_without_password", return_value=desk_phone):
        discovered = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_DHCP},
            data=dhcp_info(ip="192.0.2.8", mac=OTHER_MAC),
        )
    assert_form(discovered, "discovery_confirm", {})
    result = await start_user_flow(hass)
    with dhcp_integration_knows(hass, "192.0.2.7", OTHER_MAC):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: f"{sim.host}:{sim.port}", CONF_PASSWORD: PASSWORD}
            | NO_ADVANCED,
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["result"].unique_id == MAC
    assert "dologin" in api_requests(sim)


async def test_user_mac_from_discovery_in_progress_needs_no_login(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """A DHCP discovery of the same address is waiting: its MAC is used."""
    with default_port(sim.port):
        discovered = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info()
        )
        assert_form(discovered, "discovery_confirm", {})
        result = await start_user_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: sim.host, CONF_PASSWORD: PASSWORD} | NO_ADVANCED,
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["result"].unique_id == MAC
    assert "dologin" not in api_requests(sim)
    # The discovery of the phone now added is gone.
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_two_phones_of_one_model_get_their_own_names(
    hass: HomeAssistant, sim: SimulatedPhone, socket_enabled: None
) -> None:
    """Two GXP2170: titles and device names from the extension, no `_2` entity ids."""
    second_mac = "00:0b:82:65:43:21"
    accounts = [{"sip_id": "1002", "registered": True}, {}]
    async with SimulatedPhone.start(
        "GXP2170",
        password=PASSWORD,
        mac=second_mac,
        accounts=accounts,
        setup="readme",
        timing="instant",
    ) as second:
        entries = []
        for phone in (sim, second):
            result = await start_user_flow(hass)
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"],
                {CONF_HOST: f"{phone.host}:{phone.port}", CONF_PASSWORD: PASSWORD}
                | NO_ADVANCED,
            )
            assert result["type"] is FlowResultType.CREATE_ENTRY, result
            entries.append(result["result"])
            await hass.async_block_till_done()
        assert [entry.title for entry in entries] == ["GXP2170 1001", "GXP2170 1002"]
        devices = dr.async_get(hass)
        names = [
            device.name
            for entry in entries
            for device in dr.async_entries_for_config_entry(devices, entry.entry_id)
        ]
        assert names == ["GXP2170 1001", "GXP2170 1002"]
        status_ids = sorted(
            entity.entity_id
            for entity in er.async_get(hass).entities.values()
            if entity.unique_id.endswith("_phone_status")
        )
        assert status_ids == [
            "sensor.gxp2170_1001_phone_status",
            "sensor.gxp2170_1002_phone_status",
        ]
        for entry in entries:
            await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


@pytest.mark.parametrize(
    "phone_settings", [{"accounts": [{"sip_id": " "}, {"sip_id": ""}]}]
)
async def test_title_without_extension_uses_the_mac(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """No account has a SIP id: the MAC's last bytes tell the phones apart."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: f"{sim.host}:{sim.port}", CONF_PASSWORD: PASSWORD} | NO_ADVANCED,
    )
    assert result["title"] == "GXP2170 34:56"


@pytest.mark.parametrize(
    ("accounts_readable", "title"),
    [(True, "GXP2170 1001 34:56"), (False, "GXP2170 34:56")],
)
async def test_title_taken_or_no_accounts(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    mock_setup_entry: AsyncMock,
    accounts_readable: bool,
    title: str,
) -> None:
    """A title another phone has gets the MAC's last bytes; unread accounts too."""
    other = entry_for(sim, unique_id=OTHER_MAC, **{CONF_HOST: "192.0.2.10"})
    other.add_to_hass(hass)
    hass.config_entries.async_update_entry(other, title="GXP2170 1001")
    result = await start_user_flow(hass)
    failure = None if accounts_readable else CtiConnectionError("gone")
    with (
        patch.object(CtiClient, "get_accounts", side_effect=failure, autospec=True)
        if failure
        else nullcontext()
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: f"{sim.host}:{sim.port}", CONF_PASSWORD: PASSWORD}
            | NO_ADVANCED,
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["title"] == title


# --- HTTPS-only phones -------------------------------------------------------------


def redirect_probe(model: str | None) -> Any:
    """Return a `probe` for a phone whose HTTP web root redirects to HTTPS."""

    async def probe(self: CtiClient) -> PhoneIdentity:
        if self.base_url.scheme == "http":
            return PhoneIdentity(
                model=Sourced(value=model, source=InfoSource.SERVER_HEADER)
                if model
                else None,
                https_redirect=True,
            )
        return PhoneIdentity(
            model=Sourced(value="GRP2614", source=InfoSource.SERVER_HEADER)
        )

    return probe


@pytest.mark.parametrize("redirect_model", ["GRP2614", None])
async def test_dhcp_redirect_to_https_is_stored_as_https(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, redirect_model: str | None
) -> None:
    """Port 80 answers with a redirect to HTTPS: the phone is added on HTTPS."""
    with patch.object(
        CtiClient, "identify_without_password", redirect_probe(redirect_model)
    ):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info(ip="192.0.2.30")
        )
    assert_form(result, "discovery_confirm", {})
    schema = result["data_schema"]
    assert schema is not None
    assert schema({CONF_PASSWORD: "x"})[CONF_SSL] is True
    with (
        patch.object(CtiClient, "identify", return_value=PhoneIdentity()),
        patch.object(CtiClient, "get_accounts", return_value=[]),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PASSWORD: PASSWORD, CONF_SSL: True}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["data"][CONF_SSL] is True
    assert result["data"][CONF_MODEL] == "GRP2614"


async def test_dhcp_confirm_can_choose_https(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """The confirmation's HTTPS switch is what the entry stores."""
    with default_port(sim.port):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info()
        )
    schema = result["data_schema"]
    assert schema is not None
    assert schema({CONF_PASSWORD: "x"})[CONF_SSL] is False
    schemes: list[str] = []

    async def identify(self: CtiClient, login: bool = False) -> PhoneIdentity:
        schemes.append(self.base_url.scheme)
        return PhoneIdentity()

    with (
        patch.object(CtiClient, "identify", identify),
        patch.object(CtiClient, "get_accounts", return_value=[]),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PASSWORD: PASSWORD, CONF_SSL: True}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert schemes == ["https"]
    assert result["data"][CONF_SSL] is True


async def test_user_http_redirect_is_tried_on_https(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    """HTTP gives no API but redirects to HTTPS: the same submit tries HTTPS."""
    schemes: list[str] = []
    info = PhoneIdentity(mac=Sourced(value=MAC, source=InfoSource.LOGIN))

    async def identify(self: CtiClient, login: bool = False) -> PhoneIdentity:
        schemes.append(self.base_url.scheme)
        if self.base_url.scheme == "http":
            raise CtiConnectionError("a redirect, not the API")
        return info

    result = await start_user_flow(hass)
    with (
        patch.object(CtiClient, "identify", identify),
        patch.object(CtiClient, "identify_without_password", redirect_probe("GRP2614")),
        patch.object(CtiClient, "get_accounts", return_value=[]),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: "192.0.2.30", CONF_PASSWORD: PASSWORD} | NO_ADVANCED,
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert schemes == ["http", "https"]
    assert result["data"][CONF_SSL] is True


async def test_https_only_phone_behind_a_redirect(
    hass: HomeAssistant,
    socket_enabled: None,
    tmp_path: Path,
    mock_setup_entry: AsyncMock,
) -> None:
    """A real HTTPS-only phone: its plain-HTTP port redirects, the entry is HTTPS.

    The simulator answers HTTPS only and redirects plain HTTP to it (Web Access
    Mode HTTPS, [DOC S10] P1650); the user typed the plain-HTTP address.
    """
    context = self_signed_server_context(tmp_path)
    async with SimulatedPhone.start(
        "GXP2170",
        password=PASSWORD,
        mac=MAC,
        ssl_context=context,
        redirect_port=True,
        # Remote Control set up as the README says.
        allowed_ips="any",
        popup=False,
    ) as phone:
        redirect = URL(phone.redirect_url)
        result = await start_user_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: f"{redirect.host}:{redirect.port}", CONF_PASSWORD: PASSWORD}
            | NO_ADVANCED,
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["data"][CONF_SSL] is True
    assert result["data"][CONF_PORT] == phone.port
    assert result["result"].unique_id == MAC


async def test_user_http_down_without_redirect_is_cannot_connect(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """No API on HTTP and no redirect (or no answer at all): cannot_connect."""
    result = await start_user_flow(hass)
    user_input = {CONF_HOST: f"{sim.host}:{sim.port}", CONF_PASSWORD: PASSWORD}
    sim.phone.set_faults(http_status=500, times=1)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input | NO_ADVANCED
    )
    assert_form(result, "user", {CONF_HOST: "cannot_connect"})
    assert api_requests(sim) == ["api-get_line_status", "/"]


# --- reauthentication ---------------------------------------------------------------


async def test_reauth(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """A wrong new password shows next to the field; the right one is stored."""
    entry = entry_for(sim, **{CONF_PASSWORD: "old password"})
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert_form(result, "reauth_confirm", {})
    assert result["description_placeholders"] == {
        "name": "Grandstream GXP2170",
        "host": f"{sim.host}:{sim.port}",
    }

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "still wrong"}
    )
    assert_form(result, "reauth_confirm", {CONF_PASSWORD: "invalid_auth"})
    assert api_requests(sim) == ["api-get_line_status"]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: PASSWORD}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == PASSWORD
    assert entry.data[CONF_HOST] == sim.host
    # No web login: the entry already knows the phone.
    assert api_requests(sim) == ["api-get_line_status", "api-get_line_status"]
    assert len(mock_setup_entry.mock_calls) == 1


async def test_reauth_phone_unreachable(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """Connection problems show above the form; the password is kept as it was."""
    entry = entry_for(sim, **{CONF_PASSWORD: "old password"})
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    await sim.stop_listening()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: PASSWORD}
    )
    assert_form(result, "reauth_confirm", {"base": "cannot_connect"})
    assert entry.data[CONF_PASSWORD] == "old password"


# --- reconfiguration -----------------------------------------------------------------


async def test_reconfigure(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """The phone moved to another port: errors first, then the entry is updated."""
    entry = entry_for(sim, **{CONF_PORT: 1, CONF_MODEL: None})
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert_form(result, "reconfigure", {})
    assert result["description_placeholders"] == {"name": "Grandstream GXP2170"}
    assert suggested(result["data_schema"]) == {
        CONF_HOST: f"{sim.host}:1",
        CONF_ADVANCED: {CONF_SSL: False, CONF_VERIFY_SSL: False},
    }
    advanced = advanced_section(result)
    assert advanced.options["collapsed"] is True

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "http://phone/", **NO_ADVANCED}
    )
    assert_form(result, "reconfigure", {CONF_HOST: "invalid_host"})

    await sim.stop_listening()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: f"{sim.host}:{sim.port}", **NO_ADVANCED}
    )
    assert_form(result, "reconfigure", {CONF_HOST: "cannot_connect"})
    assert suggested(result["data_schema"])[CONF_HOST] == f"{sim.host}:{sim.port}"

    await sim.start_listening()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: f"{sim.host}:{sim.port}", **NO_ADVANCED}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert without_webhook_id(entry.data) == {
        CONF_HOST: sim.host,
        CONF_PORT: sim.port,
        CONF_PASSWORD: PASSWORD,
        CONF_SSL: False,
        CONF_VERIFY_SSL: False,
        CONF_MODEL: "GXP2170",
        CONF_FIRMWARE: "1.0.11.16",
    }
    assert entry.unique_id == MAC
    # The title stays; no accounts read.
    assert entry.title == "Grandstream GXP2170"
    assert api_requests(sim) == ["api-get_line_status", "access", "dologin", "dologout"]


async def test_reconfigure_another_phone(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """The address now leads to another phone (another MAC): nothing changes."""
    entry = entry_for(sim, unique_id=OTHER_MAC, **{CONF_HOST: "192.0.2.10"})
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: f"{sim.host}:{sim.port}", **NO_ADVANCED}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert entry.data[CONF_HOST] == "192.0.2.10"
    assert not mock_setup_entry.mock_calls


async def test_reconfigure_mac_from_dhcp_data_is_checked_without_login(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """The dhcp integration knows the new address: its MAC is checked, no login."""
    entry = entry_for(sim, unique_id=OTHER_MAC, **{CONF_HOST: "192.0.2.10"})
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    with dhcp_integration_knows(hass, sim.host, MAC):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: f"{sim.host}:{sim.port}", **NO_ADVANCED}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert entry.data[CONF_HOST] == "192.0.2.10"
    assert api_requests(sim) == ["api-get_line_status"]


async def test_reconfigure_stored_password_refused(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """The phone at the new address refuses the stored password: shown above the form."""
    entry = entry_for(sim, **{CONF_PASSWORD: "old password", CONF_SSL: True})
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    # HTTPS in use: the section opens by itself.
    advanced = advanced_section(result)
    assert advanced.options["collapsed"] is False
    assert suggested(result["data_schema"])[CONF_ADVANCED] == {
        CONF_SSL: True,
        CONF_VERIFY_SSL: False,
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: f"{sim.host}:{sim.port}", **NO_ADVANCED}
    )
    assert_form(result, "reconfigure", {"base": "invalid_auth"})
    assert entry.data[CONF_SSL] is True


@pytest.mark.parametrize(
    ("phone_model", "firmware"), [("GXP2170", "1.0.11.16"), ("GXP1165", None)]
)
@pytest.mark.parametrize("phone_settings", [{"user_password": USER_PASSWORD}])
async def test_reconfigure_without_mac_asks_and_checks_it(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    mock_setup_entry: AsyncMock,
    firmware: str | None,
) -> None:
    """A phone that does not tell its MAC: the MAC is asked for, and must match.

    Without a login only the Server header can name the firmware (the GXP1165's
    names none).
    """
    entry = entry_for(
        sim,
        unique_id=OTHER_MAC,
        **{CONF_PASSWORD: USER_PASSWORD, CONF_HOST: "192.0.2.10", CONF_PORT: None},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert suggested(result["data_schema"])[CONF_HOST] == "192.0.2.10"
    reconfigure = {CONF_HOST: f"{sim.host}:{sim.port}", **NO_ADVANCED}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], reconfigure
    )
    assert_form(result, "mac", {})
    # The phone's label says another MAC: this is another phone.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MAC: MAC}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert entry.data[CONF_HOST] == "192.0.2.10"

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], reconfigure
    )
    assert_form(result, "mac", {})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MAC: OTHER_MAC.upper()}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_HOST] == sim.host
    assert entry.data[CONF_PORT] == sim.port
    assert entry.unique_id == OTHER_MAC
    assert entry.data.get(CONF_FIRMWARE) == firmware


@pytest.mark.parametrize("phone_model", ["GENERIC"])
async def test_reconfigure_keeps_model_the_phone_does_not_name(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """A Server header without a model leaves the stored model alone."""
    entry = entry_for(sim, **{CONF_PORT: 1, CONF_MODEL: "GXP1628"})
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: f"{sim.host}:{sim.port}", **NO_ADVANCED}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_PORT] == sim.port
    assert entry.data[CONF_MODEL] == "GXP1628"


async def test_reconfigure_shows_ipv6_with_port(
    hass: HomeAssistant, sim: SimulatedPhone
) -> None:
    """An IPv6 address with a port is shown in brackets."""
    entry = entry_for(sim, **{CONF_HOST: "fe80::1", CONF_PORT: 8080})
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert suggested(result["data_schema"])[CONF_HOST] == "[fe80::1]:8080"


# --- options -----------------------------------------------------------------------------


async def test_options_defaults_and_save(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """The form shows the defaults; saving stores every option and reloads."""
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert len(mock_setup_entry.mock_calls) == 1

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert_form(result, "init", {})
    # The Action URLs to paste into the phone, one per slot, with this entry's webhook.
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    urls = placeholders["urls"]
    assert f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}?e=incoming&m=$mac" in urls
    assert "Incoming Call (P8310)" in urls
    assert suggested(result["data_schema"]) == {
        CONF_AUTO_ATTENDED_TRANSFER: True,
        CONF_SWAP_METHOD: "auto",
        CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL,
        CONF_KEY_OVERRIDES: "",
        CONF_WRITE_ACTION_URLS: False,
        CONF_VOICE_SENTENCES: True,
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_AUTO_ATTENDED_TRANSFER: False,
            CONF_SWAP_METHOD: "hold_key",
            CONF_SCAN_INTERVAL: 60.0,
            CONF_KEY_OVERRIDES: " xfer = transfer ; #=POUND\nstar=%23 ",
            CONF_WRITE_ACTION_URLS: True,
            CONF_VOICE_SENTENCES: False,
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert dict(entry.options) == {
        CONF_AUTO_ATTENDED_TRANSFER: False,
        CONF_SWAP_METHOD: "hold_key",
        CONF_SCAN_INTERVAL: 60,
        CONF_KEY_OVERRIDES: {"XFER": "TRANSFER", "#": "POUND", "STAR": "%23"},
        CONF_WRITE_ACTION_URLS: True,
        CONF_VOICE_SENTENCES: False,
    }
    assert isinstance(entry.options[CONF_SCAN_INTERVAL], int)
    # OptionsFlowWithReload: the entry was set up again with the new options.
    assert len(mock_setup_entry.mock_calls) == 2


async def test_options_show_stored_values_and_clear_overrides(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock
) -> None:
    """Stored options come back (overrides as text); an emptied field clears them."""
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        options={
            CONF_AUTO_ATTENDED_TRANSFER: False,
            CONF_SWAP_METHOD: "line_key",
            CONF_SCAN_INTERVAL: 120,
            CONF_KEY_OVERRIDES: {"XFER": "TRANSFER", "#": "POUND"},
        },
    )
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert suggested(result["data_schema"]) == {
        CONF_AUTO_ATTENDED_TRANSFER: False,
        CONF_SWAP_METHOD: "line_key",
        CONF_SCAN_INTERVAL: 120,
        CONF_KEY_OVERRIDES: "XFER=TRANSFER, #=POUND",
        CONF_WRITE_ACTION_URLS: False,
        CONF_VOICE_SENTENCES: True,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_AUTO_ATTENDED_TRANSFER: False,
            CONF_SWAP_METHOD: "line_key",
            CONF_SCAN_INTERVAL: 120,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert entry.options[CONF_KEY_OVERRIDES] == {}


@pytest.mark.parametrize(
    "text",
    [
        "XFER",
        "XFER=",
        "=TRANSFER",
        "FOO=BAR",
        "FLASH=HOOK",
        "XFER=trans fer",
        "XFER=A:B",
        "XFER=A=B",
        "XFER=A, xfer=B",
        "LINE99=L99",
    ],
)
async def test_options_bad_overrides(
    hass: HomeAssistant, sim: SimulatedPhone, mock_setup_entry: AsyncMock, text: str
) -> None:
    """Text the key table refuses is shown again with an error; then fixed."""
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    user_input = {
        CONF_AUTO_ATTENDED_TRANSFER: True,
        CONF_SWAP_METHOD: "auto",
        CONF_SCAN_INTERVAL: 30,
        CONF_KEY_OVERRIDES: text,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )
    assert_form(result, "init", {CONF_KEY_OVERRIDES: "invalid_key_overrides"})
    assert suggested(result["data_schema"])[CONF_KEY_OVERRIDES] == text
    assert not entry.options

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**user_input, CONF_KEY_OVERRIDES: "XFER=TRANSFER"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert entry.options[CONF_KEY_OVERRIDES] == {"XFER": "TRANSFER"}
    # The new options reload the entry: let that finish inside the test.
    await hass.async_block_till_done()


# --- translations --------------------------------------------------------------------


def test_every_form_text_is_translated() -> None:
    """Each step, field, section, error, abort and selector option has English text."""
    strings = json.loads(
        (
            Path(__file__).parent.parent / COMPONENT / "translations" / "en.json"
        ).read_text()
    )
    forms = {
        ("config", "user"): _connection_schema(password=True, collapsed=True),
        ("config", "reconfigure"): _connection_schema(password=False, collapsed=True),
        ("config", "mac"): _MAC_SCHEMA,
        ("config", "discovery_confirm"): _discovery_schema(ssl=False),
        ("config", "reauth_confirm"): _PASSWORD_SCHEMA,
        ("options", "init"): OPTIONS_SCHEMA,
    }
    for (flow, step_id), schema in forms.items():
        step = strings[flow]["step"][step_id]
        assert step["title"], step_id
        assert step["description"], step_id
        for marker, value in schema.schema.items():
            if isinstance(value, section):
                texts = step["sections"][marker.schema]
                assert texts["name"], marker.schema
                fields = {inner.schema for inner in value.schema.schema}
            else:
                texts = step
                fields = {marker.schema}
            for field in fields:
                assert texts["data"][field], (step_id, field)
                assert texts["data_description"][field], (step_id, field)

    assert set(strings["config"]["error"]) >= {
        "cannot_connect",
        "invalid_auth",
        "cti_disabled",
        "invalid_host",
        "invalid_mac",
        "unknown",
    }
    assert set(strings["config"]["abort"]) >= {
        "already_configured",
        "already_in_progress",
        "not_supported",
        "reauth_successful",
        "reconfigure_successful",
        "unique_id_mismatch",
    }
    assert set(strings["options"]["error"]) == {"invalid_key_overrides"}
    assert set(strings["selector"]["swap_method"]["options"]) == {
        method.value for method in SwapMethod
    }
    assert "[%key:" not in json.dumps(
        {key: strings[key] for key in ("config", "options", "selector")}
    )


async def test_unexpected_error_showing_the_password_is_logged_without_it(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    mock_setup_entry: AsyncMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A foreign error whose text carries the password is logged by its type only."""
    result = await start_user_flow(hass)
    with patch.object(
        CtiClient,
        "identify",
        side_effect=ValueError(f"bad URL /cgi-bin/x?passcode={quote(PASSWORD)}"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_HOST: f"{sim.host}:{sim.port}",
                CONF_PASSWORD: PASSWORD,
                **NO_ADVANCED,
            },
        )
    assert_form(result, "user", {"base": "unknown"})
    assert "Unexpected ValueError testing the phone at" in caplog.text
    # The autouse check finds no password in any record.
