"""No output ever contains a credential (issue 13): each hole found before the fix, kept as a test,
then a property over every output channel (text, json, sarif, junit; stdout, --output file,
stderr, exit-2 errors) with random tokens in every input channel (values files, --set,
--set-string, --set-file, --set-json, manifests, file names, broken YAML): no 12-character window
of a token body, and no base64 run that decodes to one, appears anywhere. Real Helm and OPA."""
from __future__ import annotations

import base64
import json
import re
import textwrap

import pytest

from aifactory_policy.reporters import FORMATS
from helpers import REPO, write

CHART = REPO / "charts" / "aifactory"
A = "FAKEholeACCESSbody0123456789abcdefXYZ"
R = "FAKEholeREFRESHbody9876543210qrstuvWQE"
TOKEN_A, TOKEN_R = f"sk-ant-oat01-{A}", f"sk-ant-ort01-{R}"
LOGIN = json.dumps({"claudeAiOauth": {"accessToken": TOKEN_A, "refreshToken": TOKEN_R, "expiresAt": 1}})
BARE_LOGIN = json.dumps({"claudeAiOauth": {"accessToken": A, "refreshToken": R, "expiresAt": 1}})
WRAPPED = "\n".join(textwrap.wrap(base64.b64encode(LOGIN.encode()).decode(), 76))
WINDOW = 12


