"""Constants for the Grandstream GXP Phone integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "grandstream_gxp"
LOGGER = logging.getLogger(__package__)

MANUFACTURER: Final = "Grandstream"

# Config entry data (host, port, password, ssl and verify_ssl use Home Assistant's names).
CONF_MODEL: Final = "model"
CONF_ADVANCED: Final = "advanced"
# Set once the phone's first valid Action URL arrived (the webhook id is CONF_WEBHOOK_ID).
CONF_PUSH_SEEN: Final = "push_seen"
# What the key probe found (`probe` action): the keys, the answers, the firmware.
CONF_PROBED_KEYS: Final = "probed_keys"
# The firmware the phone last named (login answer or Server header): the GXP1165's
# header names none, so the config flow's login is the only source there.
CONF_FIRMWARE: Final = "firmware"
# SHA-256 of the slot -> URL map last written to the phone: the same URLs need no login.
CONF_ACTION_URLS_FINGERPRINT: Final = "action_urls_fingerprint"
# The swap method `auto` found to work, with the firmware it was found on.
CONF_LEARNED_SWAP: Final = "learned_swap"
# The phone takes keys but has no line status: nothing it does can be checked.
CONF_KEYS_ONLY: Final = "keys_only"

# Options.
CONF_AUTO_ATTENDED_TRANSFER: Final = "auto_attended_transfer"
CONF_SWAP_METHOD: Final = "swap_method"
CONF_KEY_OVERRIDES: Final = "key_overrides"
# Write the Action URLs into the phone's slots (needs the admin password).
CONF_WRITE_ACTION_URLS: Final = "write_action_urls"
# Register the built-in conversation agent's sentences (`voice_sentences.py`).
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
# Fast polling ends when a read shows the same lines for this long. Every transient
# state moves on well before (dialing on the No Key Entry Timeout, ringing and calling
# on the ring timeouts [D]); only a call that is simply up stays, and its end is then
# seen at the idle interval instead of costing 300 requests more each minute.
STEADY_CALL_LIMIT: Final = timedelta(minutes=5)
# Account registrations change rarely; read them every few minutes.
ACCOUNTS_INTERVAL: Final = timedelta(minutes=5)

# While push is proven alive, an idle phone is only read to notice what push cannot
# tell (a phone that went away): 48 line reads and 4 account reads an hour, 52 in all,
# under the budget of 60 requests an hour.
PUSH_IDLE_INTERVAL: Final = timedelta(seconds=75)
PUSH_ACCOUNTS_INTERVAL: Final = timedelta(minutes=15)
# A pushed event and the same event found by a poll (or the other way round) within
# this time are one event.
DUPLICATE_WINDOW: Final = timedelta(seconds=15)
REQUEST_TIMEOUT: Final = 10.0

# The key probe: time a phone gets to act on a key before its lines are read (a real
# phone may answer before its key queue has run), the pause between reads while
# waiting for idle, and how long to wait for idle after a key.
PROBE_SETTLE: Final = 0.5
PROBE_POLL_INTERVAL: Final = 0.2
PROBE_RESTORE_TIMEOUT: Final = 5.0
