"""The write-back sidecar (charts/aifactory/files/credentials_writeback.py), offline: its decision
logic, and whole runs against a tiny fake API server on 127.0.0.1, with the pass interval and
backoff scaled down from seconds to milliseconds: as a subprocess where the process matters (the
happy path, SIGTERM, --once, TLS with the projected ca.crt), in a thread of the test process for
the other run behaviours."""
from __future__ import annotations

import base64
import importlib.util
import json
import signal
import subprocess
import sys
import threading
import time

import pytest

from fake_credentials import creds, other_refresh, leaked
from fake_kube_api import FakeApiServer
from helpers import REPO, wait_for

SCRIPT = REPO / "charts" / "aifactory" / "files" / "credentials_writeback.py"
_spec = importlib.util.spec_from_file_location("credentials_writeback", SCRIPT)
wb = importlib.util.module_from_spec(_spec)
sys.modules["credentials_writeback"] = wb
_spec.loader.exec_module(wb)

NOW_MS = int(time.time() * 1000)


def raw(doc) -> bytes:
    return json.dumps(doc).encode() if not isinstance(doc, (bytes, str)) else (doc.encode() if isinstance(doc, str) else doc)


def login(expires_ms: int, tag: str = "A", **kw) -> bytes:
    doc = creds(refresh=other_refresh(tag), **kw)
    doc["claudeAiOauth"]["expiresAt"] = expires_ms
    return raw(doc)


# ---------------------------------------------------------------- decisions

OLD, NEW = login(NOW_MS, "OLD"), login(NOW_MS + 3_600_000, "NEW")


@pytest.mark.parametrize("file_raw,secret_raw,ours,write,reason", [
    (NEW, OLD, [OLD], True, "newer login in the file"),
    (NEW, OLD, None, True, "newer login in the file"),
    (NEW, None, [None], True, "Secret holds no valid login"),
    (NEW, b"garbage", [b"garbage"], True, "Secret holds no valid login"),
    (OLD, NEW, [NEW], False, "not newer than the Secret"),
    (login(NOW_MS, "OTHER"), OLD, [OLD], False, "not newer"),          # same expiry: never a sideways move
    (OLD, OLD, [OLD], False, "in sync"),
    (None, OLD, [OLD], False, "missing"),
    (b"{\"claudeAiOauth\": {\"accessT", OLD, [OLD], False, "not valid JSON"),
    (raw(creds(refresh="")), OLD, [OLD], False, "empty refresh token"),
    (raw(creds(refresh=None)), OLD, [OLD], False, "empty refresh token"),
    (raw(creds(accessToken="")), OLD, [OLD], False, "empty access token"),
    (raw(creds(expiresAt="soon")), OLD, [OLD], False, "expiresAt is not a positive integer"),
    (raw({"other": 1}), OLD, [OLD], False, "no claudeAiOauth"),
    (raw([1, 2]), OLD, [OLD], False, "no claudeAiOauth"),
    (b"\xff\xfe", OLD, [OLD], False, "not valid JSON"),
    # the Secret was replaced (credentials rotate) while this pod runs: never overwrite it
    (login(NOW_MS + 9_000_000, "POD"), NEW, [OLD], False, "replaced by someone else"),
])
def test_decide(file_raw, secret_raw, ours, write, reason):
    d = wb.decide(file_raw, secret_raw, ours)
    assert d.write is write and reason in d.reason
    assert not leaked(d.reason) and "sk-ant-" not in d.reason


def test_fingerprints_in_logs_are_keyed_and_short():
    fp = wb.fingerprint(other_refresh("A"))
    import hashlib
    assert len(fp) == 12 and fp not in hashlib.sha256(other_refresh("A").encode()).hexdigest()


# ---------------------------------------------------------------- a fake API server

