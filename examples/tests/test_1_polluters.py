"""Tests that pass, and leave state behind for later tests (each a real pattern)."""

import importlib
import os
from unittest.mock import MagicMock, patch

import pytest
from shop import config, drivers, registry, runner


def test_mock_left_on_log_event() -> None:
    patcher = patch("shop.runner.log_event")  # started, never stopped
    patcher.start()
    runner.run_job("a")


def test_mock_assigned_on_registry() -> None:
    registry.ComponentRegistry.load_specs = MagicMock(return_value=["fake"])  # direct assignment


def test_registry_mutated_in_place() -> None:
    registry.ComponentRegistry._components["bad.component"] = object


def test_settings_flag() -> None:
    config.settings.debug = True


def test_env_leak() -> None:
    os.environ["SHOP_REGION"] = "eu-west-1"


@pytest.fixture
def reloaded_drivers():
    yield importlib.reload(drivers)  # the reload survives the test


def test_with_reloaded_drivers(reloaded_drivers) -> None:
    assert reloaded_drivers.Driver().connect() == "connected"
