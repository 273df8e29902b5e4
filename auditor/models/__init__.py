"""Typed models: the inventory (what was found) and findings (what was said about it)."""
