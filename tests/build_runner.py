"""`polner build` in a child process, for tests/test_concurrency.py: Stanza is replaced by the
fixture's replaying annotator, and the process can kill itself (SIGKILL, no clean-up) just
before its N-th file-system step (create, write-out, fsync, rename, delete).

usage: python tests/build_runner.py ROOT OUTPUT [--kill-at N] [--count-file PATH] [--delay SECONDS]
       python tests/build_runner.py WORK - --kill-each N,M,…

With --kill-each, one child process is forked per step number N, builds WORK/kill-N into
WORK/kill-N/dist and is killed before its N-th step; the exit status of each is printed as
JSON. Forking from this process, which has imported everything but never built, spares each
run the start-up time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parent
sys.path[:0] = [str(TESTS.parent), str(TESTS)]  # this checkout's polner, and minicorpus

import pyarrow.parquet as pq  # noqa: E402

import polner.runners  # noqa: E402
import polner.build  # noqa: E402
from minicorpus import ReplayAnnotator  # noqa: E402
from polner.cli import main  # noqa: E402

steps = 0
kill_at: int | None = None


def counted(owner: object, name: str) -> None:
    original = getattr(owner, name)

    def step(*args, **kwargs):
        global steps
        steps += 1
        if steps == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)

    setattr(owner, name, step)


def run() -> int:
    global kill_at
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("output")
    parser.add_argument("--kill-at", type=int)
    parser.add_argument("--count-file", type=Path)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--kill-each")
    args = parser.parse_args()
    kill_at = args.kill_at
    ReplayAnnotator.delay = args.delay
    polner.runners.StanzaAnnotator = ReplayAnnotator
    for owner, name in [(os, "replace"), (os, "rename"), (os, "fsync"), (os, "unlink"), (os, "rmdir"),
                        (shutil, "rmtree"), (tempfile, "mkstemp"), (tempfile, "mkdtemp"),
                        (polner.build, "exchange_paths"), (pq.ParquetWriter, "__init__"),
                        (pq.ParquetWriter, "write_table"), (pq.ParquetWriter, "close")]:
        counted(owner, name)
    if args.kill_each:
        return kill_each(Path(args.root), [int(n) for n in args.kill_each.split(",")])
    print("ready", flush=True)
    code = build(Path(args.root), args.output)
    if args.count_file:
        args.count_file.write_text(str(steps))
    return code


def build(root: Path, output: str | Path) -> int:
    return main(["--root", str(root), "build", "--output", str(output), "--quiet", "--stanza-dir",
                 str(root / "no-models")])


def kill_each(work: Path, points: list[int]) -> int:
    global kill_at
    import json

    statuses = {}
    for point in points:
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:  # the child: build, and die at step `point`
            kill_at = point
            root = work / f"kill-{point}"
            os._exit(build(root, root / "dist"))
        _, status = os.waitpid(pid, 0)
        statuses[point] = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    print(json.dumps(statuses))
    return 0


if __name__ == "__main__":
    sys.exit(run())
