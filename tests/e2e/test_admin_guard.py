"""The admin API refuses what a web page of another site can send (issue 9, section 6;
docs/admin-api.md, "Who may use it").

Over real sockets, as a browser would send them:
  - a cross-site POST (Origin https://evil.example, Content-Type text/plain: a "simple"
    request a page can send without asking) does not load its scenario: 403, nothing loaded;
  - a request through DNS rebinding (Host: attacker.example) cannot read the journal: 403;
  - `curl` and SDKs (no Origin; Host 127.0.0.1 or localhost) and the mock's own pages
    (same-origin fetch) are served; the health check answers a plain local request, and
    {"status": "ok"} alone to a request for another Host or without the token (issue 12);
  - the AWS API answers whatever Host an SDK sends;
  - --admin-remote without a token is a usage error; the token may come from
    CBKIT_ADMIN_TOKEN, and then it is not on the command line (ps).
"""

import http.client
import json
import os
import subprocess

import cbkit_e2e as e2e
from cbkit_e2e import MockTestCase

CSRF_SCENARIO = b"scenario: csrf\nrules:\n  - respond: {error: AccessDeniedException}\n"


def setUpModule():
    e2e.require_debian_python()


def request(port, method, path, body=None, headers=None):
    """(status, parsed JSON or raw bytes) of one request; 'headers' may set Host."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=e2e.HTTP_TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        try:
            return r.status, json.loads(data)
        except ValueError:
            return r.status, data
    finally:
        conn.close()


class OtherSitesTest(MockTestCase):

    def setUp(self):
        self.m = self.start_mock()
        self.p = self.m.port

    def scenarios_loaded(self):
        return [s["name"] for s in self.m.get("scenarios")["scenarios"]]

    def test_cross_site_post_is_refused(self):
        st, doc = request(self.p, "POST", "/__cbkit/scenarios", CSRF_SCENARIO,
                          {"Origin": "https://evil.example", "Content-Type": "text/plain"})
        self.assertEqual(st, 403, doc)
        self.assertIn("Origin 'https://evil.example' is not the mock's own", doc["error"])
        self.assertEqual(self.scenarios_loaded(), [])
        # the API is untouched: no AccessDeniedException
        st, _, body = self.m.raw(json.dumps({"id": "p:1"}), target="StopBuild")
        self.assertEqual(st, 200, body)
        for origin in ("null", "http://localhost:1", "https://127.0.0.1:%d" % self.p):
            with self.subTest(origin=origin):
                st, doc = request(self.p, "POST", "/__cbkit/reset", b"",
                                  {"Origin": origin, "Content-Type": "text/plain"})
                self.assertEqual(st, 403, doc)
        # a page without Origin that the browser still labels cross-site
        st, doc = request(self.p, "GET", "/__cbkit/requests", None,
                          {"Sec-Fetch-Site": "cross-site"})
        self.assertEqual(st, 403, doc)
        self.assertEqual(self.m.health()["adminRefused"], 5)

    def test_dns_rebinding_is_refused(self):
        self.m.raw(json.dumps({"id": "secret:1"}), target="StopBuild")
        for host in ("attacker.example", "attacker.example:%d" % self.p, "127.0.0.1.evil.example"):
            with self.subTest(host=host):
                st, doc = request(self.p, "GET", "/__cbkit/requests", None, {"Host": host})
                self.assertEqual(st, 403, doc)
                self.assertIn("DNS rebinding", doc["error"])
                self.assertNotIn("secret:1", json.dumps(doc))
        # the health path stays open (health checks through another name): status only
        st, doc = request(self.p, "GET", "/__cbkit/health", None, {"Host": "mock.internal"})
        self.assertEqual((st, doc), (200, {"status": "ok"}))
        # but not for another site's web page
        st, doc = request(self.p, "GET", "/__cbkit/health", None,
                          {"Host": "attacker.example", "Origin": "https://evil.example"})
        self.assertEqual(st, 403, doc)

    def test_own_pages_and_plain_clients_are_served(self):
        # curl-like: Host 127.0.0.1:PORT or localhost:PORT, no Origin (health checks too)
        for host in ("127.0.0.1:%d" % self.p, "localhost:%d" % self.p, "localhost:9000"):
            with self.subTest(host=host):
                st, doc = request(self.p, "GET", "/__cbkit/health", None, {"Host": host})
                self.assertEqual(st, 200, doc)
                self.assertEqual(doc["status"], "ok")
        # a same-origin fetch() from a page the mock serves (the later /__cbkit/ui)
        for origin in ("http://127.0.0.1:%d" % self.p, "http://localhost:%d" % self.p):
            with self.subTest(origin=origin):
                host = origin[len("http://"):]
                st, doc = request(self.p, "POST", "/__cbkit/scenarios", CSRF_SCENARIO,
                                  {"Origin": origin, "Host": host, "Sec-Fetch-Site": "same-origin",
                                   "Content-Type": "text/plain"})
                self.assertEqual(st, 200, doc)
                self.assertEqual(doc, {"loaded": True})
        self.assertEqual(self.scenarios_loaded(), ["csrf"])
        self.assertEqual(self.m.health()["adminRefused"], 0)

    def test_api_answers_any_host(self):
        for host in ("attacker.example", "codebuild.us-east-1.amazonaws.com", "mock:4566"):
            with self.subTest(host=host):
                st, headers, body = self.m.raw(json.dumps({"id": "p:1"}), target="StopBuild",
                                               headers={"Host": host,
                                                        "Origin": "https://evil.example"})
                self.assertEqual(st, 200, body)
        # boto3 with a loopback name as the endpoint
        m2 = self.m
        import boto3
        import botocore.config
        e2e.use_client_env()
        c = boto3.session.Session().client(
            "codebuild", endpoint_url="http://localhost:%d" % m2.port, region_name="us-east-1",
            config=botocore.config.Config(retries={"total_max_attempts": 1}))
        self.addCleanup(c.close)
        self.assertEqual(c.stop_build(id="p:2")["build"]["id"], "p:2")


class RemoteTokenTest(MockTestCase):

    def test_remote_needs_a_token(self):
        env = dict(os.environ)
        env.pop("CBKIT_ADMIN_TOKEN", None)
        r = subprocess.run([e2e.cbkit_path(), "mock", "--port", "0", "--admin-remote"],
                           env=env, capture_output=True, text=True, timeout=e2e.CLI_TIMEOUT,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr,
                         "cbkit: error: --admin-remote needs a token: set CBKIT_ADMIN_TOKEN in "
                         "the environment (or give --admin-token)\nsee 'cbkit mock -h'\n")

    def test_token_from_the_environment(self):
        token = "e2e-token-from-the-environment"
        env = dict(os.environ)
        env["CBKIT_ADMIN_TOKEN"] = token
        m = self.start_mock("--admin-remote", env=env)
        with open("/proc/%d/cmdline" % m.pid, "rb") as f:
            self.assertNotIn(token.encode(), f.read())
        st, doc = request(m.port, "GET", "/__cbkit/requests", None, {"Host": "mock.internal"})
        self.assertEqual(st, 401, doc)
        # the health path stays open without the token, with the status only
        st, doc = request(m.port, "GET", "/__cbkit/health", None, {"Host": "mock.internal"})
        self.assertEqual((st, doc), (200, {"status": "ok"}))
        # a wrong token is refused, even there
        st, doc = request(m.port, "GET", "/__cbkit/health", None,
                          {"Host": "mock.internal", "X-Cbkit-Admin-Token": token + "x"})
        self.assertEqual(st, 401, doc)
        # remote: any Host, with the token: the details
        st, doc = request(m.port, "GET", "/__cbkit/health", None,
                          {"Host": "mock.internal", "X-Cbkit-Admin-Token": token})
        self.assertEqual(st, 200, doc)
        self.assertIn("requests", doc)
        # still not for another site's page, token or not
        st, doc = request(m.port, "POST", "/__cbkit/reset", b"",
                          {"Origin": "https://evil.example", "X-Cbkit-Admin-Token": token})
        self.assertEqual(st, 403, doc)
        self.assertEqual(m.get("health", token=token)["adminRefused"], 3)

    def test_environment_token_without_remote(self):
        env = dict(os.environ)
        env["CBKIT_ADMIN_TOKEN"] = "local-token"
        m = self.start_mock(env=env)
        st, _ = m.admin("GET", "requests")
        self.assertEqual(st, 401)
        self.assertEqual(m.get("health"), {"status": "ok"})  # open, status only
        self.assertIn("requests", m.get("health", token="local-token"))
        # --admin-token on the command line wins over the environment
        m2 = self.start_mock("--admin-token", "argv-token", env=env)
        st, _ = m2.admin("GET", "requests", token="local-token")
        self.assertEqual(st, 401)
        self.assertEqual(m2.get("health", token="argv-token")["status"], "ok")
