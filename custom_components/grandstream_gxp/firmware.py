"""The phone's firmware version: kept in the entry, and checked against known flaws.

The GXP1165's `Server` header names none [CODE S20]: the login's `ver` [CAP S8] is kept.
"""

from dataclasses import dataclass
import re
from typing import Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .connection import async_update_data
from .const import CONF_FIRMWARE
from .coordinator import GxpConfigEntry
from .issues import VULNERABLE_FIRMWARE, async_set_issue


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


def advisory_for(model: str | None, firmware: str | None) -> Advisory | None:
    """Return the advisory a model on this firmware (dotted numbers) falls under."""
    firmware = (firmware or "").strip()
    if model is None or not re.fullmatch(r"\d+(?:\.\d+)*", firmware):
        return None
    version = tuple(int(part) for part in firmware.split("."))
    return next(
        (a for a in ADVISORIES if a.models.fullmatch(model) and version < a.fixed),
        None,
    )


@callback
def async_note_firmware(
    hass: HomeAssistant, entry: GxpConfigEntry, model: str | None, firmware: str | None
) -> None:
    """Store the firmware the phone runs and raise or clear its advisory issue."""
    if firmware:
        async_update_data(hass, entry, {CONF_FIRMWARE: firmware})
    placeholders: dict[str, str] | None = None
    if advisory := advisory_for(model, firmware):
        placeholders = {
            "model": model or "",
            "firmware": firmware or "",
            "fixed": ".".join(str(part) for part in advisory.fixed),
            "cve": advisory.cve,
        }
    async_set_issue(
        hass,
        entry,
        VULNERABLE_FIRMWARE,
        placeholders,
        severity=ir.IssueSeverity.ERROR,
        is_persistent=False,
    )
