"""Model profiles: what each simulated phone model has and how it words its answers.

Every field carries the evidence it rests on (tags from the specs: [DOC]/[CAP]/[CODE]/[FORUM]
from cti-api.md, [D]/[C] from call-control.md, [I]/[INF] for our own inference) in the
profile's ``evidence`` mapping, so a test or a reader can see how sure each fact is.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from .action_url import ALL_EVENTS, GRP261X_EVENTS


class AcctStyle(StrEnum):
    """How `acct` is reported for an idle line in api-get_line_status."""

    EMPTY = "empty"  # "" on idle lines, the documented example [DOC S3]
    ZERO = "zero"  # integer 0 even on idle lines, the WP826 capture [CAP S8]


class MiscStyle(StrEnum):
    """Whether and how api-get_phone_status carries `misc` beside the body."""

    NONE = "none"  # absent (documented answers [DOC S1, S5])
    CAPTURED = "captured"  # always "0", the WP826 capture [CAP S8]
    IDLE_CALL = "idle_call"  # "1" = idle call allowed, else "0" [VENDOR-CODE N1]


# The CTI endpoints a keys-only firmware still answers (cti-api 10.7, call-control 0.8).
KEYS_ONLY_ENDPOINTS = frozenset({"api-send_key"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelProfile:
    """The fixed facts of one phone model."""

    key: str
    model: str
    firmware: str
    hardware_version: str
    accounts: int
    lines: int
    line_keys: bool
    mpk_count: int
    soft_keys: int
    action_url_events: frozenset[str]
    cti_gated: bool
    idle_acct: AcctStyle
    conf_field: bool
    misc_style: MiscStyle
    active_shows_focus: bool
    server_header: str
    content_type: str = "text/html"
    auto_attended_default: bool = False
    line_keys_select_calls_default: bool = True
    # `acct` of a call: 0 for account 1 (WP826 [CAP N4]) or 1 (GRP extension [VENDOR-CODE N1]).
    acct_base: int = 0
    # `remotename` becomes the number once connected when the caller sent none [CAP N4].
    connected_name_is_number: bool = True
    # None = every CTI endpoint; else only these, the rest answer HTTP 404.
    cti_endpoints: frozenset[str] | None = None
    evidence: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def action_url(self) -> bool:
        """Whether the model has Action URL settings at all."""
        return bool(self.action_url_events)

    @property
    def misc_field(self) -> bool:
        """Whether api-get_phone_status carries `misc`."""
        return self.misc_style is not MiscStyle.NONE

    def answers(self, endpoint: str) -> bool:
        """Whether this firmware has the CTI endpoint (else HTTP 404)."""
        return self.cti_endpoints is None or endpoint in self.cti_endpoints

    def with_changes(self, **changes: Any) -> ModelProfile:
        """Return a copy with some fields changed (for custom test phones)."""
        return replace(self, **changes)


GXP1165 = ModelProfile(
    key="GXP1165",
    model="GXP1165",
    firmware="1.0.8.9",
    hardware_version="V1.4A",
    accounts=1,
    lines=2,
    line_keys=False,
    mpk_count=0,
    soft_keys=3,
    action_url_events=frozenset(),
    cti_gated=False,
    idle_acct=AcctStyle.EMPTY,
    conf_field=False,
    misc_style=MiscStyle.NONE,
    active_shows_focus=True,
    server_header="Grandstream GXP1165",
    line_keys_select_calls_default=False,
    acct_base=0,
    evidence=MappingProxyType(
        {
            "firmware": "[DOC S10] last template 1.0.8.9",
            "hardware_version": "[I] placeholder, no source",
            "accounts": "[DOC S10] template has only Account 1",
            "lines": "[CODE S10b] Wazo lines=2; [C S1] two calls switched with FLASH",
            "line_keys": "[D by absence S16a] no line-key settings",
            "soft_keys": "[CODE S10b] function_keys=3",
            "action_url_events": "[DOC S10] no Action URL section in the template",
            "cti_gated": "[DOC S10] no Remote Control section; [INF] gated only by the password",
            "idle_acct": "[DOC S3] documented example",
            "active_shows_focus": "[CAP N4, S8] 0 on a single call; [I] 1 on the focused one of several",
            "server_header": "[CODE S20] 'Grandstream GXP1165' without version",
            "auto_attended_default": "[D S16a; DOC N7] P1376 Auto-Attended Transfer default 0",
            "acct_base": "[INF] 0-based like make_call's account [CODE S11, S12, S15] and WP826 [CAP N4]",
            "connected_name_is_number": "[CAP N4] WP826; [INF] same firmware family",
            "line_keys_select_calls_default": "[I] no line keys, LINEn refused",
        }
    ),
)

GXP2170 = ModelProfile(
    key="GXP2170",
    model="GXP2170",
    firmware="1.0.11.16",
    hardware_version="V1.2A",
    accounts=6,
    lines=12,
    line_keys=True,
    mpk_count=48,
    soft_keys=4,
    action_url_events=ALL_EVENTS,
    cti_gated=True,
    idle_acct=AcctStyle.EMPTY,
    conf_field=True,
    misc_style=MiscStyle.NONE,
    acct_base=1,
    active_shows_focus=True,
    server_header="Grandstream GXP2170 1.0.11.16",
    content_type="text/plain",
    evidence=MappingProxyType(
        {
            "firmware": "[DOC S10] template 1.0.11.16",
            "hardware_version": "[I] placeholder, no source",
            "accounts": "[DOC S10] Account 5/6 GXP2160/2170 only",
            "lines": "[INF] 12 line keys (vendor datasheet, no stored source), one call appearance each",
            "line_keys": "[D S6, S7] LINE keys answer, resume and swap",
            "mpk_count": "[CODE S9] 48 virtual MPKs in the web UI",
            "soft_keys": "[D S16d] soft-key layouts; [I] count",
            "action_url_events": "[DOC S10] GXP21xx 1.0.11.16 Action URL list",
            "cti_gated": "[DOC S1, S4, S10] P32050-P32052 Remote Control",
            "idle_acct": "[DOC S3]",
            "conf_field": "[CAP S8] conf seen on WP826; [I] for GXP2170",
            "server_header": "[INF] pattern 'Grandstream <model> <version>' from [CODE S20]",
            "content_type": "[CODE S9] JSON served as text/plain",
            "auto_attended_default": "[D S16d; DOC N7] Attended Transfer Mode default 0 (Static)",
            "acct_base": "[INF] like the vendor's GRP extension [VENDOR-CODE N1] (acct 1 = account 1); WP826 says 0 [CAP N4]",
            "connected_name_is_number": "[CAP N4] WP826; [INF] for GXP21xx",
            "active_shows_focus": "[CAP N4, S8] 0 on a single call; [I] 1 on the focused one of several",
        }
    ),
)

GRP2614 = ModelProfile(
    key="GRP2614",
    model="GRP2614",
    firmware="1.0.5.15",
    hardware_version="V1.0A",
    accounts=4,
    lines=4,
    line_keys=True,
    mpk_count=24,
    soft_keys=4,
    action_url_events=GRP261X_EVENTS,
    cti_gated=True,
    idle_acct=AcctStyle.EMPTY,
    conf_field=False,
    misc_style=MiscStyle.IDLE_CALL,
    active_shows_focus=True,
    server_header="Grandstream GRP2614 1.0.5.15",
    auto_attended_default=True,
    acct_base=1,
    connected_name_is_number=False,
    evidence=MappingProxyType(
        {
            "firmware": "[DOC S10] template 1.0.5.15",
            "hardware_version": "[I] placeholder, no source",
            "accounts": "[DOC S10] GRP2614 has 4 accounts",
            "lines": "[I] 4 call appearances",
            "line_keys": "[D S6] line keys on GRP26xx",
            "mpk_count": "[I] virtual MPK count unconfirmed",
            "action_url_events": "[DOC S10] GRP261x 1.0.5.15 shorter list",
            "cti_gated": "[DOC S1, S10] Remote Control page",
            "idle_acct": "[DOC S3] GRP26xx CTI guide example",
            "server_header": "[INF] pattern from [CODE S20]",
            "auto_attended_default": "[D S16e; DOC N7] Attended Transfer Mode default 1 (Dynamic); [I] same as auto-attended",
            "misc_style": "[VENDOR-CODE N1] misc 1 = idle call allowed, 0 not",
            "acct_base": "[VENDOR-CODE N1] acct 1 on a call of account 1",
            "connected_name_is_number": "[VENDOR-CODE N1] remotename '' on a connected call",
            "active_shows_focus": "[VENDOR-CODE N1] active 0 on a single call; [I] 1 on the focused one of several",
        }
    ),
)

GENERIC = ModelProfile(
    key="GENERIC",
    model="GENERIC",
    firmware="1.0.0.1",
    hardware_version="V1.0A",
    accounts=2,
    lines=3,
    line_keys=True,
    mpk_count=8,
    soft_keys=4,
    action_url_events=ALL_EVENTS,
    cti_gated=False,
    idle_acct=AcctStyle.ZERO,
    conf_field=True,
    misc_style=MiscStyle.CAPTURED,
    active_shows_focus=False,
    acct_base=0,
    server_header="Grandstream GENERIC 1.0.0.1",
    content_type="text/plain",
    evidence=MappingProxyType(
        {
            "model": "[I] a test double, not a real model",
            "lines": "[DOC S3] 3 lines in the documented example",
            "idle_acct": "[CAP S8] WP826 reports acct 0 on idle lines",
            "conf_field": "[CAP S8]",
            "misc_style": "[CAP S8] 'misc': '0' beside the phone status",
            "acct_base": "[CAP N4, S8] acct 0 for account 1",
            "connected_name_is_number": "[CAP N4]",
            "active_shows_focus": "[CAP S8] active 0 even on the connected line",
            "cti_gated": "[DOC S4] CTI on by default on GXP16xx/17xx",
        }
    ),
)

# The worst case the evidence leaves open for the GXP116x: only api-send_key is
# confirmed [FORUM S6; C S1]; line status, phone operations, make_call, phone status,
# accounts and sys operations are not in its CTI guide list [D S3] and answer 404 [INF]
# (cti-api 10.7, call-control 0.8).
GXP1165_KEYS = GXP1165.with_changes(
    key="GXP1165-KEYS",
    cti_endpoints=KEYS_ONLY_ENDPOINTS,
    evidence=MappingProxyType(
        {
            **GXP1165.evidence,
            "cti_endpoints": "[FORUM S6; C S1] only send_key confirmed; [INF] the rest 404",
        }
    ),
)

PROFILES: Mapping[str, ModelProfile] = MappingProxyType(
    {p.key: p for p in (GXP1165, GXP1165_KEYS, GXP2170, GRP2614, GENERIC)}
)


def get_profile(name: str) -> ModelProfile:
    """Look a profile up by model name, case-insensitively."""
    try:
        return PROFILES[name.upper()]
    except KeyError:
        raise ValueError(
            f"unknown model {name!r}; choose one of {', '.join(PROFILES)}"
        ) from None
