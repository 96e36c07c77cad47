"""The phone's firmware version: kept in the entry, and checked against known flaws.

The GXP1165's `Server` header names no version [CODE S20], so the version the config
flow's login reported (`ver` of the `dologin` answer [CAP S8]) is stored in the entry
and used until a header names one; a header that does wins and is stored.
"""

from dataclasses import dataclass
import re
from typing import Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import CONF_FIRMWARE, DOMAIN, LOGGER
from .coordinator import GxpConfigEntry


@dataclass(frozen=True, slots=True, kw_only=True)
class Advisory:
    """Firmware of some models, before `fixed`, has a published flaw."""

    cve: str
    models: re.Pattern[str]
    fixed: tuple[int, ...]


# [N5] CVE-2026-2329 (February 2026): GXP16xx before 1.0.7.81 answers its web API
# without authentication, with a stack overflow.
ADVISORIES: Final = (
    Advisory(
        cve="CVE-2026-2329",
        models=re.compile(r"GXP16\d\d", re.IGNORECASE),
        fixed=(1, 0, 7, 81),
    ),
)


def parse_version(version: str | None) -> tuple[int, ...] | None:
    """Return `1.0.7.81` as (1, 0, 7, 81); None when it is not dotted numbers."""
    if not version or not re.fullmatch(r"\d+(?:\.\d+)*", version.strip()):
        return None
    return tuple(int(part) for part in version.strip().split("."))


def format_version(version: tuple[int, ...]) -> str:
    """Return (1, 0, 7, 81) as `1.0.7.81`."""
    return ".".join(str(part) for part in version)


def advisory_for(model: str | None, firmware: str | None) -> Advisory | None:
    """Return the advisory a model on this firmware falls under, if any."""
    version = parse_version(firmware)
    if model is None or version is None:
        return None
    for advisory in ADVISORIES:
        if advisory.models.fullmatch(model) and version < advisory.fixed:
            return advisory
    return None


def vulnerable_firmware_issue_id(entry: GxpConfigEntry) -> str:
    """Return the id of the entry's "vulnerable firmware" repair issue."""
    return f"vulnerable_firmware_{entry.entry_id}"


def current_firmware(entry: GxpConfigEntry, header_version: str | None) -> str | None:
    """Return the firmware to show: the header's, else the one stored in the entry."""
    return header_version or entry.data.get(CONF_FIRMWARE)


@callback
def async_note_firmware(
    hass: HomeAssistant, entry: GxpConfigEntry, model: str | None, firmware: str | None
) -> None:
    """Store the firmware the phone runs and raise or clear its advisory issue."""
    if firmware and entry.data.get(CONF_FIRMWARE) != firmware:
        LOGGER.debug("%s: storing firmware %s", entry.title, firmware)
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_FIRMWARE: firmware}
        )
    advisory = advisory_for(model, firmware)
    if advisory is None:
        ir.async_delete_issue(hass, DOMAIN, vulnerable_firmware_issue_id(entry))
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        vulnerable_firmware_issue_id(entry),
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="vulnerable_firmware",
        translation_placeholders={
            "name": entry.title,
            "model": model or "",
            "firmware": firmware or "",
            "fixed": format_version(advisory.fixed),
            "cve": advisory.cve,
        },
    )
