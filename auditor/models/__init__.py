"""Typed models: the resources found (resources), coverage gaps, positions, and findings (what was said about them)."""
