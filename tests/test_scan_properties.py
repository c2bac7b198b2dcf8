"""Property tests on the whole `scan` pipeline (file -> YAML -> real OPA policies -> findings):
credential material placed anywhere in random values trees and manifests, in any encoding
(plain, base64, JSON string, block scalar, comment), is always found, and never echoed; random
clean inputs never give AIF001. Each example is a batch of files read by ONE `scan` (one real
`opa eval`), each file judged on its own findings; few examples and no shrinking."""
from __future__ import annotations

import base64
import functools
import json
import tempfile
from pathlib import Path
from types import SimpleNamespace

import yaml

from aifactory_policy.commands import scan
from helpers import property_settings

BATCH = 10  # files per example: 4 examples check 40 placed credentials and 40 clean files
EXAMPLES = 4
MARKERS = ("sk-ant", "claudeAiOauth", "\\u", "c2stYW50L", "NrLWFudC", "zay1hbnQt", "Y2xhdWRlQWlPYXV0a",
           "NsYXVkZUFpT2F1dG", "jbGF1ZGVBaU9hdXRo")
ENCODINGS = ["plain", "base64", "json", "block", "comment"]


class _BlockDumper(yaml.SafeDumper):
    pass


_BlockDumper.add_representer(str, lambda d, s: d.represent_scalar(
    "tag:yaml.org,2002:str", s, style="|" if "\n" in s else None))


def wrap(tree, as_manifest: bool):
    if as_manifest:
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "ns"},
                "data": {"tree": tree}}
    return {"values": tree} if not isinstance(tree, dict) else tree


def scan_texts(texts: list[str]) -> list[list]:
    """Findings per text, from one scan of all of them (each text its own file)."""
    with tempfile.TemporaryDirectory() as d:
        paths = [Path(d) / f"input-{i}.yaml" for i in range(len(texts))]
        for path, text in zip(paths, texts):
            path.write_text(text, encoding="utf-8")
        report = scan.scan([str(p) for p in paths], per_file=True)
    assert not report.failures, report.failures
    return [[f for f in report.findings if f.file == str(p)] for p in paths]


@functools.lru_cache(maxsize=None)
def strategies() -> SimpleNamespace:
    """Built on first use (see helpers.property_settings: hypothesis is imported by the tests that run)."""
    from hypothesis import strategies as st

    safe_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=24).filter(
        lambda s: not any(m in s for m in MARKERS))
    key = st.from_regex(r"[a-z][a-zA-Z0-9]{0,8}", fullmatch=True)
    tree = st.recursive(st.one_of(safe_text, st.integers(), st.booleans(), st.none()),
                        lambda inner: st.one_of(st.lists(inner, min_size=1, max_size=4),
                                                st.dictionaries(key, inner, min_size=1, max_size=4)),
                        max_leaves=12)

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
            target["zz" + draw(key)] = value
        else:
            target.insert(draw(st.integers(0, len(target))), value)
        return tree

    @st.composite
    def laden_text(draw) -> tuple[str, str, str]:
        """(encoding, secret body, file text with the credential placed at random)"""
        base, (body, raw) = draw(tree), draw(material())
        encoding, as_manifest = draw(st.sampled_from(ENCODINGS)), draw(st.booleans())
        if encoding == "comment":
            text = yaml.safe_dump(wrap(base, as_manifest), sort_keys=False)
            return encoding, body, (f"# {raw}\n{text}" if draw(st.booleans()) else f"{text}# old: {raw}\n")
        value = {"plain": raw, "base64": base64.b64encode(raw.encode()).decode(),
                 "json": json.dumps({"note": raw}),
                 "block": f"first line\n{raw}\nlast line\n"}[encoding]
        doc = wrap(place(draw, base, value), as_manifest)
        return encoding, body, yaml.dump(doc, Dumper=_BlockDumper, sort_keys=False)

    return SimpleNamespace(st=st, tree=tree, laden_text=laden_text)


def test_credential_material_anywhere_is_found():
    from hypothesis import given
    s = strategies()

    @property_settings(EXAMPLES)
    @given(cases=s.st.lists(s.laden_text(), min_size=BATCH, max_size=BATCH))
    def check(cases):
        for (encoding, body, text), findings in zip(cases, scan_texts([t for _, _, t in cases])):
            assert "AIF001" in [f.rule for f in findings], (encoding, text)
            printed = json.dumps([f.__dict__ for f in findings], default=str)
            assert body not in printed
    check()


def test_clean_inputs_never_give_credential_findings():
    from hypothesis import given
    s = strategies()

    @property_settings(EXAMPLES)
    @given(cases=s.st.lists(s.st.tuples(s.tree, s.st.booleans()), min_size=BATCH, max_size=BATCH))
    def check(cases):
        texts = [yaml.safe_dump(wrap(tree, as_manifest), sort_keys=False) for tree, as_manifest in cases]
        for text, findings in zip(texts, scan_texts(texts)):
            assert [f for f in findings if f.rule == "AIF001"] == [], text
    check()
