"""`cbkit health` and `cbkit mock` configured from CBKIT_* variables (issue 12, sections 1
and 2; docs/mock.md "Configuration from the environment", docs/ci.md).

Over real sockets:
  - `cbkit health` exits 0 against a running mock (URL given, or from CBKIT_PORT), also
    when the admin API wants a token (the health path stays open); 4 when nothing answers or
    the answer is late; 6 when something else answers (a 404 page, a 200 that is not cbkit's);
  - a mock configured by variables only (port, seed, world, several scenarios, admin token)
    behaves as the flags would make it, and a flag overrides its variable;
  - the container combination (CBKIT_HOST=0.0.0.0, CBKIT_ADMIN_REMOTE=auto and a token) is
    checked in a private network namespace (unshare --net) with a non-loopback address of its
    own (nothing leaves the namespace): a remote client uses the AWS API, gets the open health answer, needs the token for
    the rest of the admin API; `cbkit health` inside passes. Skipped, with the reason, where
    unshare is not allowed.
"""

import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import unittest

import cbkit_e2e as e2e
from cbkit_e2e import MockTestCase

HERE = os.path.dirname(os.path.abspath(__file__))


def setUpModule():
    e2e.require_debian_python()


def health(*args, env=None, timeout=e2e.CLI_TIMEOUT):
    """Run `cbkit health ARGS`: (exit status, stdout, stderr)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CBKIT_") or k == "CBKIT"}
    base.update(env or {})
    r = subprocess.run([e2e.cbkit_path(), "health"] + list(args), env=base,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    for marker in e2e.SANITIZER_MARKERS:
        if marker in r.stderr:
            raise AssertionError("cbkit health's stderr reports %r:\n%s" % (marker, r.stderr))
    return r.returncode, r.stdout, r.stderr


class OtherServer:
    """A plain HTTP server on 127.0.0.1 (not cbkit) answering every GET with (status, body)."""

    def __init__(self, status, body, content_type="text/html"):
        answer = (status, body, content_type)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                st, b, ct = answer
                self.send_response(st)
                self.send_header("Content-Type", ct)
                self.send_header("Content-Length", str(len(b)))
                self.end_headers()
                self.wfile.write(b)

            def log_message(self, *a):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(e2e.STOP_TIMEOUT)


class Health(MockTestCase):

    def test_healthy_mock(self):
        m = self.start_mock()
        rc, out, err = health("--url", m.url)
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, "ok: %s/__cbkit/health\n" % m.url)
        # the full health URL works too; so does the default URL from CBKIT_PORT
        rc, out, _ = health("--url", m.url + "/__cbkit/health")
        self.assertEqual(rc, 0, out)
        rc, out, err = health(env={"CBKIT_PORT": str(m.port), "CBKIT_HOST": "0.0.0.0"})
        self.assertEqual((rc, out, err), (0, "ok: %s/__cbkit/health\n" % m.url, ""))
        m.stop()
        # the same URL once the mock is gone: no answer
        rc, out, err = health("--url", m.url)
        self.assertEqual(rc, 4, err)
        self.assertEqual(out, "")
        self.assertIn("no answer", err)
        self.assertEqual(err.count("\n"), 1, err)

    def test_health_stays_open_with_a_token(self):
        env = dict(os.environ, CBKIT_ADMIN_TOKEN="health-token")
        m = self.start_mock(env=env)
        st, _ = m.admin("GET", "requests")
        self.assertEqual(st, 401)
        rc, out, err = health("--url", m.url)
        self.assertEqual((rc, err), (0, ""), out)

    def test_something_else_answers(self):
        for status, body, ct, why in (
                (404, b"<h1>Not Found</h1>", "text/html", "answered 404"),
                (200, b"<html>hello</html>", "text/html", 'without {"status":"ok"}'),
                (200, b'{"status":"starting"}', "application/json", 'without {"status":"ok"}'),
                (503, b'{"error":"draining"}', "application/json", "answered 503: draining")):
            with self.subTest(status=status, body=body):
                srv = OtherServer(status, body, ct)
                try:
                    rc, out, err = health("--url", srv.url)
                finally:
                    srv.close()
                self.assertEqual(rc, 6, err)
                self.assertEqual(out, "")
                self.assertIn(why, err)
                self.assertEqual(err.count("\n"), 1, err)

    def test_no_answer_in_time(self):
        # a listening socket nobody accepts from: the connection opens, no answer ever comes
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        rc, out, err = health("--url", "http://127.0.0.1:%d" % s.getsockname()[1],
                              "--timeout", "0.3")
        self.assertEqual(rc, 4, err)
        self.assertIn("no answer within 0.3 s", err)


SCENARIO_A = """\
scenario: from-env-a
rules:
  - match: {operation: StopBuild, body: {/id: "env:fault"}}
    respond: {error: AccessDeniedException}