class FakeApi(FakeApiServer):
    """GET/PATCH of one Secret; strategic-merge semantics for data and annotations; resourceVersion
    preconditions (409); scripted failures; records every request (with its bearer token)."""

    def __init__(self, namespace="agents", name="creds", key="credentials.json", value: bytes | None = OLD,
                 tls: tuple | None = None):
        self.path = f"/api/v1/namespaces/{namespace}/secrets/{name}"
        self.key = key
        self.rv = 1
        self.secret = {"metadata": {"name": name, "namespace": namespace, "resourceVersion": "1",
                                    "annotations": {}}, "data": {}}
        if value is not None:
            self.secret["data"][key] = base64.b64encode(value).decode()
        self.fail_next: list = []       # HTTP status codes to answer with, one per request
        self.bump_before_patch = 0      # a concurrent writer changes the Secret before this many PATCHes
        super().__init__(tls=tls)

    def respond(self, req):
        if self.fail_next:
            code = self.fail_next.pop(0)
            return code, {"kind": "Status", "message": f"injected {code}"}
        if req.path != self.path:
            return 404, {"kind": "Status", "message": "secrets not found"}
        if req.method == "GET":
            return 200, self.secret
        if req.method != "PATCH" or req.headers.get("Content-Type") != "application/strategic-merge-patch+json":
            return 415, {"kind": "Status", "message": "only strategic-merge PATCH is expected"}
        if self.bump_before_patch:
            self.bump_before_patch -= 1
            self.bump()
        patch = json.loads(req.body)
        if patch["metadata"].get("resourceVersion") not in (None, self.secret["metadata"]["resourceVersion"]):
            return 409, {"kind": "Status", "message": "the object has been modified"}
        self.secret["data"].update(patch.get("data", {}))
        for name, value in patch["metadata"].get("annotations", {}).items():   # null deletes, as in the API
            if value is None:
                self.secret["metadata"]["annotations"].pop(name, None)
            else:
                self.secret["metadata"]["annotations"][name] = value
        self.bump()
        return 200, self.secret

    def bump(self):
        self.rv += 1
        self.secret["metadata"]["resourceVersion"] = str(self.rv)

    def value(self) -> bytes | None:
        with self.lock:
            v = self.secret["data"].get(self.key)
        return base64.b64decode(v) if v is not None else None

    def replace(self, value: bytes):
        with self.lock:
            self.secret["data"][self.key] = base64.b64encode(value).decode()
            self.bump()

    def of(self, method: str) -> list:
        with self.lock:
            return [r for r in self.requests if r.method == method]

    def polled(self, times: int = 3) -> bool:
        """Waits until the sidecar has read the Secret `times` more times (each read is one whole pass)."""
        start = len(self.of("GET"))
        return wait_for(lambda: len(self.of("GET")) >= start + times, timeout=5, step=0.01)


@pytest.fixture
def api():
    with FakeApi() as a:
        yield a


# the sidecar's pass interval and longest backoff, seconds: production runs 10 and 300; the runs here
# scale them down (the 1:5 ratio the tests used at 0.2 and 1). Not lower: every poll is a request to
# the fake server in this test process; at 0.02 s one loaded fresh-clone run saw the sidecar miss the
# 10 s stop deadline (stop() now allows 30 s: the final sync may make two 5 s requests).
INTERVAL, MAX_BACKOFF = 0.05, 0.25


class _Sidecar:
    """The files a sidecar run reads (credentials file, projected token, ca.crt) and the test's view
    of its log."""

    def __init__(self, tmp_path, ca: bytes | None):
        self.file = tmp_path / "claude" / ".credentials.json"
        self.file.parent.mkdir(exist_ok=True)
        self.token = tmp_path / "sa" / "token"
        self.token.parent.mkdir(exist_ok=True)
        self.token.write_text("token-1")
        if ca is not None:
            (self.token.parent / "ca.crt").write_bytes(ca)  # as the projected volume lays it out

    def flags(self, api: FakeApi, interval) -> list[str]:
        return [f"--file={self.file}", "--secret=creds", "--key=credentials.json", "--namespace=agents",
                f"--interval={interval}", f"--token-file={self.token}", f"--api-server={api.url}",
                f"--max-backoff={MAX_BACKOFF}"]

    def write(self, data: bytes):
        tmp = self.file.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(self.file)  # Claude Code replaces the file; the sidecar must never see half of it

    def output(self) -> str:
        raise NotImplementedError

    def logged(self, text: str, timeout: float = 5) -> bool:
        return wait_for(lambda: text in self.output(), timeout=timeout, step=0.01)


