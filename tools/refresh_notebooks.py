"""Re-execute course notebooks in place, each from a fresh kernel, top to bottom.

This is how stored outputs are refreshed: `bash course.sh refresh` (all
notebooks) or `bash course.sh refresh notebooks/02_embedding_layer.ipynb`.
Each notebook runs with its own folder as the working directory. The time each
notebook took is printed at the end.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


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
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/*.ipynb")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="notebooks run at once (default 1)")
    parser.add_argument("--timeout", type=int, default=1200, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for p in paths:
        if not p.is_file() or p.suffix != ".ipynb":
            parser.error(f"{p}: not a notebook file (expected an existing .ipynb)")
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        times = dict(zip(paths, pool.map(lambda p: refresh(p, args.timeout), paths)))
    for p, s in times.items():
        print(f"{s:7.1f} s  {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
