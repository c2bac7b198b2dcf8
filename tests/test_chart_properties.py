"""Property tests on the real chart (Helm v3 and v4 alternately): credential material anywhere in
values is always refused, clean values never are, and no accepted values render a writable or loose
credentials mount."""
from __future__ import annotations

import base64
import functools
import json
from types import SimpleNamespace

import yaml

from chart_render import helm_template
from helpers import REPO, property_settings, yaml_docs

# Each example runs a real Helm (~0.05 CPU-s): few examples (helpers.property_settings). The values
# properties put a batch of trees into one values file: the chart's guard reports every offending
# key at once.
BATCH = 8


def render_with(helm: str, values: dict, tmp_path) -> tuple[int, str, str]:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    result = helm_template(helm, "-f", str(path))
    return result.returncode, result.stdout, result.stderr


@functools.lru_cache(maxsize=None)
def strategies() -> SimpleNamespace:
    """Built on first use (hypothesis is imported by the tests that run, see property_settings)."""
    from hypothesis import strategies as st

    # Clean means none of what policies/claude_code.json defines as material, the base64 markers
    # included: Hypothesis draws constants from the code it sees, and a bare marker is refused by design.
    material = json.loads((REPO / "policies" / "claude_code.json").read_text())["claude_code"]["credential_material"]
    markers = ("sk-ant", "claudeAiOauth", *material["base64_markers"])
    safe_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=20).filter(
        lambda s: not any(m in s for m in markers))
    key = st.from_regex(r"[a-z][a-zA-Z0-9]{0,8}", fullmatch=True)

    @st.composite
    def credential_material(draw) -> str:
        token = draw(st.sampled_from(["sk-ant-oat01-", "sk-ant-ort01-", "sk-ant-api03-"])) + draw(
            st.from_regex(r"[A-Za-z0-9_-]{12,40}", fullmatch=True))
        login = json.dumps({"claudeAiOauth": {"accessToken": "x" * 12, "refreshToken": "y" * 12}})
        raw = draw(st.sampled_from([token, login, f"Bearer {token}"]))
        pad = draw(st.sampled_from(["", "a", "ab"]))
        encoding = draw(st.sampled_from(["plain", "base64"]))
        return raw if encoding == "plain" else base64.b64encode((pad + raw).encode()).decode()

    def nested(leaf):
        return st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, min_size=1, max_size=3),
                                                          st.dictionaries(key, inner, min_size=1, max_size=3)),
                            max_leaves=6)

    @st.composite
    def placed_material(draw) -> tuple[str, object, str]:
        """(where, subtree holding the secret at a random depth, the secret)"""
        secret, where = draw(credential_material()), draw(st.sampled_from(["global", "podAnnotations"]))
        if where == "podAnnotations":
            return where, secret, secret          # annotations are a flat map of strings
        return where, {"k": [draw(nested(safe_text)), {draw(key): secret}]}, secret

    return SimpleNamespace(st=st, helm=st.sampled_from(["helm3", "helm4"]), clean_tree=nested(safe_text),
                           placed_material=placed_material)


def test_credential_material_anywhere_in_values_is_refused(tmp_path_factory):
    from hypothesis import given
    s = strategies()

    @property_settings(3)
    @given(helm=s.helm, cases=s.st.lists(s.placed_material(), min_size=BATCH, max_size=BATCH))
    def check(helm, cases):
        values: dict = {"global": {}, "podAnnotations": {}}
        for i, (where, subtree, _) in enumerate(cases):
            values[where][f"t{i}"] = subtree
        code, _, err = render_with(helm, values, tmp_path_factory.mktemp("v"))
        assert code != 0
        for i, (where, _, secret) in enumerate(cases):   # every planted value is named, none is echoed
            assert f'values key "{where}.t{i}' in err and "holds Claude/Anthropic credential material" in err, err
            assert secret not in err
        assert err.count("holds Claude/Anthropic credential material") == len(cases), err
    check()


def test_clean_values_are_never_refused(tmp_path_factory):
    from hypothesis import given
    s = strategies()

    @property_settings(3)
    @given(helm=s.helm, trees=s.st.lists(s.clean_tree, min_size=BATCH, max_size=BATCH))
    def check(helm, trees):
        values = {"global": {f"tree{i}": tree for i, tree in enumerate(trees)}}
        code, _, err = render_with(helm, values, tmp_path_factory.mktemp("v"))
        assert code == 0, err
    check()


def test_no_accepted_values_render_a_writable_or_loose_credentials_mount(tmp_path_factory, cli):
    """Every accepted combination renders a mount the policies accept: AIF002 (credentials_mount) judges
    the renders, in one scan after the examples, instead of this test restating its mode mask."""
    from hypothesis import assume, given
    s = strategies()
    st = s.st

    @property_settings(10)
    @given(helm=s.helm, mode=st.sampled_from(["readOnly", "ownedCopy", "writeBack"]),
           key=st.from_regex(r"[a-z][a-z0-9._-]{0,20}", fullmatch=True),
           fs_group=st.one_of(st.none(), st.integers(1, 70000)), medium=st.sampled_from(["", "Memory"]))
    def check(helm, mode, key, fs_group, medium):
        psc = {"runAsNonRoot": True, "runAsUser": 65532, "seccompProfile": {"type": "RuntimeDefault"}}
        if fs_group is not None:
            psc["fsGroup"] = fs_group
        values = {"remoteControl": {"enabled": True, "credentialsSecretName": "creds", "credentialsSecretKey": key,
                                    "mode": mode}, "podSecurityContext": psc, "home": {"medium": medium}}
        code, out, err = render_with(helm, values, tmp_path_factory.mktemp("v"))
        # only values the schema accepts (a key like `n` is a YAML 1.1 boolean, which the schema refuses)
        assume(not (code != 0 and "don't meet the specifications of the schema" in err))
        assert code == 0, err
        renders.append(out)
        for doc in yaml_docs(out):
            spec = doc.get("spec", {}).get("template", {}).get("spec")
            if mode == "writeBack" and doc["kind"] == "Deployment":
                assert any(c["name"] == "credentials-writeback" for c in spec["containers"])
    renders: list[str] = []
    check()
    folder = tmp_path_factory.mktemp("renders")
    for i, out in enumerate(renders):
        (folder / f"render-{i}.yaml").write_text(out)
    result = cli("scan", folder, "--format", "json")
    import json
    mounts = [f for f in json.loads(result.out)["findings"] if f["rule"] == "AIF002"]
    assert renders and mounts == [], mounts
