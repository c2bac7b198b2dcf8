"""The write-back sidecar (charts/aifactory/files/credentials_writeback.py), offline: its decision
logic, and whole runs as a subprocess against a tiny fake API server on 127.0.0.1."""
from __future__ import annotations

import base64
import importlib.util
import json
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from credentials_fakes import creds, other_refresh
from fixtures import leaked
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

class FakeApi:
    """GET/PATCH of one Secret; strategic-merge semantics for data and annotations; resourceVersion
    preconditions (409); scripted failures; records the bearer token of each request."""

    def __init__(self, namespace="agents", name="creds", key="credentials.json", value: bytes | None = OLD,
                 tls: tuple | None = None):
        self.path = f"/api/v1/namespaces/{namespace}/secrets/{name}"
        self.key = key
        self.rv = 1
        self.secret = {"metadata": {"name": name, "namespace": namespace, "resourceVersion": "1",
                                    "annotations": {}}, "data": {}}
        if value is not None:
            self.secret["data"][key] = base64.b64encode(value).decode()
        self.requests: list = []
        self.fail_next: list = []  # HTTP status codes to answer with, one per request
        self.bump_after_get = 0    # change resourceVersion after this many GETs (a concurrent writer)
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with api.lock:
                    api.requests.append({"method": method, "path": self.path,
                                         "auth": self.headers.get("Authorization"),
                                         "ctype": self.headers.get("Content-Type"), "body": body})
                    if api.fail_next:
                        code = api.fail_next.pop(0)
                        return self._send(code, {"kind": "Status", "message": f"injected {code}"})
                    if self.path.split("?")[0] != api.path:
                        return self._send(404, {"kind": "Status", "message": "secrets not found"})
                    if method == "GET":
                        self._send(200, api.secret)
                        if api.bump_after_get:
                            api.bump_after_get -= 1
                            api.bump()
                        return None
                    assert self.headers.get("Content-Type") == "application/strategic-merge-patch+json"
                    patch = json.loads(body)
                    if patch["metadata"].get("resourceVersion") not in (None, api.secret["metadata"]["resourceVersion"]):
                        return self._send(409, {"kind": "Status", "message": "the object has been modified"})
                    api.secret["data"].update(patch.get("data", {}))
                    api.secret["metadata"]["annotations"].update(patch["metadata"].get("annotations", {}))
                    api.bump()
                    return self._send(200, api.secret)

            def do_GET(self):
                self._handle("GET")

            def do_PATCH(self):
                self._handle("PATCH")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls:
            import ssl
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

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

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api():
    a = FakeApi()
    yield a
    a.close()


class Sidecar:
    def __init__(self, tmp_path, api: FakeApi, interval="0.2", extra=(), ca: bytes | None = None):
        self.file = tmp_path / "claude" / ".credentials.json"
        self.file.parent.mkdir(exist_ok=True)
        self.token = tmp_path / "sa" / "token"
        self.token.parent.mkdir(exist_ok=True)
        self.token.write_text("token-1")
        if ca is not None:
            (self.token.parent / "ca.crt").write_bytes(ca)  # as the projected volume lays it out
        self.log = tmp_path / "sidecar.log"
        self._fh = open(self.log, "w")
        self.proc = subprocess.Popen(
            [sys.executable, str(SCRIPT), f"--file={self.file}", "--secret=creds", "--key=credentials.json",
             "--namespace=agents", f"--interval={interval}", f"--token-file={self.token}",
             f"--api-server={api.url}", "--max-backoff=1", *extra],
            stdout=self._fh, stderr=subprocess.STDOUT)
        self._fh.close()  # the child holds its own descriptor

    def write(self, data: bytes):
        tmp = self.file.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(self.file)  # Claude Code replaces the file; the sidecar must never see half of it

    def stop(self, timeout=10) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def output(self) -> str:
        return self.log.read_text()


