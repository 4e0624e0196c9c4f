"""tests/pytest: the pytest plugin's own tests use pytest's pytester."""
pytest_plugins = ["pytester"]
