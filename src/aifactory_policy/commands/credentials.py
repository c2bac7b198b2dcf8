"""`aifactory-policy credentials <verb>`: the verbs' options and help, and dispatch to the verb
modules in credentials/ (create: login and create-secret, rotate, renew, status), each returning a Report.
A refusal (exit 1) and an error (exit 2) are raised and reported by cli.py like every command's.
"""
from __future__ import annotations

import argparse
from typing import Callable, Optional

from ..findings import EvaluationError, Report
from . import add_report_options

EXIT_CODES = """exit codes:
  0  done (status: no problem found; its warnings, e.g. a login ending within --warn-days, keep 0)
  1  refused: the login failed validation (shape, scopes, refresh token, past its end), the owner
     is not a service account, the Secret belongs to another install or holds the same login as
     another install (--force overrides the last two), `helm test` failed after a rotation, `renew`
     found no Secret for the release, or `status` found a problem (e.g. a login past its end)
  2  could not evaluate: no cluster access, unreadable file, `claude`/`security`/`helm` missing
     or failing, the login failed or no code was pasted in time (nothing changed), rollout or
     broker hand-over timeout; the reason and the fix are printed on stderr
130 interrupted (Ctrl-C); during the login nothing in the cluster has changed
No command prints a credential: progress goes to stderr, results to stdout, both redacted."""

CONVENTIONS = """Secret written (server-side apply, field manager aifactory-policy, never a file on disk):
  labels       aifactory.dev/install=<install>, aifactory.dev/credentials=claude-code,
               app.kubernetes.io/managed-by=aifactory-policy
  annotations  aifactory.dev/owner       system:serviceaccount:<namespace>:<name>
               aifactory.dev/created-at  RFC3339: when this login (token family) was made
               aifactory.dev/rotated-at  RFC3339: last rotate, or the write-back sidecar's last refresh
               aifactory.dev/refresh-token-expires-at  RFC3339: the login's end, when Claude Code
                                         stored one (claudeAiOauth.refreshTokenExpiresAt)
               aifactory.dev/fingerprint hmac-sha256:<hex> of the refresh token, keyed with Secret
                                         aifactory-fingerprint-key (created on first use) or
                                         --fingerprint-key-file; never an unkeyed hash
Owner convention: a service account, never a person. --owner takes
  system:serviceaccount:<namespace>:<name>, or a bare <name> with --owner-is-service-account;
  emails, names with spaces or capitals and other bare words are refused. Default: the service
  account of the install's Deployment, else the chart's default (<install>-aifactory).
Validation (Claude Code's own rules, measured offline): JSON {"claudeAiOauth": {accessToken,
  refreshToken, expiresAt (ms), scopes}}; scopes must hold user:inference AND user:profile
  (without user:profile, e.g. a `claude setup-token` login, Claude Code refuses Remote Control:
  "requires a full-scope login token"); a non-empty refresh token. A login without
  user:sessions:claude_code is stored with a warning (reported to make Remote Control fail later;
  status and the audit warn about it too)."""

MAIN_EPILOG = f"""commands:
  login          run `claude auth login` in a fresh temporary config dir (a token family of the
                 install's own), store it in the Secret, print the values snippet
  create-secret  store a login from --from-login, --from-file, --from-stdin or --from-keychain
  rotate         replace the login, hand it over (broker: adopted, no restart; other modes: restart
                 and wait), retire the old family, run `helm test`
  renew          the monthly ceremony: a new `claude auth login` (no browser needed: open the URL
                 on any device, paste the code), then what rotate does, for the release's Secret
  status         per install: family age, access-token expiry, login end, scopes, fingerprint, mode

examples:
  aifactory-policy credentials login --install aifactory -n agents
  aifactory-policy credentials create-secret --install aifactory -n agents --from-file ./credentials.json \\
      --claude-json ./claude.json > rc-values.yaml
  aifactory-policy credentials create-secret --install aifactory -n agents --from-keychain   # macOS
  aifactory-policy credentials rotate --install aifactory -n agents --from-login
  aifactory-policy credentials renew --install aifactory -n agents
  aifactory-policy credentials status -A

{CONVENTIONS}

{EXIT_CODES}"""


