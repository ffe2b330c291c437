"""Every chapter opens with its measured cost: run time and peak memory, written by the refresh tool.

`tools/refresh_notebooks.py` records the cost of a real run in the notebook's metadata
(``embcourse.cost``) and renders the chapter's ``chapter-cost`` cell from it. These tests
prove the cell is there, says what the record says, and that the record belongs to the
code the notebook holds now (edit a code cell without refreshing, and it is stale).
"""

from __future__ import annotations

import copy
import sys

import pytest

from conftest import NOTEBOOKS, ROOT, read_notebook

sys.path.insert(0, str(ROOT / "tools"))
from refresh_notebooks import COST_TAG, code_digest, cost_text, title_index  # noqa: E402

STALE = "stale: run tools/refresh_notebooks.py on it (bash course.sh refresh)"
# A chapter must run in under 5 minutes on the reference 2-core CPU, one thread.
MAX_SECONDS = 300


def source(cell) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def cost_cells(nb) -> list[int]:
    return [i for i, c in enumerate(nb["cells"]) if COST_TAG in c.get("metadata", {}).get("tags", [])]


def recorded_cost(nb) -> dict:
    cost = nb["metadata"].get("embcourse", {}).get("cost")
    assert cost, "no recorded cost: " + STALE
    return cost


def staleness(nb) -> str | None:
    """Why the notebook's cost line is stale, or None when it matches its code and record."""
    cost = nb["metadata"].get("embcourse", {}).get("cost")
    if not cost:
        return "no recorded cost"
    if cost.get("code_digest") != code_digest(nb):
        return "the code cells changed since the cost was measured"
    where = cost_cells(nb)
    if len(where) != 1 or title_index(nb) is None or where[0] != title_index(nb) + 1:
        return "the chapter-cost cell is missing, doubled or not right after the title"
    if source(nb["cells"][where[0]]) != cost_text(cost):
        return "the chapter-cost cell does not say what the record says"
    return None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_one_cost_cell_right_after_the_title(path):
    nb = read_notebook(path)
    assert title_index(nb) == 0, f"{path.name}: the title must be the first cell"
    assert cost_cells(nb) == [1], f"{path.name}: expected one {COST_TAG!r} cell, right after " \
                                  f"the title; found it at {cost_cells(nb)}: {STALE}"
    assert nb["cells"][1]["cell_type"] == "markdown"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cost_cell_says_what_the_record_says(path):
    nb = read_notebook(path)
    assert source(nb["cells"][cost_cells(nb)[0]]) == cost_text(recorded_cost(nb)), \
        f"{path.name}: the cost line was edited by hand or is {STALE}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cost_was_measured_on_the_current_code(path):
    nb = read_notebook(path)
    assert recorded_cost(nb)["code_digest"] == code_digest(nb), \
        f"{path.name}: its code changed since its cost was measured: {STALE}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_recorded_cost_is_plausible_and_under_five_minutes(path):
    cost = recorded_cost(read_notebook(path))
    assert 0 < cost["seconds"] < MAX_SECONDS, \
        f"{path.name} ran {cost['seconds']} s: a chapter must run in under 5 minutes"
    assert 50e6 < cost["peak_bytes"] < 16e9, f"{path.name}: implausible peak {cost['peak_bytes']} B"
    assert cost["threads"] >= 1 and cost["cpu"]["cores"] >= 1 and cost["cpu"]["model"]


def cost(seconds: float, peak_bytes: int, cores: int = 2, threads: int = 1,
         model: str = "Intel(R) Xeon(R) Processor") -> dict:
    return {"seconds": seconds, "peak_bytes": peak_bytes, "threads": threads,
            "cpu": {"model": model, "cores": cores}, "code_digest": "x"}


@pytest.mark.parametrize("seconds, said", [
    (12.0, "runs in under a minute"), (59.9, "runs in under a minute"),
    (60.0, "runs in about 1 min"), (74.0, "runs in about 1 min"),
    (76.0, "runs in about 1.5 min"), (125.0, "runs in about 2 min"),
    (150.0, "runs in about 2.5 min"), (229.0, "runs in about 4 min")])
def test_run_time_is_rounded_to_the_half_minute(seconds, said):
    assert said in cost_text(cost(seconds, 2 * 10**9))


@pytest.mark.parametrize("peak_bytes, said", [
    (1_149_000_000, "needs 1.1 GB of memory"), (1_151_000_000, "needs 1.2 GB of memory"),
    (12_340_000_000, "needs 12.3 GB of memory"), (987_000_000, "needs 1.0 GB of memory"),
    (640_400_000, "needs 640 MB of memory"), (3_000_000, "needs 10 MB of memory")])
def test_peak_memory_is_in_gb_to_one_decimal_or_mb_below_a_gigabyte(peak_bytes, said):
    assert said in cost_text(cost(100.0, peak_bytes))


def test_cost_line_names_the_cpu_cores_and_threads():
    assert cost_text(cost(125.0, 1_100_000_000)) == (
        "This chapter runs in about 2 min and needs 1.1 GB of memory at its peak (measured "
        "on a 2-core Intel Xeon CPU, one thread, when its outputs were stored).")
    text = cost_text(cost(30.0, 10**9, cores=8, threads=4,
                          model="Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz"))
    assert "on an 8-core Intel Xeon Platinum 8375C CPU, 4 threads," in text


def test_a_changed_code_cell_makes_the_cost_stale():
    nb = copy.deepcopy(read_notebook(NOTEBOOKS[0]))
    assert staleness(nb) is None
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["source"] = source(code) + "\nx = 1"
    assert staleness(nb) == "the code cells changed since the cost was measured"


def test_a_hand_edited_cost_line_is_caught():
    nb = copy.deepcopy(read_notebook(NOTEBOOKS[0]))
    nb["cells"][1]["source"] = "This chapter runs in about 1 min and needs 0.5 GB of memory."
    assert staleness(nb) == "the chapter-cost cell does not say what the record says"


def test_a_changed_markdown_cell_does_not_make_the_cost_stale():
    nb = copy.deepcopy(read_notebook(NOTEBOOKS[0]))
    prose = next(c for c in nb["cells"][2:] if c["cell_type"] == "markdown")
    prose["source"] = source(prose) + "\n\nOne more sentence."
    assert staleness(nb) is None
