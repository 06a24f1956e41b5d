"""Where the shared reference envelopes of sentry-sdk 2.75 are: beside the checkout.

They live in ``shared/reference/sentry-sdk-2.75`` next to the project's root (or next to
one of its parents, for a git worktree kept elsewhere); tests that need them skip when
they are absent.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _find() -> Path:
    for parent in [ROOT, *ROOT.parents]:
        candidate = parent.parent / "shared" / "reference" / "sentry-sdk-2.75"
        if candidate.is_dir():
            return candidate
    return ROOT.parent / "shared" / "reference" / "sentry-sdk-2.75"


REFERENCE_DIR = _find()