class Sidecar(_Sidecar):
    """The shipped script as the pod runs it: its own process, stdout log, SIGTERM, exit code."""

    def __init__(self, tmp_path, api: FakeApi, interval=INTERVAL, extra=(), ca: bytes | None = None):
        super().__init__(tmp_path, ca)
        self.log = tmp_path / "sidecar.log"
        with open(self.log, "w") as fh:   # the child holds its own descriptor
            self.proc = subprocess.Popen([sys.executable, str(SCRIPT), *self.flags(api, interval), *extra],
                                         stdout=fh, stderr=subprocess.STDOUT)

    def stop(self, timeout=30) -> int:
        # the final sync after SIGTERM may take two requests of up to 5 s each on a slow machine
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def running(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text()


class InProcessSidecar(_Sidecar):
    """The same run loop (`run()` of the script) in a thread of this test process, for the tests of
    its decisions and API handling: no interpreter start per test (~0.1 CPU-s each). Stopping is an
    Event instead of SIGTERM; signals, the log on stdout and the exit code are the subprocess tests'."""

    class _Stop:
        def __init__(self):
            self.event = threading.Event()

        def wait(self, timeout: float) -> bool:
            return self.event.wait(timeout)

    def __init__(self, tmp_path, api: FakeApi, monkeypatch, ca: bytes | None = None):
        super().__init__(tmp_path, ca)
        self._lines: list[str] = []
        monkeypatch.setattr(wb, "log", self._lines.append)   # run() and the Syncer log through it
        self._stop = self._Stop()
        self.code: int | None = None
        args = wb.parse_args(self.flags(api, INTERVAL))
        self._thread = threading.Thread(target=self._run, args=(args,), daemon=True)
        self._thread.start()

    def _run(self, args):
        self.code = wb.run(args, self._stop)

    def stop(self, timeout=30) -> int | None:
        self._stop.event.set()
        self._thread.join(timeout)
        return self.code

    def running(self) -> bool:
        return self._thread.is_alive()

    def output(self) -> str:
        return "".join(f"{line}\n" for line in list(self._lines))


@pytest.fixture
def in_process(tmp_path, monkeypatch):
    """in_process(api, ca=None) -> an InProcessSidecar on this test's tmp_path, stopped at teardown."""
    started = []

    def start(api: FakeApi, ca: bytes | None = None) -> InProcessSidecar:
        started.append(InProcessSidecar(tmp_path, api, monkeypatch, ca=ca))
        return started[-1]
    yield start
    for s in started:
        s.stop()


def test_run_writes_a_valid_newer_login_and_records_rotated_at(tmp_path, api):
    s = Sidecar(tmp_path, api)
    try:
        s.write(OLD)
        assert s.logged("in sync")
        s.write(NEW)
        assert wait_for(lambda: api.value() == NEW, timeout=5, step=0.01), s.output()
        ann = api.secret["metadata"]["annotations"]
        assert ann["aifactory.dev/rotated-at"].endswith("Z") and ann["aifactory.dev/rotated-by"] == "aifactory-credentials-writeback"
        patches = api.of("PATCH")
        assert len(patches) == 1 and patches[0].query["fieldManager"] == ["aifactory-credentials-writeback"]
        assert json.loads(patches[0].body)["metadata"]["resourceVersion"]  # conditional patch
    finally:
        assert s.stop() == 0
    out = s.output()
    assert not leaked(out) and "sk-ant-" not in out
    assert "wrote Secret key 'credentials.json'" in out and out.rstrip().endswith("stopped")


def test_run_never_writes_older_broken_or_empty_logins(api, in_process):
    api.replace(NEW)
    s = in_process(api)
    try:
        for bad, reason in ((OLD, "not newer than the Secret"), (b"{\"claudeAiOauth\": ", "not valid JSON"),
                            (raw(creds(refresh="")), "empty refresh token"),
                            (login(NOW_MS + 3_600_000, "SAME-EXPIRY"), "not newer than the Secret")):
            before = s.output().count(reason)
            s.write(bad)
            assert wait_for(lambda: s.output().count(reason) > before, timeout=5, step=0.01), s.output()
            assert api.polled(2)  # and more passes over the same file
        assert api.value() == NEW
        assert not api.of("PATCH")
    finally:
        assert s.stop() == 0
    out = s.output()
    for reason in ("not newer than the Secret", "not valid JSON", "empty refresh token"):
        assert reason in out
    assert not leaked(out)


# What Claude Code 2.1.330 wrote after the fake token endpoint refused its refresh (invalid_grant),
# measured in tests/test_token_holders.py::test_two_holders_of_one_login: empty tokens, expiresAt 0.
REFUSED = raw({"claudeAiOauth": {"accessToken": "", "refreshToken": "", "expiresAt": 0,
                                 "scopes": ["user:inference", "user:profile"], "subscriptionType": "max"}})


def test_run_records_a_refused_refresh_on_the_secret_and_clears_it_after_a_new_login(api, in_process):
    s = in_process(api)
    try:
        s.write(REFUSED)
        assert wait_for(lambda: api.secret["metadata"]["annotations"].get("aifactory.dev/login-state")
                        == "refresh-refused", timeout=5, step=0.01), s.output()
        assert api.secret["metadata"]["annotations"]["aifactory.dev/login-state-at"].endswith("Z")
        assert api.value() == OLD, "the dead file must never replace the stored login"
        assert api.polled(3)
        assert len(api.of("PATCH")) == 1, "the refusal is recorded once, not at every pass"
        assert "refresh was refused (invalid_grant)" in s.output()
        s.write(NEW)                                  # someone logged in again in the pod
        assert wait_for(lambda: api.value() == NEW, timeout=5, step=0.01), s.output()
        assert "aifactory.dev/login-state" not in api.secret["metadata"]["annotations"]
    finally:
        assert s.stop() == 0


def test_refused_shape_is_exactly_claude_codes():
    assert wb.refused_by_server(REFUSED)
    for other in (OLD, raw(creds(refresh="")), raw(creds(accessToken="", refresh="")), None, b"\xff", b"[]"):
        assert not wb.refused_by_server(other)


def test_run_one_log_line_per_decision_not_per_poll(api, in_process):
    s = in_process(api)
    try:
        s.write(OLD)
        assert s.logged("in sync")
        assert api.polled(10)
    finally:
        s.stop()
    assert s.output().count("in sync") == 1


def test_run_does_not_overwrite_a_secret_replaced_by_rotate(api, in_process):
    s = in_process(api)
    try:
        s.write(OLD)
        assert s.logged("in sync")
        rotated = login(NOW_MS + 1_000, "ROTATED")   # the operator's new login (expires sooner!)
        api.replace(rotated)
        s.write(login(NOW_MS + 7_200_000, "OLDPOD"))  # the old pod refreshes its old family
        assert s.logged("replaced by someone else")
        assert api.polled(3)
        assert api.value() == rotated
    finally:
        s.stop()


def test_run_rereads_the_token_and_backs_off_on_api_errors(api, in_process):
    api.fail_next = [500, 503, 401]
    s = in_process(api)
    try:
        s.write(OLD)
        assert s.logged("in sync"), s.output()
        s.token.write_text("token-2")          # kubelet rotated the projected token
        s.write(NEW)
        assert wait_for(lambda: api.value() == NEW, timeout=5, step=0.01)
    finally:
        assert s.stop() == 0
    out = s.output()
    assert "API error (attempt 1, retry in" in out and "attempt 3" in out
    assert "service account token was refused" in out
    auths = [r.headers.get("Authorization") for r in api.requests]
    assert auths[0] == "Bearer token-1" and auths[-1] == "Bearer token-2"
    # backoff grows: the three failures are spread out (interval x 2, x 4, then --max-backoff), not
    # hammered at the interval
    at = [r.at for r in api.requests[:4]]
    gaps = [b - a for a, b in zip(at, at[1:])]
    for gap, wait in zip(gaps, (2 * INTERVAL, 4 * INTERVAL, MAX_BACKOFF)):
        assert gap >= wait * 0.95, gaps
    assert not leaked(out)


def test_run_conflict_is_retried_not_forced(api, in_process):
    s = in_process(api)
    try:
        s.write(OLD)
        assert s.logged("in sync")
        with api.lock:
            api.bump_before_patch = 1  # someone touches the Secret between the sidecar's GET and PATCH
        s.write(NEW)
        assert wait_for(lambda: api.value() == NEW, timeout=5, step=0.01), s.output()
    finally:
        s.stop()
    assert "HTTP 409" in s.output()
    patches = api.of("PATCH")
    assert len(patches) == 2


def test_sigterm_does_a_final_sync_and_exits_zero(tmp_path, api):
    s = Sidecar(tmp_path, api, interval="30")
    try:
        assert s.logged("watching")
        assert wait_for(lambda: len(api.requests) >= 1, step=0.01)
        s.write(NEW)  # refreshed just before the pod stops; the next poll is 30 s away
        started = time.monotonic()
        assert s.stop(timeout=10) == 0
        assert time.monotonic() - started < 8
    finally:
        if s.proc.poll() is None:
            s.proc.kill()
    assert api.value() == NEW
    assert s.output().rstrip().endswith("stopped")


def test_missing_secret_is_logged_with_the_fix_and_retried(in_process):
    with FakeApi(name="other-name") as api:
        s = in_process(api)
        try:
            s.write(NEW)
            assert s.logged("HTTP 404")
            assert "credentials create-secret" in s.output()
            assert api.polled(2), "keeps retrying (backing off)"
            assert s.running(), "keeps running (backing off), no crash loop"
        finally:
            s.stop()


def test_once_and_argument_errors(tmp_path, api, capsys):
    s = Sidecar(tmp_path, api, extra=("--once",))
    s.write(NEW)
    assert s.proc.wait(timeout=10) == 0
    with pytest.raises(SystemExit) as bad:  # in-process: argparse exits before anything runs
        wb.main(["--file=x", "--secret=s", "--key=k", "--namespace=n", "--token-file=t", "--interval=0"])
    assert bad.value.code == 2 and "--interval must be positive" in capsys.readouterr().err


def test_in_cluster_server_url(monkeypatch):
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    assert wb._in_cluster_server() == "https://10.96.0.1:443"
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "fd00::1")
    assert wb._in_cluster_server() == "https://[fd00::1]:443"
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST")
    assert wb._in_cluster_server() is None


