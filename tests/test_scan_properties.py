"""Property tests on the whole `scan` pipeline (file -> YAML -> real OPA policies -> findings):
credential material placed anywhere in random values trees and manifests, in any encoding
(plain, base64, JSON string, block scalar, comment), is always found, and never echoed; random
clean inputs never give AIF001. One real `opa eval` per example, so few examples and no shrinking."""
from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from aifactory_policy.commands import scan

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    phases=[Phase.explicit, Phase.reuse, Phase.generate])
MARKERS = ("sk-ant", "claudeAiOauth", "\\u", "c2stYW50L", "NrLWFudC", "zay1hbnQt", "Y2xhdWRlQWlPYXV0a",
           "NsYXVkZUFpT2F1dG", "jbGF1ZGVBaU9hdXRo")
SAFE_TEXT = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=24).filter(
    lambda s: not any(m in s for m in MARKERS))
KEY = st.from_regex(r"[a-z][a-zA-Z0-9]{0,8}", fullmatch=True)
TREE = st.recursive(st.one_of(SAFE_TEXT, st.integers(), st.booleans(), st.none()),
                    lambda inner: st.one_of(st.lists(inner, min_size=1, max_size=4),
                                            st.dictionaries(KEY, inner, min_size=1, max_size=4)),
                    max_leaves=12)
ENCODINGS = ["plain", "base64", "json", "block", "comment"]


class _BlockDumper(yaml.SafeDumper):
    pass


_BlockDumper.add_representer(str, lambda d, s: d.represent_scalar(
    "tag:yaml.org,2002:str", s, style="|" if "\n" in s else None))


@st.composite
def material(draw) -> tuple[str, str]:
    """(secret body that must never be printed, the credential as placed)"""
    body = "FAKEprop" + draw(st.from_regex(r"[A-Za-z0-9]{12,30}", fullmatch=True))
    family = draw(st.sampled_from(["oat01", "ort01", "api03"]))
    token = f"sk-ant-{family}-{body}"
    shape = draw(st.sampled_from(["token", "login"]))
    raw = token if shape == "token" else json.dumps({"claudeAiOauth": {"accessToken": token, "refreshToken": token}})
    return body, raw


def place(draw, tree, value):
    """Put value at a random place in tree (a new key of some mapping, or an item of some list)."""
    containers = []

    def collect(node):
        if isinstance(node, (dict, list)):
            containers.append(node)
            for child in (node.values() if isinstance(node, dict) else node):
                collect(child)
    if not isinstance(tree, (dict, list)):
        tree = {"v": tree}
    collect(tree)
    target = draw(st.sampled_from(containers))
    if isinstance(target, dict):
        target["zz" + draw(KEY)] = value
    else:
        target.insert(draw(st.integers(0, len(target))), value)
    return tree


def wrap(tree, as_manifest: bool):
    if as_manifest:
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "ns"},
                "data": {"tree": tree}}
    return {"values": tree} if not isinstance(tree, dict) else tree


def scan_text(text: str):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "input.yaml"
        path.write_text(text, encoding="utf-8")
        report = scan.run([str(path)])
    assert not report.failures, report.failures
    return report


@SETTINGS
@given(tree=TREE, secret=material(), encoding=st.sampled_from(ENCODINGS), as_manifest=st.booleans(), data=st.data())
def test_credential_material_anywhere_is_found(tree, secret, encoding, as_manifest, data):
    body, raw = secret
    if encoding == "comment":
        text = yaml.safe_dump(wrap(tree, as_manifest), sort_keys=False)
        text = f"# {raw}\n{text}" if data.draw(st.booleans()) else f"{text}# old: {raw}\n"
    else:
        value = {"plain": raw, "base64": base64.b64encode(raw.encode()).decode(),
                 "json": json.dumps({"note": raw}),
                 "block": f"first line\n{raw}\nlast line\n"}[encoding]
        doc = wrap(place(data.draw, tree, value), as_manifest)
        text = yaml.dump(doc, Dumper=_BlockDumper, sort_keys=False)
    report = scan_text(text)
    rules = [f.rule for f in report.findings]
    assert "AIF001" in rules, (encoding, text)
    printed = json.dumps([f.__dict__ for f in report.findings], default=str)
    assert body not in printed


@SETTINGS
@given(tree=TREE, as_manifest=st.booleans())
def test_clean_inputs_never_give_credential_findings(tree, as_manifest):
    report = scan_text(yaml.safe_dump(wrap(tree, as_manifest), sort_keys=False))
    assert [f for f in report.findings if f.rule == "AIF001"] == []
