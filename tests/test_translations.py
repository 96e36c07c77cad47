"""Every text the integration can show exists in translations/en.json."""

import json
from pathlib import Path
import re
from typing import Any

from homeassistant.util.yaml import load_yaml_dict

from custom_components.grandstream_gxp.cti.call_control import REASONS
from custom_components.grandstream_gxp.helpers import _STATE_ERRORS
from custom_components.grandstream_gxp.services import ACTIONS

COMPONENT = Path(__file__).parent.parent / "custom_components" / "grandstream_gxp"


def load(name: str) -> Any:
    """Read a JSON or YAML file of the integration."""
    path = COMPONENT / name
    return (
        load_yaml_dict(path) if name.endswith(".yaml") else json.loads(path.read_text())
    )


def test_every_call_state_reason_has_a_message() -> None:
    """Each reason a procedure can stop with is shown in the user's words."""
    exceptions = load("translations/en.json")["exceptions"]
    missing = {_STATE_ERRORS.get(r, r) for r in REASONS} - set(exceptions)
    assert not missing


def test_actions_yaml_and_translations_agree() -> None:
    """services.yaml, the registered actions and their translations name the same things."""
    described = {
        k: v for k, v in load("services.yaml").items() if not k.startswith(".")
    }
    translated = load("translations/en.json")["services"]
    assert set(described) == set(ACTIONS) == set(translated)
    for name, action in described.items():
        assert set(action["fields"]) == set(translated[name]["fields"]), name
        assert translated[name]["name"]
        assert translated[name]["description"]


def test_device_selector_is_filtered_to_this_integration() -> None:
    """The device picker offers only phones of this integration."""
    for name, action in load("services.yaml").items():
        if name.startswith("."):
            continue
        device = action["fields"]["device_id"]
        assert device["required"] is True
        assert device["selector"]["device"]["integration"] == "grandstream_gxp"


def test_translations_match_english_keys_and_placeholders() -> None:
    """Each translation has exactly en.json's keys and the same placeholders per string."""

    def flatten(node: Any, prefix: str = "") -> dict[str, str]:
        if isinstance(node, dict):
            flat: dict[str, str] = {}
            for key, value in node.items():
                flat.update(flatten(value, f"{prefix}.{key}" if prefix else key))
            return flat
        return {prefix: node}

    def placeholders(text: str) -> set[str]:
        return set(re.findall(r"\{(\w+)\}", text))

    english = flatten(load("translations/en.json"))
    for language in ("de", "fr", "es", "nl", "it"):
        translated = flatten(load(f"translations/{language}.json"))
        assert set(translated) == set(english), language
        for key, text in english.items():
            assert placeholders(translated[key]) == placeholders(text), (
                language,
                key,
            )
