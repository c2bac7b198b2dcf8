#!/usr/bin/env bash
# Gate for the policy suite (gatekeeper-library test.sh style). Fails on the first broken step:
#   1. opa fmt --diff is clean
#   2. opa check --strict
#   3. every rules/<name>/ has policy.rego, policy_test.rego, README.md, suite.yaml,
#      samples/allowed/ and samples/disallowed/ (each with at least one sample)
#   4. opa test (every rule, the libraries and the batch package)
#   5. conftest on every sample gives exactly the findings its suite.yaml lists
#      (allowed: none; disallowed: the exact {rule, msg} list; `combine: true` runs --combine)
# Tools: <repo>/bin/opa and bin/conftest (ci/bootstrap), else PATH.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
tool() { if [[ -x "$ROOT/bin/$1" ]]; then echo "$ROOT/bin/$1"; elif command -v "$1" >/dev/null; then command -v "$1"; else echo "missing $1: run ci/bootstrap" >&2; exit 2; fi; }
OPA="$(tool opa)"
CONFTEST="$(tool conftest)"
cd "$HERE"

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

step "conftest on every sample against suite.yaml"
python3 - "$CONFTEST" <<'PY'
import json, os, subprocess, sys, yaml

conftest = sys.argv[1]
failed = 0
checked = 0
for name in sorted(os.listdir("rules")):
    suite_path = os.path.join("rules", name, "suite.yaml")
    with open(suite_path) as f:
        suite = yaml.safe_load(f)
    listed = set()
    for case in suite["samples"]:
        path = os.path.join("rules", name, case["file"])
        listed.add(case["file"])
        # Run from the rule folder so file names in messages read samples/...
        cmd = [conftest, "test", "--all-namespaces", "--no-color", "-o", "json", "-p", "../.."]
        if case.get("combine"):
            cmd.append("--combine")
        cmd.append(case["file"])
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                             cwd=os.path.join("rules", name))
        try:
            results = json.loads(run.stdout)
        except ValueError:
            print(f"FAIL {path}: conftest gave no JSON (exit {run.returncode}): {run.stderr.strip()}")
            failed += 1
            continue
        got = sorted(
            (fl.get("metadata", {}).get("rule", "?"), fl["msg"])
            for r in results for fl in (r.get("failures") or [])
        )
        want = sorted((e["rule"], e["msg"]) for e in (case.get("expected") or []))
        is_allowed = case["file"].startswith("samples/allowed/")
        if is_allowed and want:
            print(f"FAIL {path}: an allowed sample must expect no findings")
            failed += 1
        expected_exit = 0 if not want else 1
        checked += 1
        if got != want or run.returncode != expected_exit:
            failed += 1
            print(f"FAIL {path} (exit {run.returncode}, want {expected_exit})")
            for item in want:
                if item not in got:
                    print(f"  missing:    {item[0]} {item[1]}")
            for item in got:
                if item not in want:
                    print(f"  unexpected: {item[0]} {item[1]}")
    on_disk = {os.path.join("samples", s, f) for s in ("allowed", "disallowed")
               for f in os.listdir(os.path.join("rules", name, "samples", s)) if f.endswith(".yaml")}
    for f in sorted(on_disk - listed):
        print(f"FAIL rules/{name}/{f}: not listed in suite.yaml")
        failed += 1
print(f"{checked} samples checked, {failed} failures")
sys.exit(1 if failed else 0)
PY
step "OK"