RENEW_EPILOG = """the monthly ceremony (a login ends about 30 days after it was made; renew a few days before):
  aifactory-policy credentials status -n agents --install aifactory   # token family: created ... (27d ago)
  aifactory-policy credentials renew  -n agents --install aifactory   # prints a URL on stderr:
      # open it on any device (phone, laptop), sign in with the install's account, paste the
      # code the page shows at the prompt (not echoed); the broker adopts the new login
  aifactory-policy credentials status -n agents --install aifactory   # created just now, healthy
  aifactory-policy credentials renew -n agents --install aifactory --format json -o renewal.json
what renew prints (stdout): fingerprint and expiry old -> new, the retired family's spent id
(annotation aifactory.dev/spent-refresh-tokens), how it was handed over (broker: seconds until the
new access token was published; other modes: the restarted Deployments), and the helm test result.
Safe by construction: the Secret, owner and ownership are checked before the login, and nothing
is written unless the login succeeded and validated; the sign-in URL, the prompts and Claude
Code's own output go to stderr, never a token."""


def _k8s(p: argparse.ArgumentParser) -> None:
    p.add_argument("--namespace", "-n", metavar="NS", help="namespace (default: the kubeconfig context's)")
    p.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig (default: $KUBECONFIG, ~/.kube/config)")
    p.add_argument("--context", metavar="NAME", help="kubeconfig context")
    p.add_argument("--fingerprint-key-file", metavar="FILE",
                   help="HMAC key for fingerprints (default: Secret aifactory-fingerprint-key in the namespace)")


def _snippet_options(p: argparse.ArgumentParser) -> None:
    """Options of the commands that store a login and print the values snippet."""
    p.add_argument("--mode", default="broker", choices=("broker", "writeBack", "ownedCopy", "readOnly"),
                   help="remoteControl.mode for the printed snippet (default: broker, the chart's default: only "
                        "the broker holds the refresh token, the agents get access tokens)")
    p.add_argument("--dry-run", action="store_true", help="validate and check, write nothing")


def _target(p: argparse.ArgumentParser) -> None:
    p.add_argument("--install", required=True, metavar="RELEASE", help="the Helm release the login is for")
    p.add_argument("--secret", default="claude-remote-credentials", metavar="NAME",
                   help="Secret name = remoteControl.credentialsSecretName (default: claude-remote-credentials)")
    p.add_argument("--key", default="credentials.json", metavar="KEY",
                   help="Secret key = remoteControl.credentialsSecretKey (default: credentials.json)")
    p.add_argument("--owner", metavar="SA", help="owning service account: system:serviceaccount:<ns>:<name>")
    p.add_argument("--owner-is-service-account", action="store_true",
                   help="take a bare --owner NAME as service account NAME of the namespace")
    p.add_argument("--force", action="store_true",
                   help="replace a Secret of another install or not made by this tool; accept a login another "
                        "install's Secret already holds")
    p.add_argument("--claude", metavar="PATH", help="claude executable for --from-login (default: PATH)")
    p.add_argument("--claude-json", metavar="FILE",
                   help="`.claude.json` to read oauthAccount from (file/stdin/Keychain sources)")
    _k8s(p)


def _sources(p: argparse.ArgumentParser, required: bool) -> None:
    g = p.add_mutually_exclusive_group(required=required)
    g.add_argument("--from-login", action="store_true", help="run `claude auth login` (fresh temporary config dir)")
    g.add_argument("--from-file", metavar="FILE", help="an existing .credentials.json")
    g.add_argument("--from-stdin", action="store_true", help="read the .credentials.json from stdin")
    g.add_argument("--from-keychain", action="store_true",
                   help="macOS: security find-generic-password -s \"Claude Code-credentials\" -w")


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    if not 0 <= value <= 3650:
        raise argparse.ArgumentTypeError(f"{text!r}: give 0 to 3650 days")
    return value


