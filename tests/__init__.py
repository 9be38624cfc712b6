"""Tests: unit tests per package, conversation tests against real servers, web tests against the real app."""
