"""leakwatch: find the tests that leak state into later tests.

Enable with ``pytest --leakwatch`` (or ini ``leakwatch = true``). See README.md.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
