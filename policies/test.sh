#!/usr/bin/env bash
# Gate for the policy suite (gatekeeper-library test.sh style). Fails on the first broken step:
#   1. opa fmt --diff is clean
#   2. opa check --strict
#   3. every rules/<name>/ has policy.rego, policy_test.rego, README.md, suite.yaml,
#      samples/allowed/ and samples/disallowed/ (each with at least one sample)
#   4. opa test (every rule, the libraries and the batch package)
#   5. conftest on every sample gives exactly the findings its suite.yaml lists
#      (allowed: none; disallowed: the exact {rule, msg} list; `combine: true` runs --combine);
#      one conftest run for every sample judged alone, one per --combine sample: pytest on
#      tests/test_policy_samples.py, which pytest over tests/ also runs (--no-samples skips it here)
# Tools: <repo>/bin/opa and bin/conftest (ci/bootstrap), else PATH; .venv (pytest, PyYAML) else python3.
# Usage: policies/test.sh [--no-samples]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
tool() { if [[ -x "$ROOT/bin/$1" ]]; then echo "$ROOT/bin/$1"; elif command -v "$1" >/dev/null; then command -v "$1"; else echo "missing $1: run ci/bootstrap" >&2; exit 2; fi; }
OPA="$(tool opa)"
tool conftest >/dev/null # tests/test_policy_samples.py runs it
cd "$HERE"
# Small inputs: Go's collector only costs time here (aifactory_policy/tools.py measured the same)
[[ -n "${GOGC:-}${GOMEMLIMIT:-}" ]] || export GOGC=off GOMEMLIMIT=1GiB

step() { printf '== %s\n' "$*"; }

step "opa fmt --diff"
diff_out="$("$OPA" fmt --diff .)"
if [[ -n "$diff_out" ]]; then
	printf '%s\n' "$diff_out"
	echo "FAIL: run '$OPA fmt -w policies/'" >&2
	exit 1
fi

step "opa check --strict"
"$OPA" check --strict .

step "rule folders"
missing=0
for dir in rules/*/; do
	for f in policy.rego policy_test.rego README.md suite.yaml; do
		[[ -f "$dir$f" ]] || { echo "FAIL: $dir$f missing" >&2; missing=1; }
	done
	for s in allowed disallowed; do
		compgen -G "${dir}samples/$s/*.yaml" >/dev/null || { echo "FAIL: ${dir}samples/$s/*.yaml missing" >&2; missing=1; }
	done
done
[[ $missing == 0 ]]

step "opa test"
"$OPA" test . --ignore '*.yaml'

if [[ "${1:-}" != "--no-samples" ]]; then
	step "conftest on every sample against suite.yaml (tests/test_policy_samples.py)"
	PY="$ROOT/.venv/bin/python"
	[[ -x "$PY" ]] || PY="$(command -v python3)"
	(cd "$ROOT" && "$PY" -m pytest -q -p no:cacheprovider tests/test_policy_samples.py)
fi
step "OK"
