"""A Django-settings-like object: one process-wide bag of settings that tests override."""

from __future__ import annotations

from typing import Any


class Settings:
    def __init__(self) -> None:
        self.DEBUG = False
        self.TIME_ZONE = "UTC"
        self.FEATURE_FLAGS: dict[str, bool] = {}


class LazySettings:
    """``settings.DEBUG`` reads and writes go to the wrapped ``Settings`` (as in Django)."""

    def __init__(self) -> None:
        object.__setattr__(self, "_wrapped", Settings())

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_wrapped"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_wrapped"), name, value)


settings = LazySettings()
