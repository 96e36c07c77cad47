"""Shared fixtures for all tests."""

from collections.abc import AsyncIterator, Iterator
import logging
from typing import Any
from unittest.mock import PropertyMock, patch
from urllib.parse import quote, quote_plus

from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_SSL,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

# Imported at module level so that `custom_components` resolves to this repository's
# folder, not to the test plugin's own testing folder.
import custom_components.grandstream_gxp  # noqa: F401
from custom_components.grandstream_gxp.const import CONF_MODEL, DOMAIN
from gxp_simulator import SimulatedPhone

from .common import REALISTIC_FOR_TESTS, device_id_of

PASSWORD = "a&b#c%d+e f"  # noqa: S105 - the hard case for URL encoding
MAC = "00:0b:82:12:34:56"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Let Home Assistant load the integration from custom_components.

    Only tests that use `hass` need it; the library and simulator tests run without
    a Home Assistant instance.
    """
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialize registry entries and states the Home Assistant way, into snapshots/."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Create every entity enabled, including those disabled by default."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
def phone_model() -> str:
    """Model of the simulated phone; parametrize to change it."""
    return "GXP2170"


@pytest.fixture
def phone_settings() -> dict[str, Any]:
    """Return settings for the simulated phone; parametrize to change them."""
    return {}


@pytest.fixture
def phone_timing() -> str:
    """Return the simulated phone's timing preset: "instant", or "realistic" (short).

    The call-control and event tests override it with "realistic" (issue 11).
    """
    return "instant"


@pytest.fixture
async def sim(
    socket_enabled: None,
    phone_model: str,
    phone_settings: dict[str, Any],
    phone_timing: str,
) -> AsyncIterator[SimulatedPhone]:
    """Run a simulated phone on 127.0.0.1, set up as the README asks."""
    settings: dict[str, Any] = {
        "no_key_entry_timeout": None,
        "failed_time": 0.05,
        **(REALISTIC_FOR_TESTS if phone_timing == "realistic" else {}),
        **phone_settings,
    }
    async with SimulatedPhone.start(
        phone_model,
        password=PASSWORD,
        mac=MAC,
        setup="readme",
        timing=phone_timing,
        **settings,
    ) as phone:
        yield phone


@pytest.fixture
def mock_config_entry(sim: SimulatedPhone, phone_model: str) -> MockConfigEntry:
    """Return a config entry for the simulated phone, as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Grandstream {phone_model}",
        unique_id=MAC,
        data={
            CONF_HOST: sim.host,
            CONF_PORT: sim.port,
            CONF_PASSWORD: PASSWORD,
            CONF_SSL: False,
            CONF_VERIFY_SSL: False,
            CONF_MODEL: phone_model,
        },
    )


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Return the options of the phone's entry; parametrize to change them."""
    return {}


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    entry_options: dict[str, Any],
) -> AsyncIterator[MockConfigEntry]:
    """Set up the integration for the simulated phone; unload it before the phone stops."""
    mock_config_entry.add_to_hass(hass)
    if entry_options:
        hass.config_entries.async_update_entry(mock_config_entry, options=entry_options)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    yield mock_config_entry
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
def device_id(hass: HomeAssistant, init_integration: MockConfigEntry) -> str:
    """Return the simulated phone's device id."""
    return device_id_of(hass, init_integration)


class _SecretWatch(logging.Handler):
    """Collect every log record that shows the test password in any encoding."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        if any(secret in text for secret in _SECRETS):
            self.leaks.append(f"{record.name}: {text[:200]}")


_SECRETS = (PASSWORD, quote(PASSWORD, safe=""), quote_plus(PASSWORD))
# The simulated phone is the other side of the wire: its own records may show what it
# received. Everything of ours must not.
_PHONE_SIDE = ("gxp_simulator", "aiohttp.access", "aiohttp.server", "aiohttp.web")


@pytest.fixture(autouse=True)
def password_never_logged() -> Iterator[None]:
    """Fail a test whose code under test logged the phone's password."""
    watch = _SecretWatch()
    watch.addFilter(lambda record: not record.name.startswith(_PHONE_SIDE))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(watch)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(watch)
        root.setLevel(previous)
    assert not watch.leaks, watch.leaks


@pytest.fixture(autouse=True)
def no_deprecated_use() -> Iterator[None]:
    """Fail a test in which Home Assistant reported a deprecated use by the integration."""
    reports: list[str] = []

    class _Reports(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if DOMAIN in record.getMessage():
                reports.append(record.getMessage())

    frame = logging.getLogger("homeassistant.helpers.frame")
    handler = _Reports(logging.WARNING)
    frame.addHandler(handler)
    try:
        yield
    finally:
        frame.removeHandler(handler)
    assert not reports, reports
