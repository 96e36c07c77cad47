"""The phone's Action URL slots and the URLs to put in them (cti-api.md §7).

`$variables` are filled in verbatim, raw spaces included [CODE N2], which Home Assistant
answers with 400 (cti-api.md §12): a URL carries only `e` (the event) and `m` (`$mac`),
the caller comes from the confirming read. Older URLs' `r` and `n` are still used.
"""

from dataclasses import dataclass
from typing import Final

from homeassistant.components import webhook
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util.network import is_ip_address
from yarl import URL

from .cti import Family, family_for_model
from .cti.call_events import CallEventType

# Shown when Home Assistant knows no URL of itself (no network configured).
URL_PLACEHOLDER: Final = "http://<home-assistant-address>:8123"

# Models whose firmware has Action URL settings (cti-api.md §7.1): not the GXP116x.
_ACTION_URL_FAMILIES: Final = frozenset(
    {Family.GXP16XX, Family.GXP17XX, Family.GXP21XX, Family.GRP26XX}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PushSlot:
    """One Action URL slot of the phone and what its event means here."""

    code: str  # the `e` value
    pvalue: str
    name: str  # as the phone's web page names the slot
    event: CallEventType | None  # None: no call event, only a poll (registration)
    # The event instead, when the line it is about was ringing.
    when_ringing: CallEventType | None = None
    # An attended transfer is under way (`complete_transfer` may then complete it).
    starts_transfer: bool = False


SLOTS: Final[tuple[PushSlot, ...]] = (
    PushSlot(code="incoming", pvalue="P8310", name="Incoming Call", event=CallEventType.INCOMING),
    PushSlot(code="outgoing", pvalue="P8311", name="Outgoing Call", event=CallEventType.OUTGOING),
    PushSlot(code="answered", pvalue="P22171", name="Answered Call", event=CallEventType.ANSWERED),
    PushSlot(code="established", pvalue="P8313", name="Established Call", event=CallEventType.ANSWERED),
    PushSlot(code="missed", pvalue="P8312", name="Missed Call", event=CallEventType.MISSED),
    # A caller who gives up may cause Missed and Terminated in either order [CAP N4, §12]:
    # Terminated on a ringing line is the missed call, so the order does not decide.
    PushSlot(code="terminated", pvalue="P8314", name="Terminated Call", event=CallEventType.ENDED, when_ringing=CallEventType.MISSED),
    PushSlot(code="rejected", pvalue="P8315", name="Rejected Call", event=CallEventType.ENDED),
    PushSlot(code="hold", pvalue="P8324", name="Hold Call", event=CallEventType.HELD),
    PushSlot(code="unhold", pvalue="P8325", name="UnHold Call", event=CallEventType.RESUMED),
    PushSlot(code="blind_transfer", pvalue="P8320", name="Blind Transfer", event=CallEventType.TRANSFERRED),
    PushSlot(code="attended_transfer", pvalue="P8321", name="Attended Transfer", event=CallEventType.TRANSFERRED, starts_transfer=True),
    PushSlot(code="transfer_finished", pvalue="P8322", name="Transfer Finished", event=CallEventType.TRANSFERRED),
    PushSlot(code="registered", pvalue="P8305", name="Registered", event=None),
    PushSlot(code="unregistered", pvalue="P8306", name="Unregistered", event=None),
    PushSlot(code="register_failed", pvalue="P8307", name="Register Failed", event=None),
)  # fmt: skip
SLOTS_BY_CODE: Final = {slot.code: slot for slot in SLOTS}


@dataclass(frozen=True, slots=True, kw_only=True)
class PushEvent:
    """One valid Action URL request."""

    slot: PushSlot
    remote_number: str = ""
    remote_name: str = ""


def supports_action_urls(model: str | None) -> bool:
    """Whether the model's firmware has Action URL settings."""
    return family_for_model(model) in _ACTION_URL_FAMILIES


def webhook_url(hass: HomeAssistant, webhook_id: str) -> str:
    """Return the webhook's URL with an IP: phones resolve no mDNS, often no names."""
    try:
        url = webhook.async_generate_url(
            hass, webhook_id, allow_external=False, prefer_external=False
        )
    except NoURLAvailableError:
        try:
            url = webhook.async_generate_url(hass, webhook_id, prefer_external=False)
        except NoURLAvailableError:
            return f"{URL_PLACEHOLDER}{webhook.async_generate_path(webhook_id)}"
    parsed, api = URL(url), hass.config.api
    if (
        parsed.host is None
        or is_ip_address(parsed.host)
        or not (api and api.local_ip and is_ip_address(api.local_ip))
    ):
        return url
    scheme = "https" if api.use_ssl else "http"
    return str(parsed.with_scheme(scheme).with_host(api.local_ip).with_port(api.port))


def slot_url(base: str, slot: PushSlot) -> str:
    """Return the Action URL of one slot: the event and `$mac`, nothing else."""
    return f"{base}?e={slot.code}&m=$mac"


def action_urls(hass: HomeAssistant, webhook_id: str) -> list[tuple[PushSlot, str]]:
    """Return every slot with the URL to paste into it."""
    base = webhook_url(hass, webhook_id)
    return [(slot, slot_url(base, slot)) for slot in SLOTS]


def format_action_urls(hass: HomeAssistant, webhook_id: str | None) -> str:
    """Return the URLs as a Markdown list for the options and the repair issue."""
    if not webhook_id:
        return "-"
    return "\n".join(
        f"- {slot.name} ({slot.pvalue}): `{url}`"
        for slot, url in action_urls(hass, webhook_id)
    )
