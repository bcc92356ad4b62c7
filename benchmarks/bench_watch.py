"""Benchmark: file watcher latency and steadiness on a realistic repo.

A repo with 200 source files in 20 folders, a 200-task plan, and git-ignored
node_modules/ (3,000 folders) and .venv/ (500).  Prints:

- start-up time, kernel inotify watches and threads once watching;
- save -> Change delivered latency, median and p95 over N saves of a source
  file and over 10 edits adding a task to the plan (default debounce, 0.3 s;
  target <= 500 ms);
- threads, open fds and kernel watches every quarter of 1,000 saves (bursts
  of 25, with loopd's own writes and a top-level folder made and removed
  every 100 saves): they should stay flat.

    python benchmarks/bench_watch.py [saves]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from loopd import fsio
from loopd.config import WatchSettings
from loopd.sprint import Sprint, locate
from loopd.watch import Trigger, Watcher

STEADY_SAVES = 1_000
BURST = 25


def make_repo(root: Path) -> Sprint:
    """A committed project with big ignored folders and a sprint."""
    repo = root / "repo"
    for n in range(200):
        _write(repo / f"src/pkg{n % 20}/mod{n}.py", f"value = {n}\n")
    for n in range(3_000):
        (repo / f"node_modules/pkg{n % 300}/lib{n}").mkdir(parents=True)
    for n in range(500):
        (repo / f".venv/lib/site-packages/p{n}").mkdir(parents=True)
    sprint_dir = repo / "docs/sprints/s1"
    _write(sprint_dir / "VISION.md", "# Vision\n")
    _write(sprint_dir / "PRD.md", "# PRD\n")
    _write(sprint_dir / "IMPLEMENTATION_PLAN.md", _plan(200))
    _write(repo / ".gitignore", "node_modules/\n.venv/\n.loopd/\n")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "i"]):
        subprocess.run(
            ["git", "-c", "user.email=b@loopd.invalid", "-c", "user.name=b", *args],
            cwd=repo,
            check=True,
        )
    return locate(repo, "docs/sprints", "s1")


def _plan(tasks: int) -> str:
    return "".join(f"- [x] **BUILD-{n:03d}**: task {n}\n" for n in range(1, tasks + 1))


def _pending(count: int) -> str:
    return "".join(f"- [ ] **BUILD-{900 + n}**: new task\n" for n in range(count))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def inotify_watches() -> int:
    """Kernel inotify watches this process holds."""
    total = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            if str(fd.readlink()) == "anon_inode:inotify":
                info = Path("/proc/self/fdinfo", fd.name).read_text()
                total += info.count("inotify wd:")
        except OSError:
            continue
    return total


def resources() -> tuple[int, int, int]:
    return (
        threading.active_count(),
        sum(1 for _ in Path("/proc/self/fd").iterdir()),
        inotify_watches(),
    )


def latency(watcher: Watcher, trigger: Trigger, save: list[tuple[Path, str]]) -> list[float]:
    """Seconds from each save to its Change coming out of wait()."""
    times = []
    for path, text in save:
        started = time.monotonic()
        path.write_text(text)
        changes = watcher.wait(timeout=5)
        if not any(c.trigger is trigger for c in changes):
            raise SystemExit(f"no {trigger} change for {path} within 5 s: {changes}")
        times.append(time.monotonic() - started)
    return times


def report(name: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(
        f"{name:<28} median {statistics.median(times) * 1000:6.1f} ms"
        f"   p95 {p95 * 1000:6.1f} ms   ({len(times)} saves)"
    )


def steady(sprint: Sprint, watcher: Watcher) -> None:
    """1,000 saves in bursts; resources sampled every quarter."""
    print(f"{'saves':>6} {'threads':>8} {'fds':>6} {'watches':>8}")
    files = sorted((sprint.repo / "src").rglob("*.py"))
    for done in range(0, STEADY_SAVES + 1, BURST):
        if done % (STEADY_SAVES // 4) == 0:
            print(f"{done:>6} {'{:>8} {:>6} {:>8}'.format(*resources())}")
        if done == STEADY_SAVES:
            break
        for n in range(done, done + BURST):
            files[n % len(files)].write_text(f"value = {n}\n")
        if done % 100 == 0:
            fsio.atomic_write(sprint.state_file, f"# Loop state\n\niteration: {done}\n")
            scratch = sprint.repo / f"scratch-{done}"
            scratch.mkdir()
            scratch.rmdir()
        watcher.wait(timeout=5)


def main(saves: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sprint = make_repo(Path(tmp))
        before = resources()
        started = time.monotonic()
        with Watcher(sprint, WatchSettings()) as watcher:
            print(f"start: {(time.monotonic() - started) * 1000:.0f} ms")
            now = resources()
            print(f"watching: +{now[0] - before[0]} threads, {now[2]} kernel watches")
            print("  (node_modules/ and .venv/ hold 3,500+ folders: none is watched)")
            source = sprint.repo / "src/pkg3/mod3.py"
            report(
                "source save -> Change",
                latency(watcher, Trigger.SOURCE, [(source, f"v = {n}\n") for n in range(saves)]),
            )
            edits = [(sprint.plan, _plan(200) + _pending(n + 1)) for n in range(10)]
            report("plan gains a task -> Change", latency(watcher, Trigger.PLAN_PENDING, edits))
            steady(sprint, watcher)
        print(f"after stop: +{threading.active_count() - before[0]} threads")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
