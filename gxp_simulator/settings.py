"""The phone's configuration (its P-values) plus the simulator's own knobs.

Two presets pick the starting point (`for_profile(setup=..., timing=...)`):

* setup "factory" (default): the real factory defaults per family [DOC N7, S10] — the
  Remote Control gate of GXP21xx/GRP refuses everybody and asks with a pop-up, Click-To-Dial
  is off, Auto-Attended / Attended Transfer Mode as the model ships it. Setup "readme": the
  phone set up as the project README asks (Remote Control open to any IP, pop-up off,
  Click-To-Dial on, Auto-Attended Transfer / Dynamic mode on).
* timing "realistic" (default): an embedded web server that answers one request at a
  time, tens of milliseconds each, keys played after the reply at a per-key pace, line
  status that lags, and a transfer hand-over of 0.5-3 s. Timing "instant": no delays.
"""

from dataclasses import asdict, dataclass, field
import math
import re
from typing import Any

from .action_url import event_name
from .profiles import ModelProfile

FORBIDDEN_VARIANTS = ("json", "html")
POPUP_VARIANTS = ("unauthorized", "forbidden", "block")
LOGIN_VARIANTS = ("b", "c")
WEB_VALUES_APIS = ("values", "config", "both")
ACTION_URL_ENCODINGS = ("verbatim", "percent")
MAC_NOTATIONS = ("plain", "colons", "dashes")
# Order of the two events a caller's give-up may send [CODE N2; CAP N4]; "missed_only"
# is the documented single event [DOC S10].
GIVEUP_ORDERS = ("missed_first", "terminated_first", "random", "missed_only")
SETUPS = ("factory", "readme")
TIMINGS = ("realistic", "instant")

# Setup presets; "factory" is per model (see `setup_values`).
_README_SETUP: dict[str, Any] = {
    "auto_attended_transfer": True,  # README: Auto-Attended Transfer Yes / Dynamic
    "click_to_dial": True,  # README: Click-To-Dial Feature Yes
    "action_uri_support": True,  # README: Action URI Support Enabled
    "allowed_ips": "any",  # README: Allowed IP List = HA's IP or any
    "popup": False,  # README: Pop up Window Support Disabled
}
# Timing presets. Realistic values, all [INF] unless tagged.
_TIMINGS: dict[str, dict[str, Any]] = {
    "realistic": {
        "request_latency": 0.04,  # tens of ms per answer on an embedded server [INF]
        "serialize_requests": True,  # one request at a time [INF]
        "key_delay": 0.15,  # keys after the reply, one by one [C S20: 700 ms/digit waits]
        "status_lag": 0.2,  # line status shows a key's effect a little later [C S20; INF]
        "transfer_handover": (0.5, 3.0),  # REFER to NOTIFY [INF; D S4, C S5 transient]
    },
    "instant": {
        "request_latency": 0.0,
        "serialize_requests": True,
        "key_delay": 0.0,
        "status_lag": 0.0,
        "transfer_handover": (0.0, 0.0),
    },
}
TIMING_FIELDS = frozenset(_TIMINGS["realistic"])


@dataclass(slots=True, kw_only=True)
class AccountConfig:
    """One SIP account as api-get_accounts reports it [DOC S2]."""

    sip_server: str = ""
    sip_id: str = ""
    name: str = ""
    registered: bool = False


def default_accounts(count: int) -> list[AccountConfig]:
    """Account 1 registered as 1001, the others empty."""
    accounts = [AccountConfig() for _ in range(count)]
    if accounts:
        accounts[0] = AccountConfig(
            sip_server="pbx.example.com",
            sip_id="1001",
            name="Desk 1001",
            registered=True,
        )
    return accounts


