import os

# Read once, at import time: a later monkeypatch.setenv("SHOP_OFFLINE", ...) has no effect.
OFFLINE = os.environ.get("SHOP_OFFLINE") == "1"


class Settings:
    def __init__(self) -> None:
        self.debug = False
        self.plugins: list[str] = []


settings = Settings()
