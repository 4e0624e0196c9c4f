"""pytest-cbkit: pytest fixtures and markers for testing code that calls AWS CodeBuild
against `cbkit mock` (docs/pytest.md). The pytest plugin is pytest_cbkit.plugin: installed
with pip it registers itself (entry point pytest11); on the path, enable it with
`-p pytest_cbkit.plugin` or `pytest_plugins = ["pytest_cbkit.plugin"]` in conftest.py."""

from pytest_cbkit._handle import AdminError, Cbkit, Violation
from pytest_cbkit._process import CbkitError

__all__ = ["AdminError", "Cbkit", "CbkitError", "Violation"]
__version__ = "0.1.0"
