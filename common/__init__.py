"""Leaf primitives shared by every layer (no imports from the project)."""
