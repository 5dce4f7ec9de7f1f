"""Changes right after the watch graph changed shape are still seen, by every core.

On CPython 3.12+ the default core reads a dict-watcher log through a batch that the
graph rebuilds whenever it gains or drops a node; a rebuilt batch that started
reading at the end of the log lost every write made since the previous poll, i.e.
the whole next test (found by tests/test_validation_fp.py on 3.12/3.13).
"""

from __future__ import annotations

import pytest
from conftest import Suite


@pytest.mark.parametrize("core", ["auto", "copy-compare"])
def test_changes_after_the_graph_changed_shape(suite: Suite, core: str) -> None:
    run = suite.files(**{"test_shape.py": """
        class Obj:
            pass

        HOLDER = {}
        G = Obj()

        def test_rebind():
            global G
            G = Obj()  # the old instance's node is dropped, the new one added
        def test_next():
            HOLDER["x"] = 1
    """}).run(f"--leakwatch-core={core}")
    run.result.assert_outcomes(passed=2)
    assert run.find("attribute", "test_shape.G", "test_rebind")
    assert run.find("container", "test_shape.HOLDER['x']", "test_next")
