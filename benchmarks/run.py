"""Run the whole benchmark suite: ``.venv/bin/python benchmarks/run.py [--quick] [--rounds N]``.

Writes ``benchmarks/RESULTS.md`` and ``benchmarks/results.json``; ``--help`` lists the
options (``--only``, ``--out``, ``--profile-failing`` …). Exits 1 if a run failed.
"""

import sys
from pathlib import Path


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks import suite

    return suite.main()


if __name__ == "__main__":
    sys.exit(main())
