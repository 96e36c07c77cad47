"""Tests of the CTI client library."""
