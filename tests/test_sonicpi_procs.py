"""Process tracking: a tree holds what its roots started (also orphans), and nothing else."""

from __future__ import annotations

import subprocess

import psutil

from bridge.sonicpi.procs import ProcessTree, alive


def test_tree_finds_an_orphaned_child_and_stops_only_its_own() -> None:
    other = subprocess.Popen(["sleep", "30"])  # a process of ours outside the tree
    root = subprocess.Popen(["sh", "-c", "sleep 0.3; sleep 30 & echo $!"],
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        tree = ProcessTree()
        tree.add_root(root.pid)
        assert root.stdout is not None
        child = int(root.stdout.readline())
        root.wait(timeout=5)  # the shell is gone: its sleep is an orphan now
        orphan = psutil.Process(child)
        assert orphan.ppid() != root.pid
        assert set(tree.pids()) == {child}  # (named sh until it runs exec)
        tree.terminate(tree.alive(), grace=2)
        assert not alive(orphan)
        assert tree.pids() == {}
        assert other.poll() is None  # untouched
    finally:
        other.kill()
        other.wait()
        if root.poll() is None:
            root.kill()
            root.wait()
        assert root.stdout is not None
        root.stdout.close()

