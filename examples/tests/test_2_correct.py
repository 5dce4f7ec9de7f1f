"""The correct patterns: leakwatch reports nothing for these."""

from unittest.mock import patch

import pytest
from shop import config, runner


def test_with_patch() -> None:
    with patch("shop.runner.log_event") as log:
        runner.run_job("b")
    log.assert_called_once()


def test_monkeypatch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_REGION", "us-east-1")
    monkeypatch.setattr(config.settings, "debug", True)


@pytest.fixture(scope="module")
def plugin_enabled():
    config.settings.plugins.append("audit")
    yield
    config.settings.plugins.remove("audit")


def test_module_fixture(plugin_enabled) -> None:
    assert "audit" in config.settings.plugins
