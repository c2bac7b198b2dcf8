"""The one evaluation engine (aifactory_policy/opa.py) as the commands use it: what each plan loads,
a file OPA cannot evaluate inside one batch, and the audit's queries over batches. The comparisons
of batches with one evaluation are in test_multi_document_scale.py, test_workload_kinds.py and
test_audit*.py."""
from __future__ import annotations

import json
from pathlib import Path

from aifactory_policy import opa
from aifactory_policy.documents import InputDoc
from aifactory_policy.tools import policies_dir

from helpers import DUPLICATE_VOLUMES, write

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT / "policies/rules/shared_credentials/samples/disallowed/two-releases-one-secret.yaml"

def test_each_plan_loads_only_the_optional_folders_its_queries_name():
    assert opa.Plan().unused_folders() == ("audit", "admission", "image")
    audit = opa.Plan(queries={"audit": "data.audit.findings", "installs": "data.audit.installs"})
    assert audit.unused_folders() == ("admission", "image")
    assert opa.Plan(queries={"image": "data.image.findings"}).unused_folders() == ("audit", "admission")
    assert opa.Plan(queries={"x": "data.auditor.y"}).unused_folders() == ("audit", "admission", "image")


def test_a_file_opa_cannot_evaluate_in_one_batch_leaves_the_other_files_joined(cli, tmp_path):
    """One batch (every rule in one process) fails on one file: the engine goes file by file, reports
    that file, and the cross-document rules still join the other files (two releases in two files
    on one Secret: AIF005 naming both)."""
    alpha, beta = SHARED.read_text().split("\n---\n", 1)
    a = write(tmp_path / "alpha.yaml", alpha)
    b = write(tmp_path / "beta.yaml", beta)
    bad = write(tmp_path / "bad.yaml", DUPLICATE_VOLUMES)
    r = cli("scan", a, b, bad, "--format", "json")
    assert r.code == 2, r.err
    assert f"{bad}: the policies cannot evaluate it" in r.err, r.err
    report = json.loads(r.out)
    shared = [f for f in report["findings"] if f["rule"] == "AIF005"]
    assert len(shared) == 1 and shared[0]["file"] == str(a) and f"(also in: {b})" in shared[0]["message"], shared
    assert str(bad) not in {f["file"] for f in report["findings"]}


def _docs(n: int) -> list[InputDoc]:
    alpha, beta = SHARED.read_text().split("\n---\n", 1)
    import yaml
    holders = [InputDoc(file=f"{name}.yaml", content=yaml.safe_load(text), resource=name)
               for name, text in (("alpha", alpha), ("beta", beta))]
    filler = [InputDoc(file=f"cm{i}.yaml", content={"apiVersion": "v1", "kind": "ConfigMap",
                                                    "metadata": {"name": f"cm{i}", "namespace": "aifactory"},
                                                    "data": {"k": "v"}}, resource=f"ConfigMap/aifactory/cm{i}")
              for i in range(n)]
    return filler[: n // 2] + holders + filler[n // 2:]


def test_a_plans_queries_read_only_what_the_batches_keep(monkeypatch):
    """A query over the whole input (here: the ids the whole-input rules are given) sees the holders
    and not the filler once the input is batched, and the findings do not change."""
    plan = opa.Plan(queries={"ids": "[d.id | some d in input.documents]"})
    one = opa.outcome_of(_docs(40), policies_dir(), plan=plan)
    monkeypatch.setattr(opa, "BATCH_DOCUMENTS", 7)
    batched = opa.outcome_of(_docs(40), policies_dir(), plan=plan)
    assert len(one.values["ids"]) == 42 and sorted(batched.values["ids"]) == [20, 21]

    def key(outcome):
        return sorted((f.rule, f.file, f.message) for f in outcome.findings())
    assert key(one) == key(batched) and any(f[0] == "AIF005" for f in key(one))


def test_configmaps_and_secrets_reach_the_whole_input_rules_only_when_a_workload_names_them(monkeypatch):
    """ConfigMaps and Secrets are read by name: batched, the whole-input evaluation gets the ones the
    Remote Control workload's envFrom names and none of the filler, even filler whose keys look like
    the variables AIF003 judges (which the earlier keep-by-content sent whole: 5000 of a 10k-document
    bench scan, 800 MB at 100k). The findings are those of one process."""
    import yaml
    sample = ROOT / "policies/rules/remote_control_env/samples/disallowed/envfrom-configmap-and-secret.yaml"
    named = [InputDoc(file=f"s{i}.yaml", content=d, resource=d["kind"])
             for i, d in enumerate(yaml.safe_load_all(sample.read_text())) if d]
    filler = []
    for i in range(30):
        meta = {"name": f"f{i}", "namespace": "aifactory"}
        filler.append(InputDoc(file=f"f{i}.yaml", resource=f"ConfigMap/f{i}", content={
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"CLAUDE_CODE_USE_VERTEX": "1"}}))
        filler.append(InputDoc(file=f"g{i}.yaml", resource=f"Secret/f{i}", content={
            "apiVersion": "v1", "kind": "Secret", "metadata": meta, "data": {"ANTHROPIC_API_KEY": "eA=="}}))
    docs = filler[:30] + named + filler[30:]
    plan = opa.Plan(queries={"kinds": "[d.content.kind | some d in input.documents]"})
    one = opa.outcome_of(docs, policies_dir(), plan=plan)
    monkeypatch.setattr(opa, "BATCH_DOCUMENTS", 5)
    batched = opa.outcome_of(docs, policies_dir(), plan=plan)
    assert sorted(batched.values["kinds"]) == sorted(d.content["kind"] for d in named), batched.values

    def key(outcome):
        return sorted((f.rule, f.file, f.path or "", f.message) for f in outcome.findings())
    assert key(one) == key(batched) and sum(f[0] == "AIF003" for f in key(one)) >= 3


def test_documents_put_aside_have_no_path_and_only_the_owner_can_read_them(tmp_path, monkeypatch):
    """A Secret's data waits in an unnamed 0600 file: nothing appears in the temporary folder, and
    closing the evaluation drops it."""
    import os
    import tempfile
    from aifactory_policy.named_documents import NamedDocuments
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    aside = NamedDocuments()
    aside.put(7, "Secret", "s", InputDoc(file="f.yaml", content=None), '{"data": {"k": "c2stYW50LW9hdDAx"}}')
    fd = aside._file.fileno()
    assert os.listdir(tmp_path) == [] and os.fstat(fd).st_mode & 0o777 == 0o600
    assert [(i, part) for i, _, part in aside.named({("Secret", "s")})] == [(7, '{"data": {"k": "c2stYW50LW9hdDAx"}}')]
    assert list(aside.named({("ConfigMap", "s")})) == []
    aside.close()
    assert aside._file is None
