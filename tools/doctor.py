"""Print an environment report: what this machine runs the course with.

`bash course.sh doctor` prints it, and `bash course.sh test` prints it first.
Paste it into any bug report. It names the versions that decide the stored
outputs (Python, torch, NumPy, pandas), the numeric path torch takes (CPU
capability, threads, MKL's reproducibility mode), the device, whether Chromium
is there for the browser test, and whether the notebooks' stored outputs came
from a compatible setup (`tools/refresh_notebooks.py` records the setup that
made them in each notebook's metadata).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Packages whose version can change what a stored output prints.
DECIDING = ("torch", "numpy", "pandas")
SHOWN = ("torch", "numpy", "pandas", "matplotlib", "scikit-learn", "gensim", "sacrebleu",
         "safetensors", "jupyter-book", "myst-nb", "nbval", "pytest")
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "MKL_CBWR", "ATEN_CPU_CAPABILITY")


def version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def pins(path: Path = ROOT / "requirements.txt") -> dict[str, str]:
    """Package -> pinned version, from requirements.txt."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*([A-Za-z0-9_.-]+)==([^\s;#]+)", line)
        if m:
            found[m.group(1).lower()] = m.group(2)
    return found


def setup() -> dict:
    """The setup that decides stored outputs; refresh_notebooks records it in each notebook."""
    import torch

    return {"python": platform.python_version(), "machine": platform.machine(),
            "system": platform.system(),
            **{name: version(name) for name in DECIDING},
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "threads": torch.get_num_threads()}


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None)
        if path:
            try:
                out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
                return f"{path} ({out.stdout.strip() or 'version unknown'})"
            except (OSError, subprocess.SubprocessError):
                return f"{path} (does not start)"
    return "absent: the browser test will be skipped (Debian: apt-get install chromium)"


def git_state() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                               text=True, timeout=30).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return "not a git checkout"
    if not head:
        return "not a git checkout"
    return f"{head}" + (f" with {len(dirty)} changed file(s)" if dirty else " (clean)")


def stored_setups(folder: Path = ROOT / "notebooks") -> dict[str, dict | None]:
    """Notebook name -> the setup recorded when its outputs were stored (None if unrecorded)."""
    found = {}
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        found[path.name] = nb.get("metadata", {}).get("embcourse", {}).get("executed_with")
    return found


def compatibility(mine: dict, stored: dict | None) -> str:
    """How the stored outputs of one notebook relate to this machine."""
    if stored is None:
        return "no record of the setup that made them (refresh to record it)"
    differ = [f"{k} {stored.get(k)} here {mine.get(k)}" for k in ("python", *DECIDING)
              if k != "python" and stored.get(k) != mine.get(k)]
    if stored.get("python", "").rsplit(".", 1)[0] != mine["python"].rsplit(".", 1)[0]:
        differ.insert(0, f"Python {stored.get('python')} here {mine['python']}")
    if differ:
        return "INCOMPATIBLE versions, exact checks may fail: " + "; ".join(differ)
    path = [f"{k} {stored.get(k)}" for k in ("cpu_capability", "threads", "machine")
            if stored.get(k) != mine.get(k)]
    return ("compatible: same versions" +
            (f"; another numeric path ({', '.join(path)}), so training results differ within "
             "their tolerances" if path else "; same numeric path"))


def report() -> str:
    import torch

    mine = setup()
    pinned = pins()
    lines = ["embcourse environment report (paste it into any bug report)",
             f"  course         {git_state()}",
             f"  Python         {platform.python_version()} ({platform.python_implementation()}) "
             f"on {platform.system()} {platform.release()} {platform.machine()}",
             f"  CPU            {_cpu()}, {os.cpu_count()} cores",
             f"  torch          {torch.__version__}, CPU capability {mine['cpu_capability']}, "
             f"{mine['threads']} thread(s)",
             "  environment    " + ", ".join(f"{v}={os.environ.get(v, 'unset')}" for v in THREAD_VARS),
             f"  device         {'cuda (' + torch.cuda.get_device_name(0) + ')' if torch.cuda.is_available() else 'cpu (no GPU found)'}",
             f"  chromium       {chromium()}",
             "  packages"]
    for name in SHOWN:
        have, want = version(name), pinned.get(name.lower())
        flag = "" if want is None or (have or "").split("+")[0] == want else f"   <- requirements.txt pins {want}"
        lines.append(f"    {name:<14} {have or 'NOT INSTALLED'}{flag}")
    lines.append("  stored outputs")
    for name, stored in stored_setups().items():
        lines.append(f"    {name:<48} {compatibility(mine, stored)}")
    return "\n".join(lines)


def _cpu() -> str:
    sys.path.insert(0, str(ROOT))
    from embcourse.utils import cpu_model

    return cpu_model()


if __name__ == "__main__":
    print(report())
