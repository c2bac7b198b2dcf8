"""A rule is its folder (docs/adding-a-rule.md): in a copy of the repository, a throwaway rule
(tests/data/adding_a_rule/throwaway: the 6 files of a policy-only rule) is added, the generators run
(ci/generated_files.py), and the catalogue, `aifactory-policy rules`, --version and the help texts,
the SARIF reporter, the documents' rule table and ranges and the rule's own README pick it up; then
its admission.yaml (the 7th file: the admission policy mirrors the rule) and the admission policy,
its README and its cases pick that up. Every other file that changed is one a generator wrote: the
files a person touches are counted, and `--check` passes afterwards. The CLI runs from the copy's
src/ (PYTHONPATH), with the real opa."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from aifactory_policy.rule_catalogue import CATALOGUE
from aifactory_policy.rule_ids import expand
from helpers import REPO

DATA = REPO / "tests" / "data" / "adding_a_rule"
FOLDER = "throwaway"
# What the CLI, the generators and the documents need; nothing of tests/ (the rule brings its own).
COPIED = ("policies", "src", "ci", "charts", "docs", "README.md")
IGNORE = shutil.ignore_patterns(".venv", ".git", "bin", "__pycache__", "*.egg-info", ".pytest_cache")
LIMITS = {"policy-only": 6, "admission-mirrored": 7}   # issue 23's goal: files a person touches


def next_id() -> str:
    """The next free manifest-rule id (AIF010 while the rules end at AIF009)."""
    return f"AIF{max(int(rid[3:]) for rid, e in CATALOGUE.items() if e['folder']) + 1:03d}"


def run(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "PATH": f"{REPO / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    env.pop("AIFACTORY_POLICY_ROOT", None)
    res = subprocess.run(list(args), cwd=root, env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert res.returncode == 0, f"{args}: exit {res.returncode}\n{res.stdout}\n{res.stderr}"
    return res


def cli(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(root, sys.executable, "-m", "aifactory_policy", *args, check=check)


def git(root: Path, *args: str) -> str:
    return run(root, "git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args).stdout


def place(src: Path, dest: Path, rid: str) -> list[str]:
    """Copy a throwaway file or folder in, with the rule id it gets here; the paths it wrote."""
    written = []
    for p in ([src] if src.is_file() else sorted(q for q in src.rglob("*") if q.is_file())):
        target = dest if src.is_file() else dest / p.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(p.read_text(encoding="utf-8").replace("AIF010", rid), encoding="utf-8")
        written.append(target)
    return written


def generate(root: Path) -> set[str]:
    """Run every generator; the files they wrote."""
    out = run(root, sys.executable, "ci/generated_files.py").stdout
    return {line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("wrote ")}


def touched(root: Path) -> set[str]:
    """Every file that differs from the copy's first commit (added, changed or removed)."""
    git(root, "add", "-A")
    return set(git(root, "diff", "--cached", "--name-only", "base").split())


@pytest.fixture
def repo(tmp_path) -> Path:
    """A copy of what the rules need, committed (tag `base`) so that every touched file shows."""
    root = tmp_path / "repo"
    root.mkdir()
    for part in COPIED:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, root / part, ignore=IGNORE)
        else:
            shutil.copy2(src, root / part)
    git(root, "init", "-q", "-b", "base")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "tag", "base")
    return root


def _ranges_in(text: str, pattern: str) -> set[str]:
    m = re.search(pattern, text)
    assert m, pattern
    return expand(m[1])


def only_folder_and_generated(repo, rid: str, authored: set, kind: str) -> set:
    """Runs the generators; asserts at most LIMITS[kind] files were written by hand and every other
    changed file is one a generator wrote. The changed files."""
    generated = generate(repo)
    changed = touched(repo)
    outside = changed - authored
    print(f"\n{kind} rule {rid}: {len(authored)} files written by hand, {len(outside)} by the generators "
          f"({', '.join(sorted(outside))})")
    assert len(authored) <= LIMITS[kind]
    assert outside <= generated, f"changed but not generated: {sorted(outside - generated)}"
    return changed


