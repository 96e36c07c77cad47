"""Tests for the Grandstream GXP Phone integration."""
