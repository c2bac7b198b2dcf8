"""One detector, four dialects: the credential-material data of policies/claude_code.json, as Rego
reads it (policies/lib/tokens, run by the real `opa eval`), as the chart reads its generated copy
(the real `helm template`: the chart refuses a values key holding material), as the admission
policy's generated CEL variable spells it, and as the Python detector imports it (redact.py), give
one set of samples, generated from the same data, the same verdict. The samples include the places
where Python's `re` and RE2 differ (Python's \\s also matches \\v and Unicode spaces)."""
from __future__ import annotations

import base64
import functools
import json
import subprocess
import textwrap

import pytest

from aifactory_policy import credential_data as D
from aifactory_policy.redact import TEXT, describe
from helpers import REPO, yaml_docs

BODY = "FAKEagreeBODY0123456789abcdefXYZ_-"


def samples() -> list[str]:
    out = []
    for word in D.TOKEN_KINDS:
        out += [f"sk-ant-{word}01-{BODY}", f"x={D.TOKEN_MARKER}{word}01-{BODY[:8]}", f"{D.TOKEN_MARKER}{word}01-{BODY[:7]}",
                f"{D.TOKEN_MARKER}{word}1-{BODY}", f"{D.TOKEN_MARKER}{word}001-{BODY}"]
    token = f"sk-ant-oat01-{BODY}"
    login = json.dumps({D.CREDENTIALS_KEY: {D.CREDENTIALS_TOKEN_KEYS[0]: token, D.CREDENTIALS_TOKEN_KEYS[1]: token}})
    bare = json.dumps({D.CREDENTIALS_KEY: {k: BODY for k in D.CREDENTIALS_TOKEN_KEYS}})
    out += [login, bare, "note: " + bare[:60], json.dumps({D.CREDENTIALS_KEY: {}}), f'"{D.CREDENTIALS_KEY}" : 1',
            f'"{D.CREDENTIALS_KEY}"\v: {{"accessToken": "{BODY}"}}', f'"{D.CREDENTIALS_KEY}"\u2003: {{"accessToken": "{BODY}"}}',
            f'"{D.CREDENTIALS_KEY}"\t:\n{{"refreshToken":\f"{BODY}"}}', '{"\\u0063laudeAiOauth": {"accessToken": "x"}}']
    for text in (token, login, bare):
        for pad in ("", "x", "xy"):
            enc = base64.b64encode((pad + text).encode()).decode()
            out += [enc, base64.urlsafe_b64encode((pad + text).encode()).decode(), f"prefix {enc[:40]} suffix",
                    "\n".join(textwrap.wrap(enc, 20)), "\v".join(textwrap.wrap(enc, 20))]
    out += [D.TOKEN_MARKER, "registry.example.com/shop/app:1.2.3", "QUJDREVGR0hJSktMTU5PUA==", "a" * 64,
            "sha256:" + "0123456789abcdef" * 4, base64.b64encode(b"hello world, no credential here").decode(),
            f"mentions {D.CREDENTIALS_KEY} in prose", *D.BASE64_MARKERS]
    return out


SAMPLES = samples()


@functools.lru_cache(maxsize=None)
def rego_verdicts() -> tuple[dict, set]:
    """(index -> tokens.describe, indexes the one text pattern matches) from one `opa eval`."""
    query = ('m := data.claude_code.credential_material; '
             'p := concat("|", array.concat([m.token_pattern, m.credentials_key_pattern], m.base64_markers)); '
             'described := {sprintf("%d", [i]): d | some i, s in input; d := data.lib.tokens.describe(s)}; '
             'matched := {i | some i, s in input; regex.match(p, s)}')
    proc = subprocess.run([str(REPO / "bin" / "opa"), "eval", "--stdin-input", "--format", "json",
                           "-d", str(REPO / "policies" / "lib" / "tokens" / "tokens.rego"),
                           "-d", str(REPO / "policies" / "claude_code.json"), query],
                          input=json.dumps(SAMPLES), capture_output=True, text=True, timeout=120, check=True)
    bindings = json.loads(proc.stdout)["result"][0]["bindings"]
    return {int(k): v for k, v in bindings["described"].items()}, set(bindings["matched"])


@functools.lru_cache(maxsize=None)
def helm_flagged() -> set[int]:
    """Indexes of the samples the chart refuses, from one real render with every sample a value."""
    values = {"podAnnotations": {f"s{i}": s for i, s in enumerate(SAMPLES)}}
    proc = subprocess.run([str(REPO / "bin" / "helm"), "template", "t", str(REPO / "charts" / "aifactory"),
                           "--set-json", "podAnnotations=" + json.dumps(values["podAnnotations"])],
                          capture_output=True, text=True, timeout=120)
    return {i for i in range(len(SAMPLES)) if f'values key "podAnnotations.s{i}" holds' in proc.stderr}


def test_samples_cover_both_verdicts():
    flagged = [i for i, s in enumerate(SAMPLES) if TEXT.search(s)]
    assert 10 < len(flagged) < len(SAMPLES) - 5


def test_python_describe_is_rego_describe():
    described, _ = rego_verdicts()
    python = {i: d for i, s in enumerate(SAMPLES) if (d := describe(s)) is not None}
    assert python == described, [(SAMPLES[i][:60], python.get(i), described.get(i))
                                 for i in set(python) | set(described) if python.get(i) != described.get(i)]


def test_one_pattern_one_verdict_in_python_rego_and_helm():
    _, rego = rego_verdicts()
    python = {i for i, s in enumerate(SAMPLES) if TEXT.search(s)}
    assert python == rego, [SAMPLES[i][:60] for i in python ^ rego]
    helm = helm_flagged()
    assert python == helm, [SAMPLES[i][:60] for i in python ^ helm]


def test_generated_forms_hold_the_same_pattern():
    chart = json.loads((REPO / "charts" / "aifactory" / "files" / "credential-material.json").read_text())
    assert chart["valuePattern"] == D.TEXT_PATTERN
    cel = []
    for policy in yaml_docs((REPO / "policies" / "admission" / "policy" / "validating-admission-policy.yaml").read_text()):
        for var in policy["spec"].get("variables", []):
            if var["name"] == "credentialMaterialPattern":
                expr = var["expression"]
                assert expr[0] == expr[-1] == "'"
                cel.append(expr[1:-1].replace("\\\\", "\\"))
    assert cel == [D.TEXT_PATTERN] * 2
    assert subprocess.run([str(REPO / "ci" / "rule_data.py"), "--check"], capture_output=True).returncode == 0


@pytest.mark.parametrize("name", ["sk-ant-", "claudeAiOauth"])
def test_sidecar_hand_copy_matches_the_data(name):
    """The write-back sidecar is stdlib-only and keeps its own copy: the credentials key names and no
    token pattern (it never looks for tokens in text)."""
    sidecar = (REPO / "charts" / "aifactory" / "files" / "credentials_writeback.py").read_text()
    assert "sk-ant-[" not in sidecar and not any(m in sidecar for m in D.BASE64_MARKERS)
    if name == D.CREDENTIALS_KEY:
        for key in (D.CREDENTIALS_KEY, *D.CREDENTIALS_TOKEN_KEYS):
            assert f'"{key}"' in sidecar
