"""End-to-end tests against a real `hass` process (and a real browser)."""
