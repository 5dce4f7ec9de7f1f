#!/usr/bin/env bash
# Instruction count of one pytest run (valgrind's callgrind): the same count run after run,
# whatever the neighbours on a noisy machine are doing. One warm-up run first (bytecode).
#   benchmarks/callgrind.sh PYTHON SUITE_DIR [pytest args...]
#   benchmarks/callgrind.sh .venv/bin/python benchmarks/out/suite-1000x200c0 -p no:leakwatch
#   benchmarks/callgrind.sh .venv/bin/python benchmarks/out/suite-1000x200c0 --leakwatch
set -euo pipefail
py=$1; suite=$2; shift 2
cd "$suite"
unset PYTHONDONTWRITEBYTECODE
export PYTHONHASHSEED=0
args=(-q -p no:cacheprovider -p no:xdist -p no:hygiene "$@")
"$py" -m pytest "${args[@]}" >/dev/null 2>&1 || true
out=$(mktemp)
valgrind --tool=callgrind --callgrind-out-file="$out" "$py" -m pytest "${args[@]}" 2>&1 \
  | sed -n 's/.*Collected : \([0-9]*\).*/\1 instructions/p'
rm -f "$out"
