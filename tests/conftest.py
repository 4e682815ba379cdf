"""Shared fixtures are in tests/personas.py (loaded for the whole suite by the root conftest)."""
