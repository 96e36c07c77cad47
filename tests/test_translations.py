"""Every text the integration can show exists in translations/en.json."""

import json
from pathlib import Path
import re
from typing import Any

from homeassistant.util.yaml import load_yaml_dict

from custom_components.grandstream_gxp import config_flow
from custom_components.grandstream_gxp.cti.call_control import Reason
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
    missing = {_STATE_ERRORS.get(r, r) for r in Reason} - set(exceptions)
    assert not missing


def test_actions_yaml_and_translations_agree() -> None:
    """services.yaml, the registered actions and their translations name the same things."""
    described = load("services.yaml")
    translated = load("translations/en.json")["services"]
    assert set(described) == set(ACTIONS) == set(translated)
    for name, action in described.items():
        assert set(action["fields"]) == set(translated[name]["fields"]), name
        assert translated[name]["name"]
        assert translated[name]["description"]


def test_device_selector_is_filtered_to_this_integration() -> None:
    """The device picker offers only phones of this integration."""
    for action in load("services.yaml").values():
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


def _selector_translation_keys(node: Any) -> set[str]:
    """Every `translation_key` a selector names, anywhere below `node`."""
    if isinstance(node, dict):
        found = {
            str(value)
            for key, value in node.items()
            if key == "translation_key" and isinstance(value, str)
        }
        for value in node.values():
            found |= _selector_translation_keys(value)
        return found
    if isinstance(node, list):
        return set().union(*(_selector_translation_keys(item) for item in node))
    return set()


def test_every_selector_translation_key_is_translated() -> None:
    """A select's options show words, not raw values, in every language.

    The keys come from services.yaml and from the selectors the flows build.
    """
    used = _selector_translation_keys(load("services.yaml"))
    # The flows name their selectors' keys by constant or literal.
    source = Path(config_flow.__file__).read_text()
    for named in re.findall(r'translation_key=(\w+|"\w+")', source):
        used.add(
            named.strip('"') if named.startswith('"') else getattr(config_flow, named)
        )
    assert {"transfer_mode", "swap_method"} <= used
    for language in ("en", "de", "fr", "es", "nl", "it"):
        selectors = load(f"translations/{language}.json")["selector"]
        for key in used:
            options = selectors.get(key, {}).get("options", {})
            assert options, (language, key)
            assert all(text.strip() for text in options.values()), (language, key)
