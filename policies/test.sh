#!/usr/bin/env bash
# Gate for the policy suite (gatekeeper-library test.sh style). Fails on the first broken step:
#   1. opa fmt --diff is clean
#   2. opa check --strict
#   3. every rules/<name>/ has policy.rego, policy_test.rego, README.md, suite.yaml,
#      samples/allowed/ and samples/disallowed/ (each with at least one sample)
#   4. opa test (every rule, the libraries and the batch package)
#   5. conftest on every sample gives exactly the findings its suite.yaml lists
#      (allowed: none; disallowed: the exact {rule, msg} list; `combine: true` runs --combine);
#      one conftest run for every sample judged alone, one per --combine sample
# Tools: <repo>/bin/opa and bin/conftest (ci/bootstrap), else PATH.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
tool() { if [[ -x "$ROOT/bin/$1" ]]; then echo "$ROOT/bin/$1"; elif command -v "$1" >/dev/null; then command -v "$1"; else echo "missing $1: run ci/bootstrap" >&2; exit 2; fi; }
OPA="$(tool opa)"
CONFTEST="$(tool conftest)"
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

step "conftest on every sample against suite.yaml"
python3 - "$CONFTEST" <<'PY'
import concurrent.futures, json, os, subprocess, sys, yaml

conftest = sys.argv[1]
suites = {}
for name in sorted(os.listdir("rules")):
    with open(os.path.join("rules", name, "suite.yaml")) as f:
        suites[name] = yaml.safe_load(f)["samples"]

# One conftest run for every sample checked alone, from every rule folder (without --combine conftest
# judges each file on its own), and one per `combine: true` sample (--combine merges every file
# given). Each costs ~0.2 s of CPU, so fewer runs and two at a time. Runs start in policies/, so a
# message naming a file reads rules/<name>/samples/...; the suites name it as from the rule folder.
runs = [("alone", [(n, c) for n in suites for c in suites[n] if not c.get("combine")])]
runs += [("combine", [(n, c)]) for n in suites for c in suites[n] if c.get("combine")]


def run(kind, group):
    cmd = [conftest, "test", "--all-namespaces", "--no-color", "-o", "json", "-p", ".", "--data", "claude_code.json"]
    if kind == "combine":
        cmd.append("--combine")
    cmd += [f"rules/{n}/{c['file']}" for n, c in group]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
    done = list(pool.map(lambda r: run(*r), runs))

failed = checked = 0
for (kind, group), proc in zip(runs, done):
    label = f"rules/{group[0][0]}/{group[0][1]['file']}" if kind == "combine" else f"{len(group)} samples"
    try:
        results = json.loads(proc.stdout)
    except ValueError:
        print(f"FAIL {label}: conftest gave no JSON (exit {proc.returncode}): {proc.stderr.strip()}")
        failed += len(group)
        continue
    got_by_file = {}
    for r in results:  # one result per file and policy namespace; --combine names no single file
        key = f"rules/{group[0][0]}/{group[0][1]['file']}" if kind == "combine" else r.get("filename")
        got_by_file.setdefault(key, []).extend(
            (fl.get("metadata", {}).get("rule", "?"), fl["msg"]) for fl in (r.get("failures") or []))
    any_expected = False
    for name, case in group:
        path = f"rules/{name}/{case['file']}"
        got = sorted((rule, msg.replace(f"rules/{name}/", "")) for rule, msg in got_by_file.get(path, []))
        want = sorted((e["rule"], e["msg"]) for e in (case.get("expected") or []))
        any_expected = any_expected or bool(want)
        checked += 1
        if case["file"].startswith("samples/allowed/") and want:
            print(f"FAIL {path}: an allowed sample must expect no findings")
            failed += 1
        if got != want:
            failed += 1
            print(f"FAIL {path}")
            for item in want:
                if item not in got:
                    print(f"  missing:    {item[0]} {item[1]}")
            for item in got:
                if item not in want:
                    print(f"  unexpected: {item[0]} {item[1]}")
    if proc.returncode != (1 if any_expected else 0):
        failed += 1
        print(f"FAIL {label}: conftest exit {proc.returncode}, want {1 if any_expected else 0}")

for name, cases in suites.items():
    listed = {c["file"] for c in cases}
    on_disk = {os.path.join("samples", s, f) for s in ("allowed", "disallowed")
               for f in os.listdir(os.path.join("rules", name, "samples", s)) if f.endswith(".yaml")}
    for f in sorted(on_disk - listed):
        print(f"FAIL rules/{name}/{f}: not listed in suite.yaml")
        failed += 1
print(f"{checked} samples checked in {len(runs)} conftest runs, {failed} failures")
sys.exit(1 if failed else 0)
PY
step "OK"
