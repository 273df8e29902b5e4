"""Data files the built-in rules read (sources noted inside each file)."""