@dataclass(slots=True, kw_only=True)
class PhoneSettings:
    """Everything that can be changed at run time (control API, harness, CLI)."""

    # Call features.
    auto_attended_transfer: bool = False  # P1376, default 0 [D S16]
    click_to_dial: bool = False  # P1561, default 0 [DOC S10]
    use_hash_as_dial_key: bool = True  # P72, default 1 [D S16]
    no_key_entry_timeout: float | None = 4.0  # P85, default 4 s [D S16]; None = never
    call_waiting: bool = True  # P91 "Disable Call Waiting" default 0 [D S16]
    # Swap candidates on phones without line keys (call-control 6.4), all [I].
    line_keys_select_calls: bool = True
    hold_key_navigation: bool = False
    holdcall_toggles: bool = True  # [CODE S11, S12] clients rely on it; [I]
    # Firmware spellings of api-send_key tokens, for the documents' open questions
    # (cti-api 5.6 [?]): key -> the token this phone takes instead (e.g. XFER ->
    # TRANSFER, # -> POUND; the usual spelling is then refused), and keys this
    # firmware refuses outright (e.g. HOLD). Defaults: the spellings of KEY_EVIDENCE.
    key_spellings: dict[str, str] = field(default_factory=dict)
    missing_keys: list[str] = field(default_factory=list)
    # Simulator timing (defaults = the "realistic" preset).
    key_delay: float = 0.15  # >0: keys applied after the reply, one per delay [C S20]
    request_latency: float = 0.04  # seconds to answer each request [INF]
    serialize_requests: bool = (
        True  # the web server answers one request at a time [INF]
    )
    status_lag: float = 0.2  # api-get_line_status shows a change this much later [INF]
    transfer_handover: tuple[float, float] = (
        0.5,
        3.0,
    )  # REFER to NOTIFY, min/max [INF]
    seed: int = 0  # for every random choice (hand-over time, give-up order)
    reboot_time: float = 2.0
    failed_time: float = 0.5  # how long `failed` stays before idle [I]
    # Events and line status.
    giveup_order: str = (
        "random"  # Missed and Terminated in either order [CODE N2; CAP N4]
    )
    hangup_name_is_number: bool = False  # hang-up's $display_remote = number [CAP N4]
    transfer_shows_transfered: bool = True  # "transfered" during hand-over [D S4; C S5]
    # Remote Control, only on models with the settings (GXP21xx, GRP26xx).
    action_uri_support: bool = True  # P32050, default 1 [DOC S10]
    allowed_ips: str = ""  # P32052, default "" = nobody [DOC S10; INF]
    popup: bool = True  # P32051, default 1 (pop-up on) [DOC S10]
    forbidden_variant: str = "json"  # 403 with JSON "forbidden" or with HTML [INF]
    popup_variant: str = "unauthorized"  # [FORUM S7]; or "forbidden", "block"
    # Web access.
    user_password: str | None = (
        None  # P196; user web access off by default (P8469) [DOC S10]
    )
    lockout_attempts: int = 5  # P28117 [DOC S10]
    lockout_minutes: float = 5.0  # P1683 [DOC S10]
    session_timeout: float = 600.0  # P28116, 10 minutes [DOC S10]
    # Web login (cti-api.md 3.2). None = the model's: see auth.model_login_variant.
    login_variant: str | None = None  # "b" plain form, "c" challenge-response
    single_session: bool = False  # a second login kills the first [CAP S8 1.0.3.35]
    # False: api-* answer HTTP 401 HTML to passcode requests [CAP S8; VENDOR-CODE N1].
    passcode_accepted: bool = True
    # Which settings API the web UI has; None = "values" with login b, "both" with c.
    web_values_api: str | None = None
    # Action URL substitution [CODE N2]: verbatim bytes, or an encoding phone.
    action_url_encoding: str = "verbatim"
    mac_notation: str = "plain"  # colons, dashes or none all arrive [CODE N2]
    mac_upper: bool = False  # [CODE S10b] provisioning's lower-case devId; [I]
    # Variables sent as the literal `$name` when the phone has no value [CODE N2; CAP N4].
    literal_when_empty: list[str] = field(default_factory=lambda: ["display_remote"])
    # Identity used by Action URL variables.
    phone_ip: str = "127.0.0.1"
    language: str = "English"
    accounts: list[AccountConfig] = field(default_factory=list)
    action_urls: dict[str, str] = field(default_factory=dict)
    mpk_numbers: dict[int, str] = field(default_factory=dict)

    @classmethod
    def for_profile(
        cls,
        profile: ModelProfile,
        *,
        setup: str = "factory",
        timing: str = "realistic",
        **changes: Any,
    ) -> PhoneSettings:
        """Defaults for one model in a setup and timing preset, then `changes` applied."""
        settings = cls(
            line_keys_select_calls=profile.line_keys_select_calls_default,
            accounts=default_accounts(profile.accounts),
        )
        settings.update(**setup_values(profile, setup), **timing_values(timing))
        settings.update(**changes)
        return settings

    def update(self, **changes: Any) -> None:
        """Change settings by name, validating names and types (JSON-friendly)."""
        for name, value in changes.items():
            setattr(self, name, _coerce(name, value))

    def to_json(self) -> dict[str, Any]:
        """All settings as JSON-ready data."""
        data = asdict(self)
        data["mpk_numbers"] = {str(k): v for k, v in self.mpk_numbers.items()}
        data["transfer_handover"] = list(self.transfer_handover)
        return data


def setup_values(profile: ModelProfile, setup: str) -> dict[str, Any]:
    """Return the settings a setup preset fixes for one model."""
    if setup == "readme":
        return dict(_README_SETUP)
    if setup == "factory":
        return {
            # P1376: GXP116x Auto-Attended 0; GXP16xx/21xx Static; GRP261x Dynamic [DOC N7]
            "auto_attended_transfer": profile.auto_attended_default,
            "click_to_dial": False,  # P1561 default 0 on all [DOC N7]
            "action_uri_support": True,  # P32050 default 1 [DOC S10]
            "allowed_ips": "",  # P32052 default empty [DOC S10]
            "popup": True,  # P32051 default 1 [DOC S10]
        }
    raise ValueError(f"setup must be one of {', '.join(SETUPS)}")


