"""Helm's --set parser: the forms teams use, and Helm's typing rules."""
import pytest

from aifactory_policy.findings import EvaluationError
from aifactory_policy.strvals import parse_into, typed_value


@pytest.mark.parametrize("expr, expected", [
    ("a.b=c", {"a": {"b": "c"}}),
    ("a=1,b=2", {"a": 1, "b": 2}),
    ("a[0]=x", {"a": ["x"]}),
    ("a[1].b=x", {"a": [None, {"b": "x"}]}),
    ("a[0][1]=x", {"a": [[None, "x"]]}),
    ("a={x,y},b=3", {"a": ["x", "y"], "b": 3}),
    ("a={}", {"a": [""]}),
    (r"a\.b=c", {"a.b": "c"}),
    (r"a=x\,y", {"a": "x,y"}),
    ("a=", {"a": ""}),
    ("a=b=c", {"a": "b=c"}),
    ("a.b.c=true,a.b.d=False", {"a": {"b": {"c": True, "d": False}}}),
])
def test_forms(expr, expected):
    assert parse_into(expr, {}) == expected


@pytest.mark.parametrize("raw, value", [
    ("true", True), ("TRUE", True), ("false", False), ("null", None), ("0", 0), ("42", 42),
    ("-7", -7), ("0123", "0123"), ("1.5", "1.5"), ("1e3", "1e3"), ("abc", "abc"), ("", ""),
    ("99999999999999999999", "99999999999999999999"),
])
def test_typing_matches_helm(raw, value):
    assert typed_value(raw, as_string=False) == value
    assert type(typed_value(raw, as_string=False)) is type(value)


def test_set_string_keeps_strings():
    assert parse_into("a=1,b=true,c={1,2}", {}, as_string=True) == {"a": "1", "b": "true", "c": ["1", "2"]}


def test_merges_into_existing_values():
    base = {"a": {"keep": 1, "b": "old"}, "l": ["x", "y"]}
    assert parse_into("a.b=new,l[1]=z", base) == {"a": {"keep": 1, "b": "new"}, "l": ["x", "z"]}


def test_provenance_records_each_key():
    prov = {}
    parse_into("a.b=1,c[0]=x", {}, provenance=prov, flag="--set")
    assert prov == {("a", "b"): "--set a.b", ("c", 0): "--set c[0]"}  # the flag and key, never the value


@pytest.mark.parametrize("bad", ["a", "a[x]=1", "a[0", "a={x,y", "=1", "a[99999999]=1"])
def test_malformed_names_the_argument(bad):
    with pytest.raises(EvaluationError) as exc:
        parse_into(bad, {})
    assert "--set" in str(exc.value) and "a.b=c" in str(exc.value)
