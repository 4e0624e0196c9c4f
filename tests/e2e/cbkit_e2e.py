"""Shared helpers of the end-to-end tests: start and stop `cbkit mock` and `cbkit record`,
talk to the mock's admin API, make boto3 clients and run the AWS CLI against it.

Real clients only: boto3/botocore and the AWS CLI v2 from Debian, run as /usr/bin/python3 and
/usr/bin/aws (other versions may be on PATH). The mock is a subprocess on 127.0.0.1 with
`--port 0`; its port is read from the first stdout line; it is stopped with SIGINT/SIGTERM sent
to the PID started here, with a bounded wait. Its stderr is kept in a file so that every test can
check it for sanitizer reports.
"""

import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

AWS_CLI = "/usr/bin/aws"
DEBIAN_PYTHON = "/usr/bin/python3"
CT = "application/x-amz-json-1.1"
TARGET_PREFIX = "CodeBuild_20161006."

# Generous bounds: the mock may be built with ASan+UBSan (several times slower).
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
CLI_TIMEOUT = 120.0
HTTP_TIMEOUT = 60.0

SANITIZER_MARKERS = ("runtime error", "AddressSanitizer", "LeakSanitizer", "ThreadSanitizer",
                     "MemorySanitizer", "UndefinedBehaviorSanitizer")

LISTENING = re.compile(r"^listening on http://127\.0\.0\.1:(\d+)$")

# Dummy credentials; nothing here ever talks to AWS.
CLIENT_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_PAGER": "",
    "AWS_EC2_METADATA_DISABLED": "true",
}
CLIENT_ENV_UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CODEBUILD", "AWS_CA_BUNDLE",
                    "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS", "AWS_ROLE_ARN",
                    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "HTTP_PROXY", "HTTPS_PROXY",
                    "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


def client_env(base=None):
    """The environment for a client process: dummy credentials, no profile, no proxy."""
    env = dict(os.environ if base is None else base)
    for k in CLIENT_ENV_UNSET:
        env.pop(k, None)
    env.update(CLIENT_ENV)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def use_client_env():
    """Put the client environment into this process (for boto3)."""
    for k in CLIENT_ENV_UNSET:
        os.environ.pop(k, None)
    os.environ.update(CLIENT_ENV)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


def cbkit_path():
    p = os.environ.get("CBKIT")
    if p:
        return p
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "build", "cbkit")


def shared_dir():
    return os.environ.get("CBK_SHARED_DIR") or ""


def require_debian_python(testcase=None):
    """The tests must run under Debian's Python (its boto3/botocore are the ones under test)."""
    if os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON):
        raise unittest.SkipTest("run these tests with %s, not %s" % (DEBIAN_PYTHON, sys.executable))


class MockError(AssertionError):
    pass