"""
SCENARIO_B = """\
scenario: from-env-b
rules:
  - match: {operation: RetryBuild}
    respond: {error: ThrottlingException}
"""


class ConfigFromEnvironment(MockTestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cbkit-env-")
        self.addCleanup(shutil.rmtree, self.dir)
        self.a = os.path.join(self.dir, "a.yaml")
        self.b = os.path.join(self.dir, "b c.yaml")  # a space in the name
        with open(self.a, "w") as f:
            f.write(SCENARIO_A)
        with open(self.b, "w") as f:
            f.write(SCENARIO_B)

    def env(self, **kw):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CBKIT_") or k == "CBKIT"}
        env.update(kw)
        return env

    def test_variables_only(self):
        token = "env-token"
        m = self.start_mock(env=self.env(CBKIT_SEED="7", CBKIT_WORLD="strict",
                                         CBKIT_SCENARIO="%s, %s" % (self.a, self.b),
                                         CBKIT_ADMIN_TOKEN=token, CBKIT_JOURNAL_CAP="2"))
        doc = m.get("health", token=token)
        self.assertEqual(doc["world"], "strict")
        self.assertEqual(doc["journalCap"], 2)
        self.assertTrue(doc["virtualClock"])  # CBKIT_SEED without a clock: virtual
        self.assertEqual(doc["clock"], 1735689600)
        names = [s["name"] for s in m.get("scenarios", token=token)["scenarios"]]
        self.assertEqual(names, ["from-env-a", "from-env-b"])
        st, _ = m.admin("GET", "requests")
        self.assertEqual(st, 401)
        c = m.boto3()
        with self.assertRaises(c.exceptions.ClientError) as cm:
            c.stop_build(id="env:fault")
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDeniedException")
        # strict world: an unknown build is not found
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.stop_build(id="env:unknown")

    def test_flag_overrides_variable(self):
        m = self.start_mock("--world", "open", "--scenario", self.a,
                            env=self.env(CBKIT_WORLD="strict", CBKIT_SCENARIO=self.b))
        self.assertEqual(m.get("health")["world"], "open")
        names = [s["name"] for s in m.get("scenarios")["scenarios"]]
        self.assertEqual(names, ["from-env-a"])
        c = m.boto3()
        self.assertEqual(c.stop_build(id="env:unknown")["build"]["id"], "env:unknown")

    def test_print_config_matches_what_runs(self):
        env = self.env(CBKIT_WORLD="strict", CBKIT_PORT="0", CBKIT_ADMIN_TOKEN="hidden-value")
        r = subprocess.run([e2e.cbkit_path(), "mock", "--print-config", "--port", "0"], env=env,
                           capture_output=True, text=True, timeout=e2e.CLI_TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = {ln.split()[0]: ln for ln in r.stdout.splitlines() if not ln.startswith("#")}
        self.assertRegex(rows["world"], r"^world +strict +env CBKIT_WORLD$")
        self.assertRegex(rows["port"], r"^port +0 +flag --port$")
        self.assertNotIn("hidden-value", r.stdout)
        self.assertRegex(rows["admin-token"], r"env CBKIT_ADMIN_TOKEN$")

    def test_bad_variable_is_a_usage_error(self):
        r = subprocess.run([e2e.cbkit_path(), "mock"], env=self.env(CBKIT_THREADS="many"),
                           capture_output=True, text=True, timeout=e2e.CLI_TIMEOUT)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, "")
        self.assertIn("CBKIT_THREADS wants 1..64, not 'many'", r.stderr)


# The container combination, run inside a private network namespace by
# ContainerCombination: its own lo, with 192.0.2.1 (TEST-NET-1) added, an address that only
# this namespace has and that is not a loopback address, so requests from it come from a
# remote peer as the mock sees it. Prints one JSON object of findings.
INNER = textwrap.dedent("""\
    import json, os, re, subprocess, sys, http.client
    sys.path.insert(0, %(here)r)
    import cbkit_e2e as e2e
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "add", "192.0.2.1/32", "dev", "lo"], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBKIT_") or k == "CBKIT"}
    # as in the image: the default port (free: the namespace is new), all addresses
    env.update(CBKIT_HOST="0.0.0.0", CBKIT_ADMIN_REMOTE="auto")
    if sys.argv[1] == "token":
        env["CBKIT_ADMIN_TOKEN"] = "container-token"
    p = subprocess.Popen([e2e.cbkit_path(), "mock"], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    out = {"first": p.stdout.readline().strip()}
    port = int(re.match(r"listening on http://0\\.0\\.0\\.0:(\\d+)$", out["first"]).group(1))

    def get(path, token=None, host=None):
        # from the namespace's own non-loopback address: the peer is 192.0.2.1
        c = http.client.HTTPConnection("192.0.2.1", port, timeout=60,
                                       source_address=("192.0.2.1", 0))
        h = {"Host": host or "mock:%%d" %% port}
        if token:
            h["X-Cbkit-Admin-Token"] = token
        c.request("GET", path, headers=h)
        r = c.getresponse()
        body = r.read()
        c.close()
        return [r.status, json.loads(body)]

    try:
        out["health"] = get("/__cbkit/health")
        out["requests"] = get("/__cbkit/requests")
        out["requests_token"] = get("/__cbkit/requests", token="container-token")[0]
        c = http.client.HTTPConnection("192.0.2.1", port, timeout=60,
                                       source_address=("192.0.2.1", 0))
        c.request("POST", "/", body=b'{"id":"c:1"}',
                  headers={"X-Amz-Target": "CodeBuild_20161006.StopBuild",
                           "Content-Type": "application/x-amz-json-1.1"})
        r = c.getresponse()
        out["api"] = [r.status, json.loads(r.read())["build"]["id"]]
        h = subprocess.run([e2e.cbkit_path(), "health"], env=env, capture_output=True,
                           text=True, timeout=60)
        out["cbkit_health"] = [h.returncode, h.stdout, h.stderr]
    finally:
        p.terminate()
        _, err = p.communicate(timeout=60)
        out["exit"] = p.returncode
        out["stderr"] = err
    print(json.dumps(out))
""")


class ContainerCombination(unittest.TestCase):

    def run_inner(self, mode):
        unshare = shutil.which("unshare") or "/usr/bin/unshare"
        ip = shutil.which("ip") or "/usr/sbin/ip"
        if not os.path.exists(unshare) or not os.path.exists(ip):
            self.skipTest("needs unshare and ip (util-linux, iproute2)")
        probe = subprocess.run([unshare, "--net", ip, "addr", "add", "192.0.2.1/32", "dev", "lo"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            self.skipTest("cannot make a private network namespace with an address of its own "
                          "here (unshare --net: %s)" % probe.stderr.strip())
        r = subprocess.run([unshare, "--net", sys.executable, "-c",
                            INNER % {"here": HERE}, mode],
                           capture_output=True, text=True, timeout=e2e.CLI_TIMEOUT,
                           env=dict(os.environ, PATH=os.environ.get("PATH", "") + ":/usr/sbin"))
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout.strip().splitlines()[-1])
        for marker in e2e.SANITIZER_MARKERS:
            self.assertNotIn(marker, out["stderr"])
        self.assertEqual(out["exit"], 0, out["stderr"])
        return out

    def test_token_protected_admin_and_open_health(self):
        out = self.run_inner("token")
        self.assertEqual(out["health"], [200, {"status": "ok"}])
        self.assertEqual(out["requests"][0], 401, out["requests"])
        self.assertEqual(out["requests_token"], 200)
        self.assertEqual(out["api"], [200, "c:1"])
        self.assertEqual(out["cbkit_health"][0], 0, out["cbkit_health"])
        self.assertRegex(out["cbkit_health"][1], r"^ok: http://127\.0\.0\.1:7766/__cbkit/health\n$")
        self.assertEqual(out["first"], "listening on http://0.0.0.0:7766")

    def test_without_token_admin_is_local_only(self):
        out = self.run_inner("none")
        self.assertEqual(out["health"], [200, {"status": "ok"}])
        self.assertEqual(out["requests"][0], 403, out["requests"])
        self.assertIn("loopback clients only", out["requests"][1]["error"])
        self.assertEqual(out["api"], [200, "c:1"])
        self.assertEqual(out["cbkit_health"][0], 0, out["cbkit_health"])


if __name__ == "__main__":
    unittest.main()
