"""Merged values (chart <- files <- --set <- --set-string) and AIF100 with file and line."""
import pytest

from aifactory_policy import schema, values, yamlio
from helpers import MINI_CHART


@pytest.fixture(scope="module")
def defaults():
    return yamlio.load_file(str(MINI_CHART / "values.yaml"))


@pytest.fixture(scope="module")
def mini_schema():
    return schema.load_schema(str(MINI_CHART))


def lf(text, name="my.yaml"):
    return yamlio.load_text(text, name)


def test_merge_order_and_null_deletes(defaults):
    a = lf("remoteControl:\n  enabled: true\n  mode: ownedCopy\n", "a.yaml")
    b = lf("remoteControl:\n  mode: writeBack\nstrategy: null\n", "b.yaml")
    m = values.merge(defaults, [a, b], ["replicaCount=3"], ["remoteControl.credentialsSecretName=007"])
    assert m.values["remoteControl"] == {"enabled": True, "credentialsSecretName": "007", "mode": "writeBack"}
    assert m.values["replicaCount"] == 3
    assert "strategy" not in m.values
    assert m.origin_of(("remoteControl", "mode")) == values.Origin("b.yaml", 2)
    assert m.origin_of(("remoteControl", "enabled")) == values.Origin("a.yaml", 2)
    assert m.origin_of(("replicaCount",)).file == "--set replicaCount"
    assert m.origin_of(("extraEnv",)).file.endswith("values.yaml")


def test_set_string_applies_after_set(defaults):
    m = values.merge(defaults, [], ["replicaCount=2"], ["replicaCount=5"])
    assert m.values["replicaCount"] == "5"


def findings(defaults, mini_schema, text="", sets=(), set_strings=()):
    files = [lf(text)] if text else []
    return schema.validate(mini_schema, values.merge(defaults, files, list(sets), list(set_strings)))


def test_valid_values_have_no_finding(defaults, mini_schema):
    assert findings(defaults, mini_schema, "remoteControl:\n  enabled: true\n") == []


def test_unknown_key_has_path_file_line(defaults, mini_schema):
    [f] = findings(defaults, mini_schema, "# c\nremoteControl:\n  enabled: true\n  mdoe: readOnly\n")
    assert (f.rule, f.severity, f.file, f.line, f.path) == ("AIF100", "error", "my.yaml", 4, "remoteControl.mdoe")
    assert "unknown key 'mdoe'" in f.message and "mode" in f.message


def test_enum_and_type(defaults, mini_schema):
    found = findings(defaults, mini_schema, "remoteControl:\n  enabled: 'yes'\n  mode: sometimes\n")
    by_path = {f.path: f for f in found}
    assert by_path["remoteControl.enabled"].line == 2
    assert "expected boolean" in by_path["remoteControl.enabled"].message
    assert by_path["remoteControl.mode"].line == 3
    assert '"readOnly", "ownedCopy", "writeBack"' in by_path["remoteControl.mode"].message


def test_set_string_type_error_names_the_flag(defaults, mini_schema):
    [f] = findings(defaults, mini_schema, set_strings=["replicaCount=1"])
    assert f.file == "--set-string replicaCount" and f.line is None and f.path == "replicaCount"


def test_required_from_null(defaults, mini_schema):
    [f] = findings(defaults, mini_schema, sets=["remoteControl.enabled=null"])
    assert f.path == "remoteControl.enabled" and "required" in f.message


def test_list_item_path(defaults, mini_schema):
    [f] = findings(defaults, mini_schema, "extraEnv:\n  - name: A\n  - value: b\n")
    assert f.path == "extraEnv[1].name" and f.line == 3


def test_helm_schema_lines_become_aif100(defaults):
    stderr = ("Error: values don't meet the specifications of the schema(s) in the following chart(s):\n"
              "mini:\n- at '/remoteControl/mode': value must be one of 'readOnly', 'ownedCopy', 'writeBack'\n")
    m = values.merge(defaults, [lf("remoteControl:\n  enabled: true\n  mode: x\n")], [], [])
    assert schema.is_helm_schema_error(stderr)
    [f] = schema.helm_schema_findings(stderr, m)
    assert (f.rule, f.path, f.file, f.line) == ("AIF100", "remoteControl.mode", "my.yaml", 3)


def test_helm_root_level_schema_line(defaults):
    stderr = ("Error: values don't meet the specifications of the schema(s) in the following chart(s):\n"
              "mini:\n- at '': additional properties 'bogus' not allowed\n")
    [f] = schema.helm_schema_findings(stderr, values.merge(defaults, [], [], []))
    assert f.rule == "AIF100" and f.path is None and "bogus" in f.message