def test_a_policy_only_rule_touches_its_folder_only(repo):
    rid, rules = next_id(), repo / "policies" / "rules"
    authored = {p.relative_to(repo).as_posix() for p in place(DATA / FOLDER, rules / FOLDER, rid)}
    changed = only_folder_and_generated(repo, rid, authored, "policy-only")
    assert not any(p.startswith("policies/admission/") for p in changed)   # not mirrored: admission untouched
    run(repo, sys.executable, "ci/generated_files.py", "--check")

    # its own checks, as policies/test.sh runs them: opa test, and conftest gives what suite.yaml says
    assert "PASS: 2/2" in run(repo, "opa", "test", "--ignore", "*.yaml", "policies/lib/finding", f"policies/rules/{FOLDER}").stdout
    suite = yaml.safe_load((rules / FOLDER / "suite.yaml").read_text())["samples"]
    res = run(repo / "policies", "conftest", "test", "--all-namespaces", "--no-color", "-o", "json", "-p", ".",
              "--data", "claude_code.json", *[f"rules/{FOLDER}/{c['file']}" for c in suite], check=False)
    got: dict[str, list] = {}
    for r in json.loads(res.stdout):   # one result per file and policy namespace
        got.setdefault(r["filename"], []).extend((f["metadata"]["rule"], f["msg"]) for f in r.get("failures") or [])
    for c in suite:
        assert sorted(got[f"rules/{FOLDER}/{c['file']}"]) == sorted((e["rule"], e["msg"]) for e in c["expected"]), c

    # the catalogue (what the reporters and `rules` read) and `aifactory-policy rules`
    entry = json.loads(run(repo, sys.executable, "-c", "import json; from aifactory_policy.rule_catalogue import "
                           f"CATALOGUE; print(json.dumps(CATALOGUE[{rid!r}]))").stdout)
    assert entry["folder"] == FOLDER and entry["severity"] == "warning" and entry["short_title"] == "A throwaway ConfigMap"
    listed = json.loads(cli(repo, "rules", "list", "--format", "json").stdout)["rules"]
    assert [e for e in listed if e["id"] == rid] == [entry]
    row = [line for line in cli(repo, "rules", "list").stdout.splitlines() if line.startswith(rid)]
    assert len(row) == 1 and f"rules/{FOLDER}" in row[0] and "A throwaway ConfigMap" in row[0]
    assert f"policies/rules/{FOLDER}/README.md" in cli(repo, "rules", "explain", rid).stdout

    # --version and the help texts name it in their ranges
    assert rid in _ranges_in(cli(repo, "--version").stdout, r"policies: \d+ rules \(([^)]+)\)")
    assert rid in _ranges_in(cli(repo, "check", "--help").stdout, r"template file \((AIF[A-Z0-9, -]+)\)")
    assert rid in _ranges_in(cli(repo, "audit", "--help").stdout, r"\n  (AIF[A-Z0-9, -]+?)  the manifest rules")

    # the SARIF reporter: the rule in the driver's rules, its finding on the disallowed sample only
    res = cli(repo, "scan", f"policies/rules/{FOLDER}/samples", "--format", "sarif", check=False)
    assert res.returncode in (0, 1), res.stderr
    sarif = json.loads(res.stdout)["runs"][0]
    driver = {r["id"]: r for r in sarif["tool"]["driver"]["rules"]}
    assert driver[rid]["shortDescription"]["text"] == "A throwaway ConfigMap"
    hits = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["results"] if r["ruleId"] == rid]
    assert len(hits) == 1 and hits[0].endswith("disallowed/configmap-throwaway.yaml"), hits

    # the documents: the rule table, the ranges, the rule README's title and samples section
    table = (repo / "policies" / "README.md").read_text()
    assert f"| {rid} | warning | [`rules/{FOLDER}`](rules/{FOLDER}/README.md) | No ConfigMap marked as a throwaway |" in table
    audit_doc = (repo / "docs" / "audit.md").read_text()
    assert rid in _ranges_in(audit_doc, r"<!-- rule-ids:manifest -->(.*?)<!-- /rule-ids -->")
    readme = (rules / FOLDER / "README.md").read_text()
    assert readme.splitlines()[0] == f"# {rid} {FOLDER} — No ConfigMap marked as a throwaway"
    assert "| [`disallowed/configmap-throwaway.yaml`](samples/disallowed/configmap-throwaway.yaml) | " \
           f"{rid} |" in readme and "admission policy does not mirror this rule" in " ".join(readme.split())


def test_an_admission_mirrored_rule_is_one_file_more(repo):
    rid, folder = next_id(), repo / "policies" / "rules" / FOLDER
    authored = {p.relative_to(repo).as_posix() for p in place(DATA / FOLDER, folder, rid)}
    authored |= {p.relative_to(repo).as_posix() for p in place(DATA / "admission.yaml", folder / "admission.yaml", rid)}
    only_folder_and_generated(repo, rid, authored, "admission-mirrored")
    run(repo, sys.executable, "ci/generated_files.py", "--check")

    # the policy: the rule's validation in the ConfigMap policy, after the rules before it
    policies = {d["metadata"]["name"]: d for d in json.loads(run(
        repo, sys.executable, "-c", "import json, yaml; print(json.dumps(list(yaml.safe_load_all(open("
        "'policies/admission/policy/validating-admission-policy.yaml')))))").stdout)}
    messages = [v["message"] for v in policies["aifactory-claude-credentials-configmaps"]["spec"]["validations"]]
    assert messages[-1].startswith(f"{rid}: ") and messages[0].startswith("AIF001: ")
    assert not any(v["message"].startswith(rid) for v in policies["aifactory-claude-credentials-workloads"]["spec"]["validations"])
    # its cases: both samples, judged by the API server with their folder's verdict
    cases = json.loads(run(repo, sys.executable, "-c", "import json, sys; sys.path.insert(0, 'ci'); "
                           "import admission_policy as a; print(json.dumps(a.cases()))").stdout)
    mine = {c["file"]: c for c in cases if c["rule"] == rid}
    assert mine == {f"rules/{FOLDER}/samples/allowed/configmap-plain.yaml": {
                        "file": f"rules/{FOLDER}/samples/allowed/configmap-plain.yaml", "verdict": "allowed", "rule": rid},
                    f"rules/{FOLDER}/samples/disallowed/configmap-throwaway.yaml": {
                        "file": f"rules/{FOLDER}/samples/disallowed/configmap-throwaway.yaml", "verdict": "disallowed",
                        "rule": rid}}
    # the documents: the admission README's table and range, the top README's range, the rule README
    admission_readme = (repo / "policies" / "admission" / "README.md").read_text()
    assert f"| [{rid}](../rules/{FOLDER}/README.md) | a ConfigMap labelled `aifactory.dev/throwaway: deny` |" in admission_readme
    for doc in (admission_readme, (repo / "README.md").read_text()):
        assert _ranges_in(doc, r"<!-- rule-ids:admission -->(.*?)<!-- /rule-ids -->") == {"AIF001", "AIF002", "AIF003", rid}
    readme = (folder / "README.md").read_text()
    assert "| [`disallowed/configmap-throwaway.yaml`](samples/disallowed/configmap-throwaway.yaml) | " \
           f"{rid} | denied |" in readme