def timing_values(timing: str) -> dict[str, Any]:
    """Return the settings a timing preset fixes."""
    try:
        return dict(_TIMINGS[timing])
    except KeyError:
        raise ValueError(f"timing must be one of {', '.join(TIMINGS)}") from None


_BOOLS = {
    "auto_attended_transfer",
    "click_to_dial",
    "use_hash_as_dial_key",
    "call_waiting",
    "line_keys_select_calls",
    "hold_key_navigation",
    "holdcall_toggles",
    "action_uri_support",
    "popup",
    "single_session",
    "passcode_accepted",
    "mac_upper",
    "serialize_requests",
    "hangup_name_is_number",
    "transfer_shows_transfered",
}
_FLOATS = {
    "key_delay",
    "request_latency",
    "status_lag",
    "reboot_time",
    "failed_time",
    "lockout_minutes",
    "session_timeout",
}
_STRINGS = {"allowed_ips", "phone_ip", "language"}


# Settings that take one of a few words: the words, and whether None (the model's
# own) is allowed.
_CHOICES: dict[str, tuple[tuple[str, ...], bool]] = {
    "giveup_order": (GIVEUP_ORDERS, False),
    "forbidden_variant": (FORBIDDEN_VARIANTS, False),
    "popup_variant": (POPUP_VARIANTS, False),
    "login_variant": (LOGIN_VARIANTS, True),
    "web_values_api": (WEB_VALUES_APIS, True),
    "action_url_encoding": (ACTION_URL_ENCODINGS, False),
    "mac_notation": (MAC_NOTATIONS, False),
}


def _coerce(name: str, value: Any) -> Any:
    if name in _BOOLS:
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be true or false")
        return value
    if name in _FLOATS or name == "no_key_entry_timeout":
        if value is None and name == "no_key_entry_timeout":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise TypeError(f"{name} must be a number >= 0")
        return float(value)
    if name == "transfer_handover":
        return _range(name, value)
    if name == "seed":
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an integer")
        return value
    if name == "lockout_attempts":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise TypeError(f"{name} must be an integer >= 1")
        return value
    if name in _STRINGS:
        return _string(name, value)
    if name == "user_password":
        return None if value is None else _string(name, value)
    if name in _CHOICES:
        choices, nullable = _CHOICES[name]
        return None if nullable and value is None else _choice(name, value, choices)
    if name == "literal_when_empty":
        if not isinstance(value, list | tuple):
            raise TypeError(f"{name} must be a list")
        return [_string(name, item) for item in value]
    if name == "accounts":
        return _accounts(value)
    if name == "action_urls":
        return {event_name(str(k)): _string(name, v) for k, v in _mapping(name, value)}
    if name == "mpk_numbers":
        return {int(k): _string(name, v) for k, v in _mapping(name, value)}
    if name == "key_spellings":
        return {_token(name, k): _token(name, v) for k, v in _mapping(name, value)}
    if name == "missing_keys":
        if not isinstance(value, list | tuple):
            raise TypeError(f"{name} must be a list")
        return [_token(name, item) for item in value]
    raise AttributeError(f"unknown setting {name!r}")


_TOKEN = re.compile(r"[A-Z0-9]+|#")


def _token(name: str, value: Any) -> str:
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        raise ValueError(f"{name}: {value!r} is not a key token (A-Z, 0-9, or #)")
    return value


def _range(name: str, value: Any) -> tuple[float, float]:
    """Coerce a (min, max) pair of seconds; one number means exactly that long."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = (value, value)
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise TypeError(f"{name} must be a number or [min, max]")
    low, high = value
    for bound in (low, high):
        if (
            isinstance(bound, bool)
            or not isinstance(bound, int | float)
            or not math.isfinite(bound)
            or bound < 0
        ):
            raise TypeError(f"{name} bounds must be numbers >= 0")
    if low > high:
        raise ValueError(f"{name}: min {low} is above max {high}")
    return (float(low), float(high))


def _string(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string")
    return value


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}")
    return str(value)


def _mapping(name: str, value: Any) -> list[tuple[Any, Any]]:
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a mapping")
    return list(value.items())


def _accounts(value: Any) -> list[AccountConfig]:
    if not isinstance(value, list):
        raise TypeError("accounts must be a list")
    result = []
    for item in value:
        if isinstance(item, AccountConfig):
            result.append(item)
        elif isinstance(item, dict):
            result.append(AccountConfig(**item))
        else:
            raise TypeError("each account must be a mapping")
    return result
