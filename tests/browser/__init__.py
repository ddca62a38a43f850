"""Tests that drive a real headless Chromium through Playwright against the live server."""
