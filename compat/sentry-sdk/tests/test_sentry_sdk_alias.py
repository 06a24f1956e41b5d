"""``import sentry_sdk`` in an environment with scopetel-sentry-sdk gives scopetel's modules."""

import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import scopetel

Run = subprocess.CompletedProcess[str]
# What the surveyed applications import; each resolves to scopetel.X once it exists.
NAMES_REAL_CODE_IMPORTS = [
    "sentry_sdk.integrations.django",
    "sentry_sdk.integrations.logging",
    "sentry_sdk.utils",
    "sentry_sdk.consts",
    "sentry_sdk.tracing",
]


def test_the_top_level_module_is_scopetel_itself() -> None:
    import sentry_sdk

    assert sentry_sdk is scopetel
    assert sys.modules["sentry_sdk"] is scopetel
    assert sentry_sdk.capture_exception is scopetel.capture_exception


def test_a_submodule_is_the_same_object_under_both_names() -> None:
    import sentry_sdk.serve._records as aliased  # a package's module, as deep as it gets

    real = importlib.import_module("scopetel.serve._records")
    assert aliased is real
    assert sys.modules["sentry_sdk.serve._records"] is real
    assert sys.modules["sentry_sdk.serve"] is sys.modules["scopetel.serve"]
    # The module keeps its own identity: name and spec say scopetel.
    assert real.__name__ == "scopetel.serve._records"
    assert real.__spec__ is not None and real.__spec__.name == "scopetel.serve._records"


@pytest.mark.parametrize("name", NAMES_REAL_CODE_IMPORTS)
def test_real_code_imports_resolve_to_scopetel_or_name_the_missing_module(name: str) -> None:
    real = "scopetel" + name.removeprefix("sentry_sdk")
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as error:
        assert error.name is not None and name.startswith(error.name)
        assert error.name.startswith("sentry_sdk.")
        assert f"No module named '{error.name}'" in str(error)
        missing = "scopetel" + error.name.removeprefix("sentry_sdk")
        assert importlib.util.find_spec(missing) is None  # scopetel lacks it too
    else:
        assert module is importlib.import_module(real)


def test_a_name_scopetel_lacks_fails_like_a_missing_module() -> None:
    with pytest.raises(ModuleNotFoundError) as raised:
        importlib.import_module("sentry_sdk.no_such_module")
    assert raised.value.name == "sentry_sdk.no_such_module"
    assert str(raised.value) == "No module named 'sentry_sdk.no_such_module'"
    assert importlib.util.find_spec("sentry_sdk.no_such_module") is None
    with pytest.raises(ModuleNotFoundError, match=r"'sentry_sdk\.testing' is not a package"):
        importlib.import_module("sentry_sdk.testing.no_such_module")


def _import_in_subprocess(
    tmp_path: Path, with_sentry_sdk: bool
) -> subprocess.CompletedProcess[str]:
    if with_sentry_sdk:  # what pip leaves when sentry-sdk is installed in the same environment
        metadata = tmp_path / "sentry_sdk-2.75.0.dist-info"
        metadata.mkdir()
        (metadata / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: sentry-sdk\nVersion: 2.75.0\n"
        )
    code = "import sentry_sdk, scopetel; assert sentry_sdk is scopetel; import sentry_sdk"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_one_warning_when_the_real_sentry_sdk_is_installed_too(tmp_path: Path) -> None:
    stderr = _import_in_subprocess(tmp_path, with_sentry_sdk=True).stderr
    assert stderr.count("RuntimeWarning") == 1, stderr
    assert "scopetel-sentry-sdk and sentry-sdk are installed" in stderr
    assert "pip uninstall sentry-sdk" in stderr


def test_no_warning_when_only_scopetel_provides_sentry_sdk(tmp_path: Path) -> None:
    assert _import_in_subprocess(tmp_path, with_sentry_sdk=False).stderr == ""
