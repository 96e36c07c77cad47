"""Constants for the Grandstream GXP Phone integration."""

from datetime import timedelta
import logging
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import probatio
else:
    import voluptuous as probatio

# What Home Assistant's types name; at run time newer releases alias voluptuous to
# probatio, and Home Assistant 2026.3 still uses voluptuous itself. An assignment, so
# that mypy lets the other modules import it from here.
vol = probatio

DOMAIN: Final = "grandstream_gxp"
LOGGER = logging.getLogger(__package__)

# Config entry data besides Home Assistant's names (host, port, password, ssl, ...).
CONF_MODEL: Final = "model"
CONF_ADVANCED: Final = "advanced"
CONF_PUSH_SEEN: Final = "push_seen"
CONF_PROBED_KEYS: Final = "probed_keys"
CONF_FIRMWARE: Final = "firmware"
CONF_ACTION_URLS_FINGERPRINT: Final = "action_urls_fingerprint"
CONF_LEARNED_SWAP: Final = "learned_swap"
CONF_KEYS_ONLY: Final = "keys_only"

# Options.
CONF_AUTO_ATTENDED_TRANSFER: Final = "auto_attended_transfer"
CONF_SWAP_METHOD: Final = "swap_method"
CONF_KEY_OVERRIDES: Final = "key_overrides"
CONF_WRITE_ACTION_URLS: Final = "write_action_urls"
CONF_VOICE_SENTENCES: Final = "voice_sentences"

DEFAULT_AUTO_ATTENDED_TRANSFER: Final = True
DEFAULT_SWAP_METHOD: Final = "auto"
DEFAULT_WRITE_ACTION_URLS: Final = False
DEFAULT_VOICE_SENTENCES: Final = True
DEFAULT_SCAN_INTERVAL: Final = 30
MIN_SCAN_INTERVAL: Final = 5
MAX_SCAN_INTERVAL: Final = 3600

# Polling while a call or an action is in progress.
FAST_POLL_INTERVAL: Final = timedelta(seconds=1)
# Fast polling ends when the lines stay the same this long: every transient state
# moves on well before (No Key Entry Timeout, ring timeouts [D]); only a call that is
# up stays, and its end is then seen at the idle interval.
STEADY_CALL_LIMIT: Final = timedelta(minutes=5)
# Account registrations change rarely; read them every few minutes.
ACCOUNTS_INTERVAL: Final = timedelta(minutes=5)

# While push is proven alive, an idle phone is read only to notice it went away:
# 48 line and 4 account reads an hour, under the budget of 60 requests.
PUSH_IDLE_INTERVAL: Final = timedelta(seconds=75)
PUSH_ACCOUNTS_INTERVAL: Final = timedelta(minutes=15)
# A pushed and a polled event alike within this time are one event.
DUPLICATE_WINDOW: Final = timedelta(seconds=15)
REQUEST_TIMEOUT: Final = 10.0

# The key probe: time to act on a key before the read (a phone may answer before its
# key queue ran), the pause between reads, how long to wait for idle after a key.
PROBE_SETTLE: Final = 0.5
PROBE_POLL_INTERVAL: Final = 0.2
PROBE_RESTORE_TIMEOUT: Final = 5.0
