"""Re-execute course notebooks in place, each from a fresh kernel, top to bottom.

This is how stored outputs are refreshed: `bash course.sh refresh` (all
notebooks) or `bash course.sh refresh notebooks/02_embedding_layer.ipynb`.
Each notebook runs with its own folder as the working directory; the setup
that ran it (versions, CPU capability, threads: see `tools/doctor.py`) is
recorded in its metadata. The time each notebook took is printed at the end.

It also measures what the chapter costs to run: the wall time and the peak
memory of its kernel (with any processes the kernel starts), recorded as
``metadata["embcourse"]["cost"]`` with a digest of the code cells. From that
record it writes the one markdown cell it owns, tagged ``chapter-cost`` and
placed right after the title cell: "This chapter runs in about 2 min and needs
1.1 GB of memory at its peak (...)". Never edit that cell by hand: a test
(`tests/test_chapter_cost.py`) checks it against the record, and the record
against the notebook's code, so the line goes stale (and the test fails) when
the code changes without a refresh.

It never destroys work: a notebook with uncommitted changes (edits you have
not committed) is refused unless you pass `--force`, and each notebook is
written to a temporary file and renamed, so an interrupted or failed run
leaves the stored notebook as it was.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from doctor import _cpu, setup  # noqa: E402
from student_edition import write_atomically  # noqa: E402


def uncommitted(path: Path) -> str | None:
    """Why ``path`` may hold uncommitted work (a sentence), or None when it is committed as is."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--", path.name], cwd=path.parent,
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return "git is not available to tell whether it has uncommitted changes"
    if out.returncode != 0:
        return "it is not in a git checkout, so its changes cannot be checked"
    if out.stdout.strip():
        return "it has uncommitted changes"
    return None


COST_TAG = "chapter-cost"
POLL_SECONDS = 0.2


def code_digest(nb) -> str:
    """SHA-256 of the sources of the notebook's code cells, in order."""
    sources = [c["source"] if isinstance(c["source"], str) else "".join(c["source"])
               for c in nb["cells"] if c["cell_type"] == "code"]
    return hashlib.sha256(json.dumps(sources).encode("utf-8")).hexdigest()


def _duration(seconds: float) -> str:
    if seconds < 60:
        return "under a minute"
    minutes = int(seconds / 30 + 0.5) / 2  # to the nearest half minute, halves up
    return f"about {minutes:g} min"


def _memory(peak_bytes: int) -> str:
    gb = int(peak_bytes / 1e8 + 0.5) / 10  # decimal units: 1 GB = 10^9 bytes, one decimal
    return f"{gb:.1f} GB" if gb >= 1 else f"{max(10, int(peak_bytes / 1e7 + 0.5) * 10)} MB"


def _cpu_name(model: str) -> str:
    """'Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz' -> 'Intel Xeon Platinum 8375C CPU'."""
    name = re.sub(r"\((R|TM|tm|r)\)|@.*$|\b\d+-Core Processor\b|\bProcessor\b", "", model)
    name = " ".join(name.split())
    return name if name.endswith("CPU") else f"{name} CPU"


def cost_text(cost: dict) -> str:
    """The chapter's cost line, rendered from its recorded ``cost`` metadata."""
    cores, threads = cost["cpu"]["cores"], cost["threads"]
    article = "an" if re.match(r"8|11-|18-", f"{cores}-") else "a"
    thread_s = "one thread" if threads == 1 else f"{threads} threads"
    return (f"This chapter runs in {_duration(cost['seconds'])} and needs "
            f"{_memory(cost['peak_bytes'])} of memory at its peak (measured on {article} "
            f"{cores}-core {_cpu_name(cost['cpu']['model'])}, {thread_s}, when its outputs "
            "were stored).")


def title_index(nb) -> int | None:
    """Index of the title cell (the first markdown cell opening with '# '), or None."""
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            return i if src.lstrip().startswith("# ") else None
    return None


