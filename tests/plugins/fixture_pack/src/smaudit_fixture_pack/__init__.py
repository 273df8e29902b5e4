"""A tiny sm-audit rule pack (test fixture)."""