def test_run_writes_a_valid_newer_login_and_records_rotated_at(tmp_path, api):
    s = Sidecar(tmp_path, api)
    try:
        s.write(OLD)
        assert wait_for(lambda: "in sync" in s.output())
        s.write(NEW)
        assert wait_for(lambda: api.value() == NEW, timeout=5), s.output()
        ann = api.secret["metadata"]["annotations"]
        assert ann["aifactory.dev/rotated-at"].endswith("Z") and ann["aifactory.dev/rotated-by"] == "aifactory-credentials-writeback"
        patches = [r for r in api.requests if r["method"] == "PATCH"]
        assert len(patches) == 1 and "fieldManager=aifactory-credentials-writeback" in patches[0]["path"]
        assert json.loads(patches[0]["body"])["metadata"]["resourceVersion"]  # conditional patch
    finally:
        assert s.stop() == 0
    out = s.output()
    assert not leaked(out) and "sk-ant-" not in out
    assert "wrote Secret key 'credentials.json'" in out and out.rstrip().endswith("stopped")


def test_run_never_writes_older_broken_or_empty_logins(tmp_path, api):
    api.replace(NEW)
    s = Sidecar(tmp_path, api)
    try:
        for bad in (OLD, b"{\"claudeAiOauth\": ", raw(creds(refresh="")), login(NOW_MS + 3_600_000, "SAME-EXPIRY")):
            s.write(bad)
            time.sleep(0.6)
        assert api.value() == NEW
        assert not [r for r in api.requests if r["method"] == "PATCH"]
    finally:
        assert s.stop() == 0
    out = s.output()
    for reason in ("not newer than the Secret", "not valid JSON", "empty refresh token"):
        assert reason in out
    assert not leaked(out)


def test_run_one_log_line_per_decision_not_per_poll(tmp_path, api):
    s = Sidecar(tmp_path, api, interval="0.05")
    try:
        s.write(OLD)
        time.sleep(1.0)
    finally:
        s.stop()
    assert s.output().count("in sync") == 1


def test_run_does_not_overwrite_a_secret_replaced_by_rotate(tmp_path, api):
    s = Sidecar(tmp_path, api)
    try:
        s.write(OLD)
        assert wait_for(lambda: "in sync" in s.output())
        rotated = login(NOW_MS + 1_000, "ROTATED")   # the operator's new login (expires sooner!)
        api.replace(rotated)
        s.write(login(NOW_MS + 7_200_000, "OLDPOD"))  # the old pod refreshes its old family
        assert wait_for(lambda: "replaced by someone else" in s.output(), timeout=5)
        time.sleep(0.5)
        assert api.value() == rotated
    finally:
        s.stop()


def test_run_rereads_the_token_and_backs_off_on_api_errors(tmp_path, api):
    api.fail_next = [500, 503, 401]
    s = Sidecar(tmp_path, api)
    try:
        s.write(OLD)
        assert wait_for(lambda: "in sync" in s.output(), timeout=10), s.output()
        s.token.write_text("token-2")          # kubelet rotated the projected token
        s.write(NEW)
        assert wait_for(lambda: api.value() == NEW, timeout=5)
    finally:
        assert s.stop() == 0
    out = s.output()
    assert "API error (attempt 1, retry in" in out and "attempt 3" in out
    assert "service account token was refused" in out
    auths = [r["auth"] for r in api.requests]
    assert auths[0] == "Bearer token-1" and auths[-1] == "Bearer token-2"
    # backoff grows: the three failures are spread out, not hammered at the 0.2 s interval
    assert not leaked(out)


def test_run_conflict_is_retried_not_forced(tmp_path, api):
    s = Sidecar(tmp_path, api)
    try:
        s.write(OLD)
        assert wait_for(lambda: "in sync" in s.output())
        with api.lock:
            api.bump_after_get = 1  # someone touches the Secret between the sidecar's GET and PATCH
        s.write(NEW)
        assert wait_for(lambda: api.value() == NEW, timeout=5), s.output()
    finally:
        s.stop()
    assert "HTTP 409" in s.output()
    patches = [r for r in api.requests if r["method"] == "PATCH"]
    assert len(patches) == 2


