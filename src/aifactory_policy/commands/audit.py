"""`aifactory-policy audit`: read a live cluster (or a recorded dump) and report per install."""
from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from typing import Optional

from ..findings import EvaluationError, Report
from ..output import warn
from ..audit.material import Fingerprinter
from ..audit.source import DumpSource, LiveSource
from ..reporters import policyreport
from ..rules import ranges
from ..tools import policies_dir
from . import add_common

DEFAULT_ALLOW = [
    "Group:system:masters",                  # cluster-admin by certificate
    "Group:kubeadm:cluster-admins",          # kubeadm's admin.conf group (Kubernetes >= 1.29)
    "User:system:kube-controller-manager",   # reads secrets to run the controllers
    "ServiceAccount:kube-system:*",          # kube-system controllers
]
DEFAULT_MAX_AGE_DAYS = 30
DEFAULT_LOGIN_WARN_DAYS = 7   # credentials status --warn-days, the chart's loginEndsWithinDays
PROGRESS_EVERY = 500


def parse_now(value: Optional[str]) -> dt.datetime:
    if not value:
        return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise EvaluationError(f"--now {value!r}: not an RFC 3339 time, e.g. 2025-01-31T12:00:00Z") from None
    if t.tzinfo is None:
        raise EvaluationError(f"--now {value!r}: give a time zone, e.g. 2025-01-31T12:00:00Z")
    return t.astimezone(dt.timezone.utc)