def add_parser(sub, formatter) -> None:
    creds = sub.add_parser("credentials", formatter_class=formatter, epilog=MAIN_EPILOG,
                           help="make, store, rotate and inspect the install's Claude Code login",
                           description="Give each install its own Claude Code login and keep it working: validate it "
                                       "as Claude Code would, store it in the install's Secret through the Kubernetes "
                                       "API, rotate it with a restart and `helm test`, report its age and expiry.")
    csub = creds.add_subparsers(dest="credentials_command", metavar="{login,create-secret,rotate,renew,status}")
    csub.required = True
    tail = f"\n{CONVENTIONS}\n\n{EXIT_CODES}"

    login = csub.add_parser("login", formatter_class=formatter, epilog=tail,
                            help="`claude auth login` for the install, stored in its Secret",
                            description="Run the real `claude auth login` with CLAUDE_CONFIG_DIR set to a fresh "
                                        "temporary directory (0700, removed afterwards, always), so the install gets "
                                        "a token family of its own; validate the login, store it in the Secret, and "
                                        "print the values snippet (oauthAccount) on stdout.")
    _target(login)
    _snippet_options(login)

    create = csub.add_parser("create-secret", formatter_class=formatter, epilog=tail,
                             help="validate a login and store it in the install's Secret",
                             description="Validate a login and store it in the install's Secret by server-side apply; "
                                         "print the values snippet on stdout. Refuses (exit 1) an invalid or "
                                         "inference-only login, a personal owner, another install's Secret, and a "
                                         "login another install already holds.")
    _sources(create, required=True)
    _target(create)
    _snippet_options(create)

    rotate = csub.add_parser("rotate", formatter_class=formatter, epilog=tail,
                             help="replace the login, restart, wait, `helm test`",
                             description="Replace the login in the install's Secret, restart every Deployment whose pod "
                                         "template mounts it (annotation aifactory.dev/credentials-secret; the pod reads "
                                         "the Secret only at start in every mode), wait for the rollout, run "
                                         "`helm test <install>`, and print fingerprint and expiry old -> new.")
    _sources(rotate, required=True)
    _target(rotate)
    rotate.add_argument("--timeout", type=float, default=300, metavar="SEC",
                        help="rollout and helm test timeout each (default: 300)")
    rotate.add_argument("--helm", metavar="PATH", help="helm binary (default: <repo>/bin/helm, then PATH)")
    rotate.add_argument("--skip-helm-test", action="store_true", help="do not run `helm test` after the rollout")

    renew = csub.add_parser("renew", formatter_class=formatter, epilog=f"{RENEW_EPILOG}\n\n{EXIT_CODES}",
                            help="the monthly renewal: a new login, handed to the running install",
                            description="Renew the install's login before it ends (about 30 days after `claude auth "
                                        "login`): run the real `claude auth login` in a throwaway CLAUDE_CONFIG_DIR "
                                        "(the sign-in URL on stderr: open it on any device, paste the code the page "
                                        "shows; no browser needed on this machine), store the new token family in "
                                        "the release's Secret (found from its Deployments), hand it over (broker "
                                        "mode: the broker adopts it, no restart; other modes: restart and wait, as "
                                        "`rotate`), retire the old family so it is never presented again, and run "
                                        "`helm test`. A failed or aborted login changes nothing.")
    renew.add_argument("--install", required=True, metavar="RELEASE", help="the Helm release to renew")
    renew.add_argument("--secret", metavar="NAME", help="the credentials Secret (default: the one the release's pods use)")
    renew.add_argument("--key", metavar="KEY", help="the Secret key (default: the one the release's pods read)")
    renew.add_argument("--owner", metavar="SA", help="owning service account (default: the install's)")
    renew.add_argument("--owner-is-service-account", action="store_true",
                       help="take a bare --owner NAME as service account NAME of the namespace")
    renew.add_argument("--force", action="store_true", help="as for rotate: replace a Secret not made by this tool")
    renew.add_argument("--claude", metavar="PATH", help="claude executable (default: PATH)")
    renew.add_argument("--login-timeout", type=float, default=900, metavar="SEC",
                       help="longest wait for the sign-in (default: 900)")
    renew.add_argument("--timeout", type=float, default=300, metavar="SEC",
                       help="hand-over (broker publication or rollout) and helm test timeout each (default: 300)")
    renew.add_argument("--helm", metavar="PATH", help="helm binary (default: <repo>/bin/helm, then PATH)")
    renew.add_argument("--skip-helm-test", action="store_true", help="do not run `helm test` after the hand-over")
    add_report_options(renew)
    _k8s(renew)

    status = csub.add_parser("status", formatter_class=formatter, epilog=f"\n{EXIT_CODES}",
                             help="family age, expiry, login end, scopes, fingerprint and mode per install",
                             description="For every credentials Secret (label aifactory.dev/credentials=claude-code) "
                                         "and every workload using Remote Control: token family age (created-at), "
                                         "access token expiry, when the login ends (a warning within --warn-days, "
                                         "a problem past it), scopes, fingerprint match, and the chart's mode.")
    status.add_argument("--all-namespaces", "-A", action="store_true", help="every namespace")
    status.add_argument("--install", metavar="RELEASE", help="only this install")
    status.add_argument("--key", default="credentials.json", metavar="KEY", help="Secret key (default: credentials.json)")
    status.add_argument("--warn-days", type=_days, default=7, metavar="N",
                        help="warn when the login (token family) ends within N days (default: 7); past its end is a "
                             "problem. The end is claudeAiOauth.refreshTokenExpiresAt, which `claude auth login` "
                             "stores; a login without it is reported as unknown")
    add_report_options(status)
    _k8s(status)


