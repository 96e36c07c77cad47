"""Constants for the Grandstream GXP Phone integration."""

import logging
from typing import Final

DOMAIN: Final = "grandstream_gxp"
LOGGER = logging.getLogger(__package__)