def test_sigterm_does_a_final_sync_and_exits_zero(tmp_path, api):
    s = Sidecar(tmp_path, api, interval="30")
    try:
        assert wait_for(lambda: "watching" in s.output())
        assert wait_for(lambda: len(api.requests) >= 1)
        s.write(NEW)  # refreshed just before the pod stops; the next poll is 30 s away
        started = time.monotonic()
        assert s.stop(timeout=10) == 0
        assert time.monotonic() - started < 8
    finally:
        if s.proc.poll() is None:
            s.proc.kill()
    assert api.value() == NEW
    assert s.output().rstrip().endswith("stopped")


def test_missing_secret_is_logged_with_the_fix_and_retried(tmp_path):
    api = FakeApi(name="other-name")
    s = Sidecar(tmp_path, api)
    try:
        s.write(NEW)
        assert wait_for(lambda: "HTTP 404" in s.output(), timeout=5)
        assert "credentials create-secret" in s.output()
        assert s.proc.poll() is None, "keeps running (backing off), no crash loop"
    finally:
        s.stop()
        api.close()


def test_once_and_argument_errors(tmp_path, api):
    s = Sidecar(tmp_path, api, extra=("--once",))
    s.write(NEW)
    assert s.proc.wait(timeout=10) == 0
    bad = subprocess.run([sys.executable, str(SCRIPT), "--file=x", "--secret=s", "--key=k", "--namespace=n",
                          "--token-file=t", "--interval=0"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "--interval must be positive" in bad.stderr


def test_in_cluster_server_url(monkeypatch):
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    assert wb._in_cluster_server() == "https://10.96.0.1:443"
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "fd00::1")
    assert wb._in_cluster_server() == "https://[fd00::1]:443"
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST")
    assert wb._in_cluster_server() is None


def test_stdlib_only():
    import ast
    tree = ast.parse(SCRIPT.read_text())
    mods = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    mods |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert mods <= set(sys.stdlib_module_names) | {"__future__"}, mods - set(sys.stdlib_module_names)


# ---------------------------------------------------------------- TLS with the projected ca.crt

def _pki(tmp_path):
    """A CA and a server certificate for 127.0.0.1, made with the openssl CLI."""
    import shutil
    if not shutil.which("openssl"):
        pytest.fail("the openssl CLI is missing (Debian package openssl)")
    d = tmp_path / "pki"
    d.mkdir()

    def ossl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
         "-subj", "/CN=fake-kubernetes-ca")
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=kubernetes")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    ossl("x509", "-req", "-in", "srv.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.crt",
         "-days", "1", "-extfile", "ext.cnf")
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other.crt", "-days", "1",
         "-subj", "/CN=some-other-ca")
    return d


def test_https_with_the_ca_beside_the_token(tmp_path):
    pki = _pki(tmp_path)
    api = FakeApi(tls=(str(pki / "srv.crt"), str(pki / "srv.key")))
    s = Sidecar(tmp_path, api, ca=(pki / "ca.crt").read_bytes())
    try:
        s.write(NEW)
        assert wait_for(lambda: api.value() == NEW, timeout=10), s.output()
    finally:
        assert s.stop() == 0
        api.close()


def test_https_with_a_wrong_ca_is_refused_and_retried(tmp_path):
    pki = _pki(tmp_path)
    api = FakeApi(tls=(str(pki / "srv.crt"), str(pki / "srv.key")))
    s = Sidecar(tmp_path, api, ca=(pki / "other.crt").read_bytes())
    try:
        s.write(NEW)
        assert wait_for(lambda: "API server unreachable" in s.output(), timeout=10), s.output()
        assert "CERTIFICATE_VERIFY_FAILED" in s.output()
        assert api.value() == OLD and s.proc.poll() is None
    finally:
        assert s.stop() == 0
        api.close()
