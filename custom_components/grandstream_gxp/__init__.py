"""The Grandstream GXP Phone integration."""
