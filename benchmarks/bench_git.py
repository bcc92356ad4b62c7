"""Benchmark: many auto-commits in one long-lived process, as the daemon does them.

Makes a throw-away repository on a loop branch and runs ``rounds`` auto-commits
(each a one-line change to one of 20 files) through one GitSeam, printing:
- time per auto-commit (median and p95),
- changes_since over the whole run,
- open file descriptors and child processes before and after: they must
  stay flat (GitPython's ``git cat-file`` helpers die with each Repo),
- for contrast, the same counts while one Repo object is held open after
  reading a commit, which is the leak the seam avoids.

    python benchmarks/bench_git.py [rounds]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from git import Repo

from loopd import proc
from loopd.gitseam import GitSeam


def open_fds() -> int:
    return sum(1 for _ in Path("/proc/self/fd").iterdir())


def children() -> int:
    """Processes whose parent is this one (zombies included)."""
    me = str(os.getpid())
    stats = (proc._stat_fields(pid) for pid in proc._all_pids())
    return sum(1 for fields in stats if fields is not None and fields[1] == me)


def make_repo(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir()
    for args in (
        ["init", "-q", "-b", "main"],
        ["config", "user.email", "bench@loopd.invalid"],
        ["config", "user.name", "bench"],
        ["commit", "-q", "--allow-empty", "-m", "initial"],
        ["switch", "-q", "-c", "loop-v2/bench-20260101-000000"],
    ):
        subprocess.run(["git", *args], cwd=repo, check=True)
    return repo


def commits(seam: GitSeam, rounds: int) -> list[float]:
    times = []
    for n in range(rounds):
        with (seam.repo / f"file{n % 20}.txt").open("a") as handle:
            handle.write(f"line {n}\n")
        start = time.perf_counter()
        result = seam.auto_commit(f"loopd(bench): change {n}")
        times.append((time.perf_counter() - start) * 1000)
        assert result is not None and result.committed
    return times


def held_repo_contrast(repo: Path) -> tuple[int, int]:
    before = children()
    held = Repo(repo)
    _ = held.head.commit.message  # starts the persistent cat-file helpers
    during = children()
    held.close()
    return before, during


def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(Path(tmp))
        seam = GitSeam(repo)
        base = seam.head()
        fds_before, kids_before = open_fds(), children()
        times = sorted(commits(seam, rounds))
        fds_after, kids_after = open_fds(), children()
        start = time.perf_counter()
        summary = seam.changes_since(base)
        since_ms = (time.perf_counter() - start) * 1000
        contrast = held_repo_contrast(repo)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"auto-commits                  {rounds}")
    median = statistics.median(times)
    print(f"time per auto-commit          median {median:7.2f} ms   p95 {p95:7.2f} ms")
    print(f"changes_since over the run    {since_ms:7.2f} ms ({len(summary.commits)} commits)")
    print(f"open fds                      before {fds_before}   after {fds_after}")
    print(f"child processes               before {kids_before}   after {kids_after}")
    print(f"(a Repo held open: children   before {contrast[0]}   while held {contrast[1]})")
    if (fds_after, kids_after) != (fds_before, kids_before):
        sys.exit("LEAK: descriptors or child processes grew")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
