"""Re-execute course notebooks in place, each from a fresh kernel, top to bottom.

This is how stored outputs are refreshed: `bash course.sh refresh` (all
notebooks) or `bash course.sh refresh notebooks/02_embedding_layer.ipynb`.
Each notebook runs with its own folder as the working directory; the setup
that ran it (versions, CPU capability, threads: see `tools/doctor.py`) is
recorded in its metadata. The time each notebook took is printed at the end.

It never destroys work: a notebook with uncommitted changes (edits you have
not committed) is refused unless you pass `--force`, and each notebook is
written to a temporary file and renamed, so an interrupted or failed run
leaves the stored notebook as it was.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from doctor import setup  # noqa: E402
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


def refresh(path: Path, timeout: int) -> float:
    """Execute one notebook in place; return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - t0
    nb.metadata.setdefault("embcourse", {})["executed_with"] = setup()
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
        print(f"{s:7.1f} s  {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