class Progress:
    """Count lines on stderr when it is a terminal or the cluster is large; problems always."""

    def __init__(self, enabled: Optional[bool] = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled

    def __call__(self, message: str) -> None:
        big = any(ch.isdigit() for ch in message) and _count(message) >= PROGRESS_EVERY
        if "cannot list" in message or self.enabled or big:
            warn(f"audit: {message}")


def _count(message: str) -> int:
    digits = "".join(ch if ch.isdigit() else " " for ch in message).split()
    return max((int(d) for d in digits), default=0)


@dataclass(frozen=True)
class AuditRequest:
    """What one audit reads and how it judges it, built from the command line by run()."""
    kubeconfig: Optional[str] = None
    context: Optional[str] = None
    namespaces: Optional[tuple[str, ...]] = None   # None: every namespace
    from_dump: Optional[str] = None                # recorded list responses instead of a cluster
    now: Optional[str] = None                      # RFC 3339; None: the clock
    max_age_days: int = DEFAULT_MAX_AGE_DAYS
    allow_subjects: tuple[str, ...] = ()
    waivers_file: Optional[str] = None
    login_warn_days: int = DEFAULT_LOGIN_WARN_DAYS
    policies: Optional[str] = None
    opa_path: Optional[str] = None
    progress: Optional[bool] = None
    complete: bool = False      # every list must be readable (--publish: a partial view would drop findings)
    for_reports: bool = False   # keep the time and the objects' uids for the PolicyReports (details)

    @classmethod
    def from_args(cls, args) -> "AuditRequest":
        return cls(kubeconfig=args.kubeconfig, context=args.context,
                   namespaces=tuple(args.namespace) if args.namespace else None, from_dump=args.from_dump,
                   now=args.now, max_age_days=args.max_age_days, login_warn_days=args.login_warn_days,
                   allow_subjects=tuple(args.allow_subject), waivers_file=args.waivers, policies=args.policies,
                   opa_path=args.opa, progress=args.progress, complete=args.publish,
                   for_reports=args.publish or args.format == "policyreport")


def audit(request: AuditRequest, summary_stream=None) -> Report:
    """The audit's Report; its per-install table goes to `summary_stream` (default: stderr)."""
    r = request
    namespaces = list(r.namespaces) if r.namespaces else None
    from ..audit import evaluate, facts, inventory, summary, waivers  # OPA, YAML: loaded only to audit
    clock = parse_now(r.now)
    if r.max_age_days < 1:
        raise EvaluationError(f"--max-age-days {r.max_age_days}: must be at least 1")
    if r.login_warn_days < 0:
        raise EvaluationError(f"--login-warn-days {r.login_warn_days}: must be 0 or more")
    pol = policies_dir(r.policies)
    waiver_list = waivers.load(r.waivers_file) if r.waivers_file else []
    prog = Progress(r.progress)
    source = DumpSource(r.from_dump) if r.from_dump else LiveSource(r.kubeconfig, r.context, prog)
    report = Report(command="audit")
    report.inputs.append(source.description)

    inv = inventory.collect(source, namespaces, prog)
    if all(n in inv.unavailable for n in inventory.NEEDED):
        raise EvaluationError(f"{source.description}: could not list anything ({inv.unavailable.get('secrets')}); "
                              "check the identity and grant the audit ClusterRole (charts/aifactory audit.rbac.create)")
    if r.complete and inventory.blocking(inv):
        missing = "; ".join(f"cannot list {n} ({why})" for n, why in inventory.blocking(inv).items())
        raise EvaluationError(f"{source.description}: {missing}; --publish needs every list the audit reads (grant "
                              "the audit ClusterRole: charts/aifactory audit.cronJob or audit.rbac.create); "
                              "nothing was published, the previous reports are kept")
    for name, why in inv.unavailable.items():
        report.notes.append(f"cannot list {name} ({why}): not checked: {inventory.purpose(name)}")
    if inv.absent:   # one note: most clusters run few of these controllers
        report.notes.append("controllers' APIs absent, nothing of them to check (AIF207): "
                            + "; ".join(f"{name} {why}" for name, why in inv.absent.items()))
    if inv.absent_workload_apis:   # one note, by project: most clusters run none or one of them
        report.notes.append("workload kinds' APIs absent, no such workloads to check: "
                            + inventory.absent_by_project(inv.absent_workload_apis))

    ai = facts.build(inv, Fingerprinter(), clock.strftime("%Y-%m-%dT%H:%M:%SZ"),
                     r.max_age_days, DEFAULT_ALLOW + list(r.allow_subjects or []), r.login_warn_days)
    report.notes += ai.notes
    value = evaluate.run(ai, pol, r.opa_path)
    found = evaluate.findings(value, ai)
    report.findings, report.waived, waiver_notes = waivers.apply(found, waiver_list, clock.date())
    report.notes += waiver_notes
    installs = value.get("installs") or []
    scope = ", ".join(namespaces) if namespaces else "all namespaces"
    report.notes.append(f"audited {scope} at {clock.strftime('%Y-%m-%dT%H:%M:%SZ')}: {len(installs)} install(s), "
                        f"{len(ai.facts['secrets'])} Secret(s) read, {ai.releases} Helm release record(s) decoded, "
                        f"{len(ai.facts['pods'])} running pod(s) under a controller")
    report.documents = len(ai.docs)
    if r.for_reports:
        report.details["audited_at"] = clock.strftime("%Y-%m-%dT%H:%M:%SZ")
        report.details[policyreport.RESOURCES] = {
            "/".join(x for x in (o.get("kind"), m.get("namespace"), m.get("name")) if x):
                {"apiVersion": o.get("apiVersion"), "uid": m["uid"]}
            for items in inv.objects.values() for o in items
            for m in [o.get("metadata") or {}] if m.get("uid")}
    stream = summary_stream if summary_stream is not None else sys.stderr
    stream.write(summary.table(installs, report.findings, report.waived))
    return report


AUDIT_EPILOG_TEMPLATE = """Read-only: only list requests (GET) are made; nothing is written to the cluster (--publish
writes its PolicyReports, nothing else).
Installs are found by the chart's labels (app.kubernetes.io/part-of=aifactory, helm.sh/chart=aifactory-*)
and by the Claude credentials mount itself (hand-written workloads too).

rules:
  {manifest}  the manifest rules, run on live workloads, ConfigMaps, Secret metadata (annotations),
  {pad}running pods (when their owner is not already flagged for the same rule) and every
  {pad}revision of every Helm release record (helm.sh/release.v1: values, chart values, manifest)
  AIF201  the same login in two Secrets (keyed fingerprint, per-run HMAC key; or same aifactory.dev/fingerprint)
  AIF202  credentials older than --max-age-days (aifactory.dev/rotated-at, else creationTimestamp)
  AIF203  a subject beyond the allow list can get/list/watch the credentials Secret (RBAC)
  AIF204  no aifactory.dev/owner, or an owner not marked as a service account (a person's login)
  AIF205  the login is dead (read-only mode past its access token's expiry, a refused refresh, or
          past its end: claudeAiOauth.refreshTokenExpiresAt) or expired and not written back
          (writeBack: idle agent or dead login); a warning --login-warn-days before the end;
          broker mode: the broker's Lease and the access token it published (down: warning until
          that token expires)
  AIF206  one credentials Secret mounted by two running pods (broker mode: the agents on the access
          Secret hold nothing, the replicas of one broker are one holder)
  AIF207  a controller re-asserts the Secret of a writeBack or broker install: its marks on the Secret
          (ownerReferences, External Secrets/Sealed Secrets/VSO/CSI labels, Argo CD's tracking-id,
          Flux's labels) and the ExternalSecret, SealedSecret, VSO and SecretProviderClass objects
          (an API that is not served: that controller is not installed, noted)
  AIF208  a login without the user:sessions:claude_code scope (warning: reported to make Remote
          Control fail although Claude Code accepts it locally)

default --allow-subject (Kind:name, ServiceAccount:namespace:name, globs): """
# The manifest rules' range comes from the catalogue; its width sets the indent of the lines under it
# (the rest of the epilog holds braces, so only this head is formatted).
_MANIFEST = ranges("manifest")
AUDIT_EPILOG = AUDIT_EPILOG_TEMPLATE.format(manifest=_MANIFEST, pad=" " * (len(_MANIFEST) + 2)) + \
    ", ".join(DEFAULT_ALLOW) + """,
and the install's own write-back binding (a Role labelled app.kubernetes.io/component=credentials-writeback
naming only that Secret) and broker binding (a Role labelled credentials-broker naming only its source
Secret, access Secret and Lease).

waivers (--waivers FILE): a YAML list of {rule, target, reason, expires}; target is a
namespace/Kind/name glob ("team-a/Secret/claude-*", "*/ClusterRoleBinding/ops"); expired waivers stop
waiving and are reported; waived findings are counted separately.

Minimal RBAC: charts/aifactory with audit.rbac.create=true (get/list on the kinds above, cluster-wide;
broker installs also need get/list on leases in coordination.k8s.io).
Without list on secrets the audit cannot see sharing, age, owners, expiry or Helm history (reported as notes).

examples:
  aifactory-policy audit --all-namespaces
  aifactory-policy audit --context prod -n team-a --format json --output audit.json
  aifactory-policy audit --max-age-days 14 --login-warn-days 10 --allow-subject 'Group:platform-admins' --waivers waivers.yaml
  aifactory-policy audit --from-dump tests/data/audit/planted --now 2025-06-30T12:00:00Z

PolicyReports (docs/audit.md "PolicyReports"): --format policyreport prints them as a List for
`kubectl apply -f -`; --publish applies them itself (needs create/update/patch/delete/get/list on
policyreports and clusterpolicyreports in wgpolicyk8s.io; charts/aifactory audit.cronJob runs it).
  aifactory-policy audit --all-namespaces --publish

exit codes: 0 no error finding, 1 at least one, 2 could not evaluate (reason on stderr);
with --publish: 0 the reports were written (findings or not), 2 nothing was written"""


def add_parser(sub, formatter) -> None:
    p = sub.add_parser("audit", formatter_class=formatter, epilog=AUDIT_EPILOG,
                       help="audit a live cluster's AIFactory installs and credentials (read-only)",
                       description="Audit a cluster: shared, leaked, stale, over-readable and personal Claude "
                                   "credentials, and running pods against the manifest rules.")
    p.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig (default: $KUBECONFIG, ~/.kube/config, "
                                                        "else in-cluster)")
    p.add_argument("--context", metavar="NAME", help="kubeconfig context (default: current)")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("-n", "--namespace", action="append", default=[], metavar="NS",
                       help="audit this namespace (repeatable); cluster RBAC is still read")
    scope.add_argument("-A", "--all-namespaces", action="store_true", help="audit every namespace (the default)")
    p.add_argument("--from-dump", metavar="DIR", help="read recorded list responses (<resource>.json) instead "
                                                      "of a cluster")
    p.add_argument("--max-age-days", type=int, default=DEFAULT_MAX_AGE_DAYS, metavar="DAYS",
                   help=f"rotation cadence (default: {DEFAULT_MAX_AGE_DAYS})")
    p.add_argument("--login-warn-days", type=int, default=DEFAULT_LOGIN_WARN_DAYS, metavar="DAYS",
                   help="AIF205 warns this many days before a login ends (claudeAiOauth.refreshTokenExpiresAt, "
                        f"as Claude Code stored it); past the end is an error (default: {DEFAULT_LOGIN_WARN_DAYS})")
    p.add_argument("--now", metavar="RFC3339", help="fixed clock for ages and expiry (default: now)")
    p.add_argument("--allow-subject", action="append", default=[], metavar="KIND:NAME",
                   help="may read credentials Secrets, e.g. Group:platform-admins, "
                        "ServiceAccount:ops:backup, User:*@sre.example (repeatable, globs)")
    p.add_argument("--waivers", metavar="FILE", help="YAML waivers {rule, target, reason, expires}")
    p.add_argument("--progress", action="store_true", default=None, help="always print progress lines on stderr")
    p.add_argument("--publish", action="store_true",
                   help="write the findings into the cluster as PolicyReports (wgpolicyk8s.io/v1alpha2, one "
                        "`aifactory-audit` per namespace, replaced each run, stale ones deleted); exit 0 once "
                        "written, 2 with nothing written when the audit cannot read everything")
    add_common(p, "audit")


def run(args) -> Report:
    if args.publish and args.from_dump:
        raise EvaluationError("--publish writes the reports into the cluster it audited; it does not take --from-dump")
    return audit(AuditRequest.from_args(args))


def deliver(report: Report, args) -> Report:
    """--publish: the PolicyReports into the cluster, after cli.py applied --config/--rules/--skip
    and before it writes the report. The findings are kept there, so they do not fail the run
    (report.delivered: exit 0); exit 1 on every finding would fail the CronJob's Job."""
    if not args.publish:
        return report
    import urllib3

    from ..audit.publish import publish
    api = LiveSource(args.kubeconfig, args.context)._api
    objects = policyreport.reports(report, parse_now(report.details["audited_at"]))
    for line in publish(api, objects, args.namespace or None, (OSError, urllib3.exceptions.HTTPError)):
        warn(line)
    report.delivered = True
    return report