def _source(args: argparse.Namespace):
    from ..credentials import sources
    if args.credentials_command == "login" or args.from_login:
        return sources.ClaudeLogin(claude=args.claude)
    if args.from_file:
        return sources.FileSource(args.from_file, args.claude_json)
    if args.from_stdin:
        return sources.StdinSource(args.claude_json)
    return sources.KeychainSource(args.claude_json)


KubeFactory = Callable[[argparse.Namespace], object]


def _api_kube(args: argparse.Namespace):
    from ..credentials.kube import ApiKube
    return ApiKube(args.kubeconfig, args.context)


def run(args: argparse.Namespace, kube_factory: Optional[KubeFactory] = None) -> Report:
    """Run the verb. Tests replace _api_kube (or pass kube_factory) with an in-memory API."""
    return _dispatch(args, kube_factory or _api_kube)


def _namespace(args: argparse.Namespace) -> str:
    if args.namespace:
        return args.namespace
    from ..credentials.kube import current_namespace
    return current_namespace(args.kubeconfig, args.context)


def _dispatch(args: argparse.Namespace, kube_factory: KubeFactory) -> Report:
    cmd = args.credentials_command
    if cmd == "status":
        kube = kube_factory(args)
        ns = None if args.all_namespaces else _namespace(args)
        from ..credentials import status
        return status.run(kube, ns, args.fingerprint_key_file, args.key, args.install, warn_days=args.warn_days)
    from ..credentials.store import Target
    t = Target(namespace=_namespace(args), install=args.install, name=args.secret or "", key=args.key or "")
    from ..credentials.options import Rollout, StoreOptions
    opts = StoreOptions(owner=args.owner, owner_is_sa=args.owner_is_service_account,
                        key_file=args.fingerprint_key_file, force=args.force)
    if cmd in ("rotate", "renew"):
        from ..tools import find_tool
        helm = None
        if not args.skip_helm_test:
            try:
                helm = find_tool("helm", args.helm)
            except EvaluationError as exc:
                raise EvaluationError(f"{exc}; or pass --skip-helm-test") from None
        kube = kube_factory(args)
        helm_args = (*(("--kubeconfig", args.kubeconfig) if args.kubeconfig else ()),
                     *(("--kube-context", args.context) if args.context else ()))
        rollout = Rollout(timeout=args.timeout, helm=helm, skip_helm_test=args.skip_helm_test, helm_args=helm_args)
        if cmd == "renew":
            from ..credentials import renew
            return renew.run(kube, t.namespace, args.install, opts, rollout, secret=args.secret, key=args.key,
                             claude=args.claude, login_timeout=args.login_timeout)
        from ..credentials import rotate
        return rotate.run(kube, _source(args), t, opts, rollout)
    from ..credentials import create
    kube = kube_factory(args)
    return create.run(kube, _source(args), t, opts, dry_run=args.dry_run, mode=args.mode,
                      command=f"credentials {cmd}")
