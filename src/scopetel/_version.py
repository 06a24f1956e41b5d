"""The version of scopetel, its SDK name in events."""

from typing import Final

VERSION: Final = "0.1.0"
SDK_NAME: Final = "scopetel.python"
CLIENT: Final = f"{SDK_NAME}/{VERSION}"