def test_stdlib_only():
    """The standard library and secret_syncers.py (shipped beside it in the ConfigMap; stdlib only too:
    tests/test_secret_syncers.py)."""
    import ast
    tree = ast.parse(SCRIPT.read_text())
    mods = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    mods |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert mods <= set(sys.stdlib_module_names) | {"__future__", "secret_syncers"}, mods - set(sys.stdlib_module_names)


# ---------------------------------------------------------------- a controller that re-asserts the Secret

ES_OWNER = [{"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "name": "claude-login",
             "uid": "0b7c6f3e-1d2a-4c55-9f1e-2b8e0d6a7c11", "controller": True, "blockOwnerDeletion": True}]


def test_run_never_writes_to_a_secret_an_external_secret_owns_and_says_why_once(tmp_path, api):
    """The shipped script (with secret_syncers.py beside it, as in the ConfigMap): an ExternalSecret
    with creationPolicy Owner would sync its spent copy back, so the newer login is not written; once
    the controller lets the Secret go, the sidecar writes it."""
    api.secret["metadata"]["ownerReferences"] = ES_OWNER
    api.secret["metadata"]["labels"] = {"reconcile.external-secrets.io/managed": "true"}
    s = Sidecar(tmp_path, api)
    try:
        s.write(NEW)
        assert s.logged("not writing the login: External Secrets owns Secret agents/creds "
                        "(ownerReference ExternalSecret/claude-login)"), s.output()
        assert api.polled(5)
        assert not api.of("PATCH") and api.value() == OLD
        out = s.output()
        assert out.count("not writing the login") == 1, "said once, not at every pass"
        assert "kubectl delete externalsecret claude-login --cascade=orphan" in out
        with api.lock:   # `kubectl delete externalsecret claude-login --cascade=orphan` and the label removed
            del api.secret["metadata"]["ownerReferences"]
            del api.secret["metadata"]["labels"]
            api.bump()
        assert wait_for(lambda: api.value() == NEW, timeout=5, step=0.01), s.output()
    finally:
        assert s.stop() == 0
    assert not leaked(s.output())