class Server:
    """A `cbkit COMMAND --port 0 ARGS...` subprocess on 127.0.0.1 (mock, record): the port is
    read from the first stdout line, the rest of stdout is collected by a thread (stdout()),
    stderr is kept in a file (stderr()) and checked for sanitizer reports when stopping.
    Only the PID started here is ever signalled."""

    default_stop_signal = signal.SIGINT

    def __init__(self, command, *args, env=None, cwd=None, preexec_fn=None):
        self.name = "cbkit " + command
        self.args = [cbkit_path(), command, "--port", "0"] + [str(a) for a in args]
        self._stderr = tempfile.NamedTemporaryFile(prefix="cbkit-%s-" % command,
                                                   suffix=".stderr", delete=False)
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._stderr,
                                     env=env if env is not None else client_env(), cwd=cwd,
                                     preexec_fn=preexec_fn)
        self.returncode = None
        self._out = []
        self._rest = b""
        try:
            line = self._first_line()
        except Exception:
            self.kill()
            raise
        m = LISTENING.match(line)
        if not m:
            self.kill()
            raise MockError("first stdout line of %s is %r, expected 'listening on "
                            "http://127.0.0.1:PORT'\nstderr: %s" % (self.args, line, self.stderr()))
        self.port = int(m.group(1))
        self.url = "http://127.0.0.1:%d" % self.port
        self._drain = threading.Thread(target=self._read_rest, daemon=True)
        self._drain.start()

    def _first_line(self):
        deadline = time.monotonic() + START_TIMEOUT
        buf = b""
        fd = self.proc.stdout.fileno()
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise MockError("%s printed no first line within %.0f s"
                                % (self.name, START_TIMEOUT))
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                raise MockError("%s exited before listening (status %s): %s"
                                % (self.name, self.proc.wait(STOP_TIMEOUT), self.stderr()))
            buf += chunk
        first, self._rest = buf.split(b"\n", 1)
        return first.decode("utf-8", "replace")

    def _read_rest(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self._out.append(chunk)

    # ---- life cycle ----------------------------------------------------------------------

    @property
    def pid(self):
        return self.proc.pid

    def close_clients(self):
        """Close the clients made for this server (none here; Mock keeps boto3 clients)."""

    def stop(self, sig=None, timeout=STOP_TIMEOUT, expect=0):
        """Send 'sig' (default_stop_signal) to our PID, wait at most 'timeout' s; kill and fail
        if it hangs. Checks the exit status ('expect', None for any) and stderr for sanitizer
        reports."""
        sig = sig if sig is not None else self.default_stop_signal
        if self.returncode is None:
            self.close_clients()
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
            try:
                self.returncode = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise MockError("%s did not exit within %.0f s of %s"
                                % (self.name, timeout, signal.Signals(sig).name))
            self._drain.join(STOP_TIMEOUT)
        self.assert_clean_stderr()
        if expect is not None and self.returncode != expect:
            raise MockError("%s exited with %s, expected %s; stderr:\n%s"
                            % (self.name, self.returncode, expect, self.stderr()))
        return self.returncode

    def kill(self, sig=signal.SIGKILL):
        self.close_clients()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        self.returncode = self.proc.returncode

    def cleanup(self):
        """Stop without checks (tearDown paths), then delete the stderr file."""
        self.kill()
        if self.proc.stdout and not self.proc.stdout.closed:
            self._drain.join(STOP_TIMEOUT)
            self.proc.stdout.close()
        self._stderr.close()
        try:
            os.unlink(self._stderr.name)
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.stop()
        finally:
            self.cleanup()
        return False

    def stdout(self):
        """What the server printed after the first line (complete once it has exited)."""
        return (self._rest + b"".join(self._out)).decode("utf-8", "replace")

    def stderr(self):
        try:
            with open(self._stderr.name, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def assert_clean_stderr(self):
        text = self.stderr()
        for marker in SANITIZER_MARKERS:
            if marker in text:
                raise MockError("%s's stderr reports %r:\n%s" % (self.name, marker, text))


class Mock(Server):
    """A `cbkit mock --port 0 ARGS...` subprocess, with its admin API and clients."""

    default_stop_signal = signal.SIGTERM

    def __init__(self, *args, env=None, cwd=None, preexec_fn=None):
        self._clients = []
        # the mock's own environment is the caller's unless given (clients get client_env())
        super().__init__("mock", *args, env=env if env is not None else os.environ.copy(),
                         cwd=cwd, preexec_fn=preexec_fn)

    def close_clients(self):
        for c in self._clients:
            close = getattr(c, "close", None)
            if close:
                close()
        self._clients = []

    # ---- admin API -----------------------------------------------------------------------

    def admin(self, method, path, body=None, query=None, token=None, headers=None):
        """(status, parsed JSON) of an admin request; path is relative to /__cbkit/."""
        url = "%s/__cbkit/%s" % (self.url, path.lstrip("/"))
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token is not None:
            req.add_header("X-Cbkit-Admin-Token", token)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=HTTP_TIMEOUT) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, raw

    def get(self, path, query=None, **kw):
        status, doc = self.admin("GET", path, query=query, **kw)
        if status != 200:
            raise MockError("GET /__cbkit/%s -> %s %r" % (path, status, doc))
        return doc

    def post(self, path, body=None, query=None, **kw):
        status, doc = self.admin("POST", path, body=body, query=query, **kw)
        if status != 200:
            raise MockError("POST /__cbkit/%s -> %s %r" % (path, status, doc))
        return doc

    def health(self):
        return self.get("health")

    def requests(self, **query):
        return self.get("requests", query=query or None)

    def settled_requests(self, timeout=STOP_TIMEOUT, **query):
        """The journal once every listed entry is complete (its answer sent: latencyMicros set).
        The completion is recorded after the last byte is written, so a client that has read
        its answer may see the entry before that; this waits (bounded) instead of racing."""
        deadline = time.monotonic() + timeout
        while True:
            doc = self.requests(**query)
            if all(e["latencyMicros"] is not None for e in doc["requests"]):
                return doc
            if time.monotonic() > deadline:
                raise MockError("journal entries still incomplete after %.0f s: %r"
                                % (timeout, [e["id"] for e in doc["requests"]
                                             if e["latencyMicros"] is None]))
            time.sleep(0.02)

    def reset(self, what=None):
        return self.post("reset", query={"what": what} if what else None)

    # ---- clients -------------------------------------------------------------------------

    def boto3(self, config=None, service="codebuild", **config_kw):
        """A boto3 client of 'service' (CodeBuild unless told: "logs" for CloudWatch Logs,
        when the mock serves its spec) for this mock (optionally with a botocore Config)."""
        import boto3
        import botocore.config
        use_client_env()
        base = botocore.config.Config(connect_timeout=HTTP_TIMEOUT, read_timeout=HTTP_TIMEOUT,
                                      **config_kw)
        if config is not None:
            base = base.merge(config)
        session = boto3.session.Session()
        client = session.client(service, endpoint_url=self.url, region_name="us-east-1",
                                config=base)
        self._clients.append(client)
        return client

    def aws(self, *args, timeout=CLI_TIMEOUT, output="json"):
        """Run /usr/bin/aws ARGS against this mock; returns the CompletedProcess (text)."""
        return run_aws(list(args), self.url, timeout=timeout, output=output)

    def raw(self, body=b"", target=None, content_type=CT, method="POST", path="/", headers=None,
            conn=None):
        """One raw HTTP request; returns (status, {lowercase header: value}, body bytes)."""
        return raw_request(self.port, body=body, target=target, content_type=content_type,
                           method=method, path=path, headers=headers, conn=conn)


def run_aws(args, endpoint, timeout=CLI_TIMEOUT, output="json"):
    if not os.path.exists(AWS_CLI):
        raise unittest.SkipTest("%s is not installed" % AWS_CLI)
    cmd = [AWS_CLI] + list(args) + ["--endpoint-url", endpoint, "--no-cli-pager"]
    if output:
        cmd += ["--output", output]
    try:
        return subprocess.run(cmd, env=client_env(), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("aws %s did not finish within %.0f s" % (" ".join(args), timeout)) from e


def raw_request(port, body=b"", target=None, content_type=CT, method="POST", path="/",
                headers=None, conn=None):
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    h = {}
    if content_type is not None:
        h["Content-Type"] = content_type
    if target is not None:
        h["X-Amz-Target"] = target if "." in target or not target else TARGET_PREFIX + target
    h.update(headers or {})
    if isinstance(body, str):
        body = body.encode()
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        if own:
            conn.close()


def closed_port():
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def op_target(op):
    return TARGET_PREFIX + op


UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class MockTestCase(unittest.TestCase):
    """A test case with helpers; subclasses start mocks with self.start_mock() (stopped and
    checked at cleanup)."""

    def start_mock(self, *args, **kw):
        m = Mock(*args, **kw)
        self.addCleanup(m.cleanup)
        self.addCleanup(m.assert_clean_stderr)
        return m

    def assertAwsError(self, status, headers, body, type_, http_status=400):
        """An AWS JSON 1.1 error answer as docs/mock.md describes it."""
        self.assertEqual(status, http_status, body)
        self.assertEqual(headers.get("content-type"), CT)
        self.assertRegex(headers.get("x-amzn-requestid", ""), "^%s$" % UUID_RE)
        doc = json.loads(body)
        self.assertIsInstance(doc, dict)
        self.assertEqual(doc.get("__type"), type_, body)
        self.assertNotIn("#", doc["__type"])
        self.assertNotIn(":", doc["__type"])
        self.assertEqual(headers.get("x-amzn-errortype"), doc["__type"])
        self.assertIsInstance(doc.get("message"), str)
        self.assertTrue(doc["message"])
        return doc
