"""The manifest and the HACS metadata agree with the integration's contract."""

import json
from pathlib import Path

from awesomeversion import AwesomeVersion
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration

from custom_components.grandstream_gxp.const import DOMAIN

ROOT = Path(__file__).parent.parent


async def test_home_assistant_finds_the_integration(hass: HomeAssistant) -> None:
    """The custom integration is loadable by its domain, with the contract's identity."""
    integration = await async_get_integration(hass, DOMAIN)
    assert integration.name == "Grandstream GXP Phone"
    assert integration.manifest["integration_type"] == "device"
    assert integration.manifest["iot_class"] == "local_push"
    assert integration.is_built_in is False


def test_manifest_keys_sorted_and_versioned() -> None:
    """Hassfest wants domain, name, then the other keys in order; HACS wants a version."""
    manifest = json.loads(
        (ROOT / "custom_components" / DOMAIN / "manifest.json").read_text()
    )
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["version"] == "0.1.0"


def test_hacs_json_has_only_known_keys() -> None:
    """HACS rejects unknown keys in hacs.json."""
    hacs = json.loads((ROOT / "hacs.json").read_text())
    allowed = {
        "name",
        "content_in_root",
        "zip_release",
        "filename",
        "hide_default_branch",
        "country",
        "homeassistant",
        "hacs",
        "persistent_directory",
        "render_readme",
    }
    assert set(hacs) <= allowed
    # 2026.8: LLM tools through llm.py and the event.received trigger (interface.md).
    assert AwesomeVersion(hacs["homeassistant"]) >= AwesomeVersion("2026.8.0")