@pytest.mark.parametrize("labels,annotations,writes,said", [
    ({"reconcile.external-secrets.io/managed": "true"}, {}, True, "warning: External Secrets owns Secret agents/creds"),
    ({}, {"argocd.argoproj.io/tracking-id": "creds-app:/Secret:agents/creds"}, False, "Argo CD owns Secret agents/creds"),
    ({"secrets-store.csi.k8s.io/managed": "true"}, {}, False, "Secrets Store CSI driver owns"),
    ({"kustomize.toolkit.fluxcd.io/name": "apps"}, {"kustomize.toolkit.fluxcd.io/ssa": "IfNotPresent"}, True, "wrote Secret key"),
])
def test_run_marks_of_other_controllers(api, in_process, labels, annotations, writes, said):
    """Argo CD and the CSI driver refuse the write like an ExternalSecret owner; the managed label alone
    (an Orphan or Merge ExternalSecret: only the audit can tell) is a warning, said once; Flux with
    ssa: IfNotPresent never applies the Secret again."""
    api.secret["metadata"]["labels"] = labels
    api.secret["metadata"]["annotations"].update(annotations)
    s = in_process(api)
    try:
        s.write(NEW)
        assert s.logged(said), s.output()
        if writes:
            assert wait_for(lambda: api.value() == NEW, timeout=5, step=0.01), s.output()
        else:
            assert api.polled(5) and not api.of("PATCH")
    finally:
        s.stop()
    assert s.output().count(said) == 1