def leaks(text: str, bodies=(A, R)) -> list[str]:
    """Windows of `bodies` in `text`, as written or in any base64 run (wrapped runs joined, at every
    alignment, both alphabets). Independent of the redactor it checks."""
    found = []
    joined = re.sub(r"\\[nrt]|&#1[03];|\s", "", text)
    for body in bodies:
        windows = {body[i:i + WINDOW] for i in range(len(body) - WINDOW + 1)}
        if any(w in text or w in joined for w in windows):
            found.append(f"{body[:8]} as written")
            continue
        for variant in (text, joined):
            for run in re.findall(r"[A-Za-z0-9+/_-]{16,}", variant):
                for cut in range(4):
                    part = run[cut:][: (len(run) - cut) // 4 * 4]
                    for alt in (None, b"-_"):
                        try:
                            raw = base64.b64decode(part, altchars=alt)
                        except ValueError:  # binascii.Error: characters of the other alphabet
                            continue
                        if any(w.encode() in raw for w in windows):
                            found.append(f"{body[:8]} in base64 {run[:24]}")
    return found


def everything(r, out_file=None) -> str:
    return r.out + r.err + (out_file.read_text() if out_file is not None and out_file.exists() else "")


# --- the holes, reproduced before the fix ----------------------------------------------------

@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_schema_violation_does_not_quote_a_pasted_base64_login(cli, tmp_path, fmt):
    """Was: AIF100's anyOf message quoted the whole value; the lines of the wrapped base64 that held no
    marker came out intact (decoding to most of the refresh token), in every format."""
    values = write(tmp_path / "v.yaml", "remoteControl:\n  credentialsSecretName: |\n"
                                        + textwrap.indent(WRAPPED, "    ") + "\n")
    r = cli("check", CHART, "-f", values, "--set-string", f"remoteControl.credentialsSecretKey={WRAPPED}",
            "--format", fmt)
    assert r.code == 1 and "AIF100" in r.out, r.err
    assert not leaks(everything(r)), everything(r)


def test_schema_message_says_the_key_type_and_rule(cli, tmp_path):
    r = cli("check", CHART, "--set-string", f"remoteControl.mode={TOKEN_A}", "--format", "json")
    [f] = [f for f in json.loads(r.out)["findings"] if f["rule"] == "AIF100"]
    assert f["file"] == "--set-string remoteControl.mode" and f["path"] == "remoteControl.mode"
    assert "a string holding a Claude OAuth access token" in f["message"] and "sk-ant-oat01-…" in f["message"]


@pytest.mark.parametrize("flag,arg", [("--set", f"a[x]={BARE_LOGIN}"), ("--set-string", f"remoteControl.mode={BARE_LOGIN}"),
                                      ("--set-json", f"a={BARE_LOGIN[:-1]}"), ("--set", BARE_LOGIN)])
def test_malformed_flag_is_not_echoed(cli, flag, arg):
    """Was: a malformed --set/--set-string quoted its whole argument on stderr (a login without
    the sk-ant- prefixes was printed whole)."""
    r = cli("check", CHART, flag, arg)
    assert r.code == 2 and f"{flag}:" in r.err and "not repeated here" in r.err
    assert not leaks(everything(r)) and "claudeAiOauth" not in r.err


def test_set_value_is_not_the_findings_file(cli):
    """Was: a finding's file was the whole --set argument (`--set a\\.b=<value>`), value included."""
    r = cli("check", CHART, "--set-string", f"podAnnotations.a\\.b=bare {A}", "--set-string", f"remoteControl.mode={R}",
            "--set", "replicaCount=x", "--format", "json")
    files = {f["file"] for f in json.loads(r.out)["findings"]}
    assert "--set replicaCount" in files and not any("=" in (f or "") for f in files if f and f.startswith("--set"))
    assert not leaks(everything(r))


def test_bare_login_in_text_is_redacted():
    """A credentials JSON without the sk-ant- prefixes (AIF001 finds it by shape) is redacted by shape."""
    from aifactory_policy.redact import redact
    for text in (BARE_LOGIN, json.dumps({"message": BARE_LOGIN}), "accessToken: " + A, repr({"refreshToken": R})):
        assert not leaks(redact(text)), redact(text)


def test_helm_failure_does_not_echo_set_values(cli, tmp_path):
    """The exit-2 'reproduce with: helm template ...' line showed every --set value."""
    chart = tmp_path / "chart"
    write(chart / "Chart.yaml", "apiVersion: v2\nname: broken\nversion: 0.1.0\n")
    write(chart / "templates" / "x.yaml", "{{ .Values.a.b.c }\n")
    r = cli("check", chart, "--set-string", f"x=bare {A}", "--set-json", f"y={BARE_LOGIN}")
    assert r.code == 2 and "reproduce with:" in r.err and "--set-string x=<value>" in r.err, r.err
    assert not leaks(r.err)


# --- --set-json and --set-file are scanned like values files ---------------------------------

def test_flag_values_are_scanned_whatever_the_chart_does_with_them(cli, tmp_path):
    login = write(tmp_path / "login.json", BARE_LOGIN)
    r = cli("check", CHART, "--set-json", f'notUsedByTheChart={{"t": "{TOKEN_A}"}}', "--format", "json")
    found = {(f["rule"], f["file"], f["path"]) for f in json.loads(r.out)["findings"]}
    assert ("AIF001", "--set/--set-string/--set-file/--set-json", "notUsedByTheChart.t") in found, found
    r = cli("check", CHART, "--set-file", f"podAnnotations.login={login}", "--format", "json")
    rules = {(f["rule"], f["file"]) for f in json.loads(r.out)["findings"]}
    assert ("AIF001", "--set/--set-string/--set-file/--set-json") in rules, r.out
    assert not leaks(everything(r))


def test_set_json_and_set_file_merge_as_helm_does(tmp_path):
    from aifactory_policy.values import flag_values
    f = write(tmp_path / "f.txt", "text\n")
    got = flag_values(["a.b=2"], ["a.s=3"], [f"a.f={f}"], ['a={"b": 1, "l": [1, {"x": null}]},c.d="x"'])
    assert got == {"a": {"b": 2, "l": [1, {"x": None}], "s": "3", "f": "text\n"}, "c": {"d": "x"}}
    assert flag_values([], [], [], ['{"z": 1}']) == {"z": 1}


# --- the property -----------------------------------------------------------------------------

def _strategies():
    from hypothesis import strategies as st

    @st.composite
    def material(draw):
        access = "FAKEprop" + draw(st.from_regex(r"[A-Za-z0-9_-]{16,28}", fullmatch=True))
        refresh = "FAKEprop" + draw(st.from_regex(r"[A-Za-z0-9_-]{16,28}", fullmatch=True))
        prefixed = draw(st.booleans())
        a, r = (f"sk-ant-oat01-{access}", f"sk-ant-ort01-{refresh}") if prefixed else (access, refresh)
        login = json.dumps({"claudeAiOauth": {"accessToken": a, "refreshToken": r, "expiresAt": 1}})
        raw = draw(st.sampled_from([login] + ([a, f"token={r}"] if prefixed else [])))
        encoding = draw(st.sampled_from(["plain", "base64", "urlsafe", "wrapped64", "wrapped76"]))
        b64 = base64.b64encode(draw(st.sampled_from(["", "x", "xy"])).encode() + raw.encode()).decode()
        text = {"plain": raw, "base64": b64, "urlsafe": base64.urlsafe_b64encode(raw.encode()).decode(),
                "wrapped64": "\n".join(textwrap.wrap(b64, 64)), "wrapped76": "\n".join(textwrap.wrap(b64, 76))}[encoding]
        return (access, refresh), text

    return st, material


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,")


def test_no_output_channel_carries_a_token_body(tmp_path_factory):
    from hypothesis import given
    from helpers import property_settings, run_cli_in
    st, material = _strategies()

    @property_settings(6)
    @given(m=st.lists(material(), min_size=6, max_size=6), fmt=st.sampled_from(sorted(FORMATS)),
           to_file=st.booleans(), key=st.from_regex(r"[a-z]{1,6}(\\\.[a-z]{1,4})?", fullmatch=True))
    def check(m, fmt, to_file, key):
        d = tmp_path_factory.mktemp("prop")
        bodies = [b for (pair, _) in m for b in pair]
        (_, v0), (_, v1), (_, v2), (_, v3), (_, v4), (_, v5) = m
        name = "sk-ant-oat01-" + m[0][0][0] if "\n" not in v0 else "values"
        values = write(d / f"{name}.yaml", "podAnnotations:\n  a: |\n" + textwrap.indent(v0, "    ") + "\n"
                       "remoteControl:\n  credentialsSecretName: " + json.dumps(v1) + "\n")
        setfile = write(d / "set-file.txt", v4)
        manifest = write(d / "m" / "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
                         f"data:\n  x: {json.dumps(v5)}\n")
        write(d / "m" / "broken.yaml", f"a: [{v5}\nb: {json.dumps(v2)}\n")
        out_file = d / "report.out"
        common = ["--format", fmt] + (["--output", out_file] if to_file else [])
        runs = [["check", CHART, "-f", values, "--set", f"podAnnotations.{key}={_escape(v2)}",
                 "--set-string", f"remoteControl.mode={_escape(v3)}", "--set-file", f"podAnnotations.f={setfile}",
                 "--set-json", f"podAnnotations.j={json.dumps(v5)}", *common],
                ["check", CHART, "--set", f"a[{_escape(v2)}]=1", *common],        # exit 2: malformed --set
                ["check", CHART, "-f", d / "m" / "broken.yaml", *common],         # exit 2: broken YAML
                ["scan", d / "m", manifest, values, *common]]
        for args in runs:
            code, out, err = run_cli_in(d, *args)
            text = out + err + (out_file.read_text() if to_file and out_file.exists() else "")
            assert code in (1, 2), (args[:3], err)
            assert not leaks(text, bodies), (args[:3], leaks(text, bodies), text[:3000])
            if out_file.exists():
                out_file.unlink()
    check()
