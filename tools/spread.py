"""Measure how much the checked outputs of the notebooks move between setups.

Floating-point training differs in the last digits across CPUs, thread counts
and BLAS paths, and then diverges like a change of seed. This tool runs the
chapters under several setups and reports, for every checked cell, the largest
difference of each number from the stored one: the basis for the cell's
tolerance (CONTRIBUTING.md, "Choosing a tolerance").

    .venv/bin/python tools/spread.py run OUT [NOTEBOOK ...]   # run copies into OUT/<setup>/
    .venv/bin/python tools/spread.py report OUT [NOTEBOOK ...] # compare them with the stored outputs

``run`` executes each notebook (a copy; the stored one is not touched) under
each setup of ``SETUPS``; ``report`` prints, per checked cell, whether its
output is identical everywhere (an exact check is right), or the largest
absolute and relative difference per line (a tolerance is needed).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from nbval_tolerance import NUMBER, _number, _skeleton  # noqa: E402

# Each setup is one environment the tests must pass in (the acceptance of the
# issue "Tests that pass on every machine"), plus the AVX2 path of many laptops.
SETUPS = {
    "threads1": {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
    "aten-default": {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "ATEN_CPU_CAPABILITY": "default"},
    "threads2-cbwr": {"OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2", "MKL_CBWR": "COMPATIBLE"},
    "avx2": {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "ATEN_CPU_CAPABILITY": "avx2"},
}
RUNNER = """
import sys, nbformat
from nbclient import NotebookClient
src, dst = sys.argv[1], sys.argv[2]
nb = nbformat.read(src, as_version=4)
NotebookClient(nb, timeout=1800, kernel_name="python3", allow_errors=True,
               resources={"metadata": {"path": sys.argv[3]}}).execute()
nbformat.write(nb, dst)
"""


def chapter_paths(names: list[str]) -> list[Path]:
    return [Path(n) for n in names] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def run(out: Path, paths: list[Path], setups: list[str] | None = None) -> None:
    for setup, env in SETUPS.items():
        if setups and setup not in setups:
            continue
        (out / setup).mkdir(parents=True, exist_ok=True)
        for path in paths:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", RUNNER, str(path), str(out / setup / path.name),
                            str(path.parent)], check=True, env={**os.environ, **env})
            print(f"{setup:>14} {path.name}: {time.perf_counter() - t0:.0f} s", flush=True)


def texts(cell) -> list[str]:
    """The text outputs of a cell, streams joined as nbval compares them."""
    found, stream = [], ""
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            stream += out["text"]
        elif "text/plain" in out.get("data", {}):
            found.append(out["data"]["text/plain"])
    return ([stream] if stream else []) + found


def line_spread(texts_: list[str]) -> list[str]:
    """Per line with numbers (of the first text): the largest difference between any two texts."""
    split = [t.rstrip("\n").split("\n") for t in texts_]
    rows = []
    for n, line in enumerate(split[0]):
        if any(len(lines) != len(split[0]) or _skeleton(lines[n]) != _skeleton(line) for lines in split):
            rows.append(f"    TEXT DIFFERS  {line.strip()[:100]}")
            continue
        values = [[_number(x) for x in NUMBER.findall(lines[n])] for lines in split]
        worst_abs = worst_rel = 0.0
        for column in zip(*values):
            spread = max(column) - min(column)
            scale = max(abs(v) for v in column)
            worst_abs = max(worst_abs, spread)
            worst_rel = max(worst_rel, spread / scale if scale else 0.0)
        if worst_abs:
            rows.append(f"    abs {worst_abs:<10.4g} rel {worst_rel:<8.3g} {line.strip()[:90]}")
    return rows


def report(out: Path, paths: list[Path]) -> None:
    """Per checked cell: identical everywhere, or the largest spread of each line's numbers
    across the stored outputs and every setup (cells matched by their id)."""
    for path in paths:
        stored = nbformat.read(path, as_version=4)
        runs = {s: nbformat.read(out / s / path.name, as_version=4)
                for s in SETUPS if (out / s / path.name).exists()}
        print(f"== {path.name} (stored outputs and setups: {', '.join(runs)})")
        by_id = {s: {c.get("id"): c for c in nb.cells} for s, nb in runs.items()}
        for i, cell in enumerate(c for c in stored.cells if c.cell_type == "code"):
            if "nbval-check-output" not in cell.metadata.get("tags", []):
                continue
            others = [texts(cells[cell.id]) for cells in by_id.values() if cell.get("id") in cells]
            mine = texts(cell)
            kind = "tolerance" if "tolerance" in cell.metadata else "exact"
            if all(t == mine for t in others):
                print(f"  code cell {i} ({kind} check): identical in {len(others) + 1} outputs")
                continue
            print(f"  code cell {i} ({kind} check): differs across {len(others) + 1} outputs")
            for k, text in enumerate(mine):
                for row in line_spread([text] + [t[k] for t in others if len(t) > k]):
                    print(row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run", "report"])
    parser.add_argument("out", type=Path, help="folder of the runs, one subfolder per setup")
    parser.add_argument("notebooks", nargs="*", help="default: every chapter")
    parser.add_argument("--setups", default="",
                        help=f"comma-separated subset of {', '.join(SETUPS)} (run only; default all)")
    args = parser.parse_args(argv)
    chosen = [s for s in args.setups.split(",") if s]
    unknown = [s for s in chosen if s not in SETUPS]
    if unknown:
        parser.error(f"--setups: unknown {unknown}; choose from {', '.join(SETUPS)}")
    if args.command == "run":
        run(args.out, chapter_paths(args.notebooks), chosen)
    else:
        report(args.out, chapter_paths(args.notebooks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
