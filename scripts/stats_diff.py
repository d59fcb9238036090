#!/usr/bin/env python3
"""Print the statistics' difference between two builds, for the next CHANGELOG.md entry.

    python scripts/stats_diff.py OLD NEW     # each a built folder (dist/polner) or its manifest.json
    python scripts/stats_diff.py NEW         # a first release: the statistics of NEW alone

To compare with the last release, build it from its git tag into another folder, e.g.
`git worktree add /tmp/last v0.1.0 && python -m polner --root /tmp/last build --output /tmp/last/dist`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's polner

from polner.issues import PolnerError  # noqa: E402
from polner.manifest import read_manifest, stats_diff  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("builds", type=Path, nargs="+", metavar="BUILD",
                        help="[OLD] NEW: a built dataset folder or its manifest.json")
    args = parser.parse_args(argv)
    if len(args.builds) > 2:
        parser.error("give at most two builds: OLD NEW")
    try:
        manifests = [read_manifest(path) for path in args.builds]
    except PolnerError as exc:
        print(f"stats_diff: error: {exc}", file=sys.stderr)
        return 2
    old, new = (None, manifests[0]) if len(manifests) == 1 else manifests
    sys.stdout.write(stats_diff(old, new))
    return 0


if __name__ == "__main__":
    sys.exit(main())