def write_cost_cell(nb) -> None:
    """Replace the notebook's chapter-cost cell by one rendered from its metadata.

    The cell goes right after the title cell; a notebook without a title gets none.
    """
    nb.cells = [c for c in nb.cells if COST_TAG not in c.get("metadata", {}).get("tags", [])]
    where = title_index(nb)
    if where is None:
        return
    cell = nbformat.v4.new_markdown_cell(cost_text(nb.metadata["embcourse"]["cost"]),
                                         id=COST_TAG, metadata={"tags": [COST_TAG]})
    nb.cells.insert(where + 1, cell)


class PeakMemory:
    """The peak resident memory of a process and its descendants, sampled in a thread.

    Every ``POLL_SECONDS`` it sums the resident set sizes (RSS) of the process and
    of every process below it (workers a chapter spawns count too) and keeps the
    largest sum. On Linux it also reads the process's own high-water mark (VmHWM in
    /proc/PID/status, kept by the kernel), which catches a spike between two samples.
    """

    def __init__(self) -> None:
        self.peak, self._proc, self._stop = 0, None, threading.Event()
        self._lock = threading.Lock()  # the poller and the client's hook both sample
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self, pid: int) -> None:
        self._proc = psutil.Process(pid)
        self._thread.start()

    def sample(self) -> None:
        if self._proc is None:
            return
        try:
            procs = [self._proc, *self._proc.children(recursive=True)]
        except psutil.Error:
            return
        total = 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.Error:  # a worker that just ended
                pass
        with self._lock:
            self.peak = max(self.peak, total, _high_water_mark(self._proc.pid))

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self.sample()

    def stop(self) -> int:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        return self.peak


def _high_water_mark(pid: int) -> int:
    """Peak RSS of one process in bytes from /proc (Linux), or 0 where unavailable."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    return 0


def refresh(path: Path, timeout: int) -> float:
    """Execute one notebook in place, record its cost and cost line; return the seconds."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    memory = PeakMemory()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    # The kernel is started by the client: watch it from the moment it exists, and
    # sample once more after each cell, while the kernel is still alive.
    client.on_notebook_start = lambda **_: memory.start(client.km.provisioner.pid)
    client.on_cell_executed = lambda **_: memory.sample()
    t0 = time.perf_counter()
    try:
        client.execute()
    finally:
        peak = memory.stop()
    seconds = time.perf_counter() - t0
    recorded = setup()
    nb.metadata.setdefault("embcourse", {})["executed_with"] = recorded
    nb.metadata["embcourse"]["cost"] = {
        "seconds": round(seconds, 1), "peak_bytes": peak,
        "cpu": {"model": _cpu(), "cores": os.cpu_count()},
        "threads": recorded["threads"], "code_digest": code_digest(nb)}
    write_cost_cell(nb)
    write_atomically(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/*.ipynb")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="notebooks run at once (default 1)")
    parser.add_argument("--timeout", type=int, default=1200, help="seconds allowed per cell")
    parser.add_argument("--force", action="store_true",
                        help="refresh notebooks even when they have uncommitted changes")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for p in paths:
        if not p.is_file() or p.suffix != ".ipynb":
            parser.error(f"{p}: not a notebook file (expected an existing .ipynb)")
    if not args.force:
        refused = [(p, why) for p in paths if (why := uncommitted(p.resolve()))]
        if refused:
            for p, why in refused:
                print(f"refusing to refresh {p}: {why}", file=sys.stderr)
            print("Commit your changes first, or pass --force to overwrite the stored outputs.",
                  file=sys.stderr)
            return 2
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        times = dict(zip(paths, pool.map(lambda p: refresh(p, args.timeout), paths)))
    for p, s in times.items():
        cost = nbformat.read(p, as_version=4).metadata["embcourse"]["cost"]
        print(f"{s:7.1f} s  {cost['peak_bytes'] / 1e9:5.2f} GB peak  {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
