"""Rule control, as linters do it: which rules run, their severities, and waivers.

Sources, strongest first:
  1. the command line: --rules and --skip (each replaces the config file's key of the same name);
  2. a config file: --config FILE, else the first `.aifactory-policy.yaml` (or `.yml`) found from the
     working directory upward; --no-config ignores it;
  3. an annotation on a Kubernetes object, `aifactory.dev/waive-AIF004: "reason=...; expires=YYYY-MM-DD"`,
     which waives that one rule for that one object.

The config file (docs/rule-control.md):

    rules: [AIF001, AIF002, "AIF2*"]   # run only these (ids or globs; default: every rule)
    skip: [AIF006]                       # never report these
    severity: {AIF004: warning}          # error | warning | note
    waivers:                             # the audit's --waivers format: one file serves CI and audits
      - rule: AIF004
        target: "deploy/legacy-*.yaml"   # a file path glob, a resource glob (Kind/namespace/name),
        reason: "legacy agent runs as root until the image is rebuilt"   # or the audit's namespace/Kind/name
        expires: 2027-01-31

A waiver or an annotation past its expiry no longer waives and is itself a finding (AIF102), and so
is a malformed annotation: a waiver nobody renews must not go quiet.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional


from .findings import SEVERITIES, EvaluationError, Finding, Report

CONFIG_NAMES = (".aifactory-policy.yaml", ".aifactory-policy.yml")
WAIVER_RULE = "AIF102"
ANNOTATION_PREFIX = "aifactory.dev/waive-"
KEYS = ("rules", "skip", "severity", "waivers")
_ID = re.compile(r"^AIF\d{3}$")

# The rules each command evaluates (by where the rule is defined); AIF102 wherever waivers apply.
_FAMILIES = {"scan": ("policies/rules/",), "check": ("policies/rules/", "aifactory-policy check"),
             "audit": ("policies/rules/", "policies/audit/"), "scan-image": ("policies/image/",)}


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def known_rules() -> list[str]:
    from .rules import CATALOGUE
    return sorted(CATALOGUE)


def rules_of(command: str) -> list[str]:
    """The rules `command` evaluates, before --rules/--skip: what its JUnit report lists."""
    from .rules import CATALOGUE
    families = _FAMILIES.get(command)
    if families is None:
        return []
    return sorted([rid for rid, e in CATALOGUE.items() if str(e.get("source") or "").startswith(families)]
                  + [WAIVER_RULE])


# ---------------------------------------------------------------- waivers (the audit's format)

@dataclass(frozen=True)
class Waiver:
    rule: str      # rule id or glob ("AIF004", "AIF00*")
    target: str    # glob on a finding's file, or its resource (Kind/namespace/name), or the audit's namespace/Kind/name
    reason: str
    expires: dt.date

    def matches(self, f: Finding) -> bool:
        if not fnmatch.fnmatchcase(f.rule, self.rule):
            return False
        target = self.target.lower()
        return any(fnmatch.fnmatchcase(s.lower(), target) for s in (f.file, f.resource) if s)


def parse_date(value: Any, where: str) -> dt.date:
    """YYYY-MM-DD (YAML may already have made it a date); EvaluationError names `where`."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise EvaluationError(f"{where}: expires {value!r} is not a date (YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise EvaluationError(f"{where}: expires {value!r} is not a date (YYYY-MM-DD)") from None


def parse_waivers(data: Any, where: str) -> list[Waiver]:
    """A list of {rule, target, reason, expires}; EvaluationError naming the entry otherwise."""
    if not isinstance(data, list):
        raise EvaluationError(f"{where}: expected a list of {{rule, target, reason, expires}} "
                              "(or a mapping with key `waivers`)")
    out = []
    for i, w in enumerate(data):
        at = f"{where}: waiver {i + 1}"
        if not isinstance(w, dict):
            raise EvaluationError(f"{at}: not a mapping")
        missing = [k for k in ("rule", "target", "reason", "expires") if not w.get(k)]
        if missing:
            raise EvaluationError(f"{at}: missing {', '.join(missing)} (every waiver needs a rule, a target "
                                  "glob, a reason and an expiry date)")
        out.append(Waiver(str(w["rule"]), str(w["target"]), str(w["reason"]), parse_date(w["expires"], at)))
    return out


def apply_waivers(findings: list[Finding], waivers: list[Waiver], on: dt.date):
    """(kept, waived, expired): a waiver expiring on `on` still applies that day; one past its
    expiry waives nothing and is returned in `expired`."""
    active = [w for w in waivers if w.expires >= on]
    kept, waived = [], []
    for f in findings:
        w = next((w for w in active if w.matches(f)), None)
        if w is None:
            kept.append(f)
        else:
            waived.append(dataclasses.replace(f, waived_by=f"{w.reason} (until {w.expires.isoformat()})"))
    return kept, waived, [w for w in waivers if w.expires < on]


# ---------------------------------------------------------------- annotations on objects

@dataclass(frozen=True)
class AnnotationWaiver:
    rule: str
    reason: str
    expires: dt.date


def parse_annotation(key: str, value: Any) -> AnnotationWaiver:
    """`aifactory.dev/waive-AIF004: "reason=...; expires=YYYY-MM-DD"`; ValueError says what is wrong."""
    rule = key[len(ANNOTATION_PREFIX):] if key.startswith(ANNOTATION_PREFIX) else ""
    if not _ID.match(rule):
        raise ValueError(f"{key!r} does not name a rule id (expected {ANNOTATION_PREFIX}AIFnnn)")
    if rule not in known_rules():
        raise ValueError(f"{key!r} names {rule}, which is not a rule (aifactory-policy rules list)")
    if not isinstance(value, str):
        raise ValueError(f"{key}: the value must be a string \"reason=...; expires=YYYY-MM-DD\"")
    fields: dict[str, str] = {}
    for part in value.split(";"):
        if not part.strip():
            continue
        name, sep, text = part.partition("=")
        name = name.strip().lower()
        if not sep or name not in ("reason", "expires"):
            raise ValueError(f"{key}: {part.strip()!r} is not reason=... or expires=YYYY-MM-DD "
                             "(fields are separated by ';', so a reason cannot contain one)")
        if name in fields:
            raise ValueError(f"{key}: {name} given twice")
        fields[name] = text.strip()
    if not fields.get("reason"):
        raise ValueError(f"{key}: no reason (reason=why the rule does not apply here)")
    if not fields.get("expires"):
        raise ValueError(f"{key}: no expiry (expires=YYYY-MM-DD)")
    try:
        expires = parse_date(fields["expires"], key)
    except EvaluationError as exc:
        raise ValueError(str(exc)) from None
    return AnnotationWaiver(rule, fields["reason"], expires)


def object_annotations(content: Any) -> dict:
    meta = content.get("metadata") if isinstance(content, dict) else None
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    return ann if isinstance(ann, dict) else {}


def annotation_path(key: str) -> str:
    return 'metadata.annotations["' + key.replace('"', '\\"') + '"]'


def apply_annotations(findings: list[Finding], docs: list, on: Optional[dt.date] = None) -> list[Finding]:
    """Findings with `waived_by` set where their object's annotation waives their rule, plus one
    AIF102 finding per expired or malformed waiver annotation. `docs` are the InputDocs the
    findings came from (same file and resource)."""
    on = on or today()
    active: dict[tuple, AnnotationWaiver] = {}
    problems: list[Finding] = []
    for d in docs:
        waivers, wrong = annotation_waivers(d, on)
        active.update(waivers)
        problems += wrong
    return waive_by_annotation(findings, active) + problems


def annotation_waivers(d, on: dt.date) -> tuple[dict[tuple, AnnotationWaiver], list[Finding]]:
    """One document's waiver annotations: the active ones keyed (file, resource, rule), and an AIF102
    finding for each expired or malformed one (scan collects them batch by batch)."""
    from .rules import title_of
    active: dict[tuple, AnnotationWaiver] = {}
    problems: list[Finding] = []
    if getattr(d, "raw_text", False) or not d.resource:
        return active, problems
    for key, value in object_annotations(d.content).items():
        if not str(key).startswith(ANNOTATION_PREFIX):
            continue
        key = str(key)
        path = annotation_path(key)
        line = d.line_for(path) if hasattr(d, "line_for") else None
        where = dict(file=d.file, resource=d.resource, path=d.full_path(path) if hasattr(d, "full_path") else path,
                     line=line, title=title_of(WAIVER_RULE))
        try:
            w = parse_annotation(key, value)
        except ValueError as exc:
            problems.append(Finding(WAIVER_RULE, "warning", f"malformed waiver annotation: {exc}; it waives "
                                    "nothing", **where))
            continue
        if w.expires < on:
            problems.append(Finding(WAIVER_RULE, "warning", f"waiver annotation {key} expired on "
                                    f"{w.expires.isoformat()} ({w.reason}); it no longer waives {w.rule}: "
                                    "fix the finding or renew the expiry", **where))
            continue
        active[(d.file, d.resource, w.rule)] = w
    return active, problems


def waive_by_annotation(findings: list[Finding], active: dict[tuple, AnnotationWaiver]) -> list[Finding]:
    out = []
    for f in findings:
        w = active.get((f.file, f.resource, f.rule))
        if w is not None and f.waived_by is None:
            f = dataclasses.replace(f, waived_by=f"{w.reason} (annotation, until {w.expires.isoformat()})")
        out.append(f)
    return out


# ---------------------------------------------------------------- the config file and the flags

@dataclass
class RuleControl:
    source: Optional[str] = None                 # the config file used, as shown to the user
    rules: Optional[list[str]] = None            # run only these (globs); None: every rule
    skip: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    waivers: list[Waiver] = field(default_factory=list)
    from_flags: list[str] = field(default_factory=list)  # "--rules", "--skip" when given

    def selected(self, rule: str) -> bool:
        if any(fnmatch.fnmatchcase(rule, p) for p in self.skip):
            return False
        return self.rules is None or any(fnmatch.fnmatchcase(rule, p) for p in self.rules)


def find_config(start: Optional[Path] = None) -> Optional[Path]:
    """The first config file from `start` (default: the working directory) up to the root."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in CONFIG_NAMES:
            candidate = folder / name
            if candidate.is_file():
                return candidate
    return None


def _shown(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if len(rel) <= len(str(path)) else str(path)


def _patterns(value: Any, where: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if not isinstance(item, (str, int)) or isinstance(item, bool):
            raise EvaluationError(f"{where}: {item!r} is not a rule id or glob")
        out += [p.strip() for p in str(item).split(",") if p.strip()]
    _check_patterns(out, where)
    return out


def _check_patterns(patterns: Iterable[str], where: str) -> None:
    known = known_rules()
    for p in patterns:
        if not any(fnmatch.fnmatchcase(r, p) for r in known):
            raise EvaluationError(f"{where}: {p!r} matches no rule; the rules are {', '.join(known)}")


def load_config(path: Path, shown: Optional[str] = None) -> RuleControl:
    import yaml   # here, not at start-up: most runs have no config file, and `check` starts Helm first
    shown = shown or _shown(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvaluationError(f"config {shown}: cannot read ({exc.strerror})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise EvaluationError(f"config {shown}: not YAML ({exc})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise EvaluationError(f"config {shown}: expected a mapping with keys {', '.join(KEYS)}")
    unknown = sorted(set(map(str, data)) - set(KEYS))
    if unknown:
        raise EvaluationError(f"config {shown}: unknown key(s) {', '.join(unknown)}; the keys are {', '.join(KEYS)}")
    control = RuleControl(source=shown)
    if data.get("rules") is not None:
        control.rules = _patterns(data["rules"], f"config {shown}: rules")
    if data.get("skip") is not None:
        control.skip = _patterns(data["skip"], f"config {shown}: skip")
    sev = data.get("severity") or {}
    if not isinstance(sev, dict):
        raise EvaluationError(f"config {shown}: severity must map rule ids to {'|'.join(SEVERITIES)}")
    for rule, level in sev.items():
        _check_patterns([str(rule)], f"config {shown}: severity")
        if level not in SEVERITIES:
            raise EvaluationError(f"config {shown}: severity {rule}: {level!r} is not one of {', '.join(SEVERITIES)}")
        control.severity[str(rule)] = level
    if data.get("waivers") is not None:
        control.waivers = parse_waivers(data["waivers"], f"config {shown}")
    return control


def from_args(args) -> RuleControl:
    """The rule control a command runs with: the config file, then the flags over it."""
    path = getattr(args, "config", None)
    if getattr(args, "no_config", False):
        control = RuleControl()
    elif path:
        p = Path(path)
        if not p.is_file():
            raise EvaluationError(f"--config {path}: no such file")
        control = load_config(p, path)
    else:
        found = find_config()
        control = load_config(found) if found else RuleControl()
    for flag, attr in (("--rules", "rules"), ("--skip", "skip")):
        given = getattr(args, attr, None)
        if given:
            patterns = _patterns(given, flag)
            setattr(control, attr, patterns)
            control.from_flags.append(flag)
    return control


def add_options(p) -> None:
    """--config, --no-config, --rules, --skip (commands/__init__.add_common)."""
    g = p.add_argument_group("rule control (docs/rule-control.md)")
    g.add_argument("--config", metavar="FILE",
                   help="rule control file (default: the first .aifactory-policy.yaml from here upward)")
    g.add_argument("--no-config", action="store_true", help="ignore any .aifactory-policy.yaml")
    g.add_argument("--rules", action="append", metavar="IDS",
                   help="run only these rules (comma-separated ids or globs, e.g. AIF001,AIF00*); "
                        "replaces the config's rules")
    g.add_argument("--skip", action="append", metavar="IDS",
                   help="do not report these rules (comma-separated ids or globs); replaces the config's skip")


def apply(report: Report, control: RuleControl, on: Optional[dt.date] = None) -> Report:
    """The report as the user asked for it: annotation-waived findings moved to `waived`, unselected
    rules dropped, config waivers applied (expired ones become AIF102 findings), severities
    overridden, and `rules` set to what was evaluated and selected."""
    on = on or today()
    findings = list(report.findings)
    waived = [f for f in findings if f.waived_by]
    findings = [f for f in findings if not f.waived_by]

    kept, by_config, expired = apply_waivers(findings, control.waivers, on)
    for w in expired:
        kept.append(Finding(WAIVER_RULE, "warning",
                            f"waiver {w.rule} {w.target} expired on {w.expires.isoformat()} ({w.reason}); it no "
                            "longer waives: fix the findings or renew the expiry",
                            file=control.source, title=_title(WAIVER_RULE)))
    dropped = [f for f in kept if not control.selected(f.rule)]
    kept = [f for f in kept if control.selected(f.rule)]
    report.findings = [dataclasses.replace(f, severity=_severity(control, f)) for f in kept]
    report.waived = list(report.waived) + [f for f in waived + by_config if control.selected(f.rule)]

    evaluated = report.rules if report.rules is not None else rules_of(report.command)
    report.rules = [r for r in evaluated if control.selected(r) and r not in report.not_evaluated]
    notes = []
    if control.source:
        notes.append(f"config: {control.source}" + (f" ({', '.join(control.from_flags)} given on the command "
                                                      "line)" if control.from_flags else ""))
    elif control.from_flags:
        notes.append(f"rules chosen by {', '.join(control.from_flags)} (no config file)")
    if dropped:
        notes.append(f"{len(dropped)} finding(s) of rules not selected ({', '.join(sorted({f.rule for f in dropped}))}) "
                     "not reported")
    report.notes = notes + list(report.notes)
    return report


def _severity(control: RuleControl, f: Finding) -> str:
    for pattern, level in control.severity.items():
        if fnmatch.fnmatchcase(f.rule, pattern):
            return level
    return f.severity


def _title(rule: str) -> str:
    from .rules import title_of
    return title_of(rule)