# ---------------------------------------------------------------- TLS with the projected ca.crt

@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA and a server certificate for 127.0.0.1, and another CA, made with the openssl CLI (P-256
    keys: generated in milliseconds, where RSA keys took seconds)."""
    import shutil
    if not shutil.which("openssl"):
        pytest.fail("the openssl CLI is missing (Debian package openssl)")
    d = tmp_path_factory.mktemp("pki")
    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")

    def ossl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

    ossl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=fake-kubernetes-ca")
    ossl("req", *key, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=kubernetes")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    ossl("x509", "-req", "-in", "srv.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.crt",
         "-days", "1", "-extfile", "ext.cnf")
    ossl("req", "-x509", *key, "-keyout", "other.key", "-out", "other.crt", "-days", "1", "-subj", "/CN=some-other-ca")
    return d


def test_https_with_the_ca_beside_the_token(tmp_path, pki):
    with FakeApi(tls=(str(pki / "srv.crt"), str(pki / "srv.key"))) as api:
        s = Sidecar(tmp_path, api, ca=(pki / "ca.crt").read_bytes())
        try:
            s.write(NEW)
            assert wait_for(lambda: api.value() == NEW, timeout=10, step=0.01), s.output()
        finally:
            assert s.stop() == 0


def test_https_with_a_wrong_ca_is_refused_and_retried(pki, in_process):
    with FakeApi(tls=(str(pki / "srv.crt"), str(pki / "srv.key"))) as api:
        s = in_process(api, ca=(pki / "other.crt").read_bytes())
        try:
            s.write(NEW)
            assert s.logged("API server unreachable", timeout=10), s.output()
            assert "CERTIFICATE_VERIFY_FAILED" in s.output()
            assert api.value() == OLD and s.running()
        finally:
            assert s.stop() == 0


# ---------------------------------------------------------------- the login's end

DAY_MS = 86_400_000


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))


def test_a_refused_file_that_kept_its_end_is_still_the_refused_shape():
    """Measured (tests/test_login_end_real_claude.py): refused past its end, Claude Code blanks both
    tokens and keeps refreshTokenExpiresAt."""
    doc = json.loads(REFUSED)
    doc["claudeAiOauth"]["refreshTokenExpiresAt"] = NOW_MS - 60_000
    assert wb.refused_by_server(raw(doc))


# Offsets from now, not times: parameters must be the same in every pytest-xdist worker.
@pytest.mark.parametrize("offset,said", [
    (None, None), (20 * DAY_MS, None),
    (3 * DAY_MS - 60_000, "the login ends at {iso} (in 2 days, 23 h; claudeAiOauth.refreshTokenExpiresAt)"),
    (-60_000, "the login ended at {iso} (claudeAiOauth.refreshTokenExpiresAt): the token endpoint refuses"),
])
def test_end_warning(offset, said):
    ends = None if offset is None else NOW_MS + offset
    got = wb.end_warning(ends, now=NOW_MS / 1000)
    assert (got is None) if said is None else (said.format(iso=_iso(ends)) in got and "credentials login" in got)


@pytest.mark.parametrize("value", ["soon", True, 0, -5, float("nan"), None])
def test_a_login_end_that_is_not_a_time_is_unknown(value):
    assert wb.login_end({"refreshTokenExpiresAt": value}) is None
    assert wb.end_text(None) == "login end unknown (no refreshTokenExpiresAt)"


def test_run_writes_the_login_end_beside_the_login_and_warns_in_its_log(api, in_process):
    soon = NOW_MS + 5 * DAY_MS
    api.replace(login(NOW_MS, "OLD", refreshTokenExpiresAt=soon))
    s = in_process(api)
    try:
        assert s.logged(f"WARNING: the login ends at {_iso(soon)} (in 4 days, 23 h"), s.output()
        newer = login(NOW_MS + 3_600_000, "NEW", refreshTokenExpiresAt=soon)
        s.write(newer)
        assert wait_for(lambda: api.value() == newer, timeout=5, step=0.01), s.output()
        assert api.secret["metadata"]["annotations"]["aifactory.dev/refresh-token-expires-at"] == _iso(soon)
        assert f"login ends {_iso(soon)}" in s.output()
        unknown = login(NOW_MS + 7_200_000, "NO-END")        # a login without one (made by hand)
        s.write(unknown)
        assert wait_for(lambda: api.value() == unknown, timeout=5, step=0.01), s.output()
        assert "aifactory.dev/refresh-token-expires-at" not in api.secret["metadata"]["annotations"]
        assert s.logged("login end unknown (no refreshTokenExpiresAt)")
        assert api.polled(3)
    finally:
        assert s.stop() == 0
    assert s.output().count("WARNING: the login ends at") == 1, "warned once, not at every pass"
