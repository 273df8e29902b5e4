"""A pack module whose dependency is missing: it fails to import."""

import smaudit_fixture_pack_missing_dependency  # noqa: F401

RULES = []
