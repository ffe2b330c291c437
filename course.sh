#!/usr/bin/env bash
# One entry point for the course's chores. Each command sets up (or updates)
# the virtual environment .venv inside the repository first.
#
#   bash course.sh build     build the book into _build/html (warnings are errors)
#   bash course.sh test      print the environment report, then run every test: nbval over
#                            the notebooks, unit tests, book build
#   bash course.sh doctor    print the environment report (paste it into any bug report)
#   bash course.sh refresh [--force] [NOTEBOOK ...]   re-execute notebooks in place from a
#                            fresh kernel (refuses notebooks with uncommitted changes)
#   bash course.sh student [--force]   write the student edition (no solutions) into student/
#                            (refuses to overwrite a notebook you have edited)
set -euo pipefail
cd "$(dirname "$0")"

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
VENV=.venv
# Stored outputs are produced and checked with one thread per process, so the
# numbers reproduce whatever the core count (and two notebooks can run at once).
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} MKL_NUM_THREADS=${MKL_NUM_THREADS:-1}
export PYTHONHASHSEED=0 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
unset MPLBACKEND  # notebooks must use the inline backend so figures are stored

setup() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
  fi
  local stamp="$VENV/.installed" want
  want=$(cat requirements.txt requirements-nodeps.txt pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -r requirements.txt
    "$VENV/bin/python" -m pip install --quiet --no-deps -r requirements-nodeps.txt
    "$VENV/bin/python" -m pip install --quiet --no-deps -e .
    "$VENV/bin/python" -m ipykernel install --sys-prefix --name python3 >/dev/null
    echo "$want" > "$stamp"
  fi
}

cmd=${1:-help}
shift || true
case "$cmd" in
  build)
    setup
    "$VENV/bin/jupyter-book" build . -W -n --keep-going "$@"
    echo "Open _build/html/index.html in a browser."
    ;;
  test)
    setup
    "$VENV/bin/python" tools/doctor.py
    # One pytest worker per OMP_NUM_THREADS cores (at most 2): more threads than cores
    # makes OpenMP's barriers spin, and a notebook then runs ten times slower.
    workers=$("$VENV/bin/python" -c "import os; t = int(os.environ.get('OMP_NUM_THREADS') or 1); \
print(max(1, min(2, (os.cpu_count() or 1) // max(1, t))))")
    "$VENV/bin/python" -m pytest -n "$workers" --dist loadscope --nbval-lax --nbval-current-env \
      --durations=15 notebooks tests "$@"
    ;;
  doctor)
    setup
    "$VENV/bin/python" tools/doctor.py
    ;;
  refresh)
    setup
    "$VENV/bin/python" tools/refresh_notebooks.py "$@"
    ;;
  student)
    setup
    "$VENV/bin/python" tools/student_edition.py "$@"
    ;;
  *)
    sed -n '2,14p' "$0"
    [ "$cmd" = help ]
    ;;
esac
