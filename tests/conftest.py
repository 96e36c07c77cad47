"""Shared fixtures for all tests."""

import pytest

# Imported at module level so that `custom_components` resolves to this repository's
# folder, not to the test plugin's own testing folder.
import custom_components.grandstream_gxp  # noqa: F401


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Let Home Assistant load the integration from custom_components.

    Only tests that use `hass` need it; the library and simulator tests run without
    a Home Assistant instance.
    """
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")
