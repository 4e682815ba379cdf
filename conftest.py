"""Root conftest: the shared personas and districts live in tests/personas.py."""

pytest_plugins = ["tests.personas"]
