"""End-to-end tests of issue 9, sections 1 and 5 and the log lines of section 8, over real
sockets (docs/record.md, docs/cassettes.md "Secrets", docs/mock.md "Journal and reports"):

- the recorder forwards only origin-form request-targets: "@host/", "//host/", absolute-form,
  authority-form and "*" get a 400 JSON error and reach no one, neither the upstream nor the
  host they name (a listener on 127.0.0.2 that would receive the signed request, the session
  token in clear); a path with '@' or ':' in it still goes to the upstream, percent-encoded;
- --upstream, --record-missing's --upstream and replay's --target must be scheme://host[:port]:
  "http://127.0.0.1:1@127.0.0.2:P" (a user name that moves the host) is a usage error and nothing
  is sent;
- a non-loopback --host is refused unless --allow-remote, which warns; loopback addresses other
  than 127.0.0.1 are fine;
- secrets through the recorder, with the secret key of the issue: as a JSON member name (request
  and answer), quoted by findings (the cassette's, the drift report's on stdout and in
  --drift-report), matched by a --redact-pattern the regex engine cannot evaluate (a warning names
  it) or only with a large JIT stack, JSON-escaped ("\\/") in bodies that are not JSON, and in
  X-Api-Key / X-Auth-Token headers: none reaches a file or stdout in any spelling;
- the mock's journal (/__cbkit/requests, /__cbkit/violations), --report and --junit show the
  members the spec marks sensitive as [REDACTED], in bodies (also cut short by --journal-body) and
  in the messages of findings;
- a request path with CR LF in it cannot forge a log line of the recorder, nor can a member name
  in an answer forge a line of the drift report or of `cbkit replay`'s output.

Run with /usr/bin/python3 (ctest sets CBKIT to the binary under test).
"""

import http.server
import json
import os
import re
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import unittest

import cbkit_e2e as e2e
from cbkit_e2e import CT, MockTestCase

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY9"  # the issue's
TOKEN = "TOKEN-XYZ-FQoGZXIvYXdzEXAMPLESESSION"
REDACTED = "[REDACTED]"
CLIENT_TIMEOUT = 30.0


def setUpModule():
    e2e.require_debian_python()


def recorder_env():
    env = e2e.client_env()
    env["AWS_ACCESS_KEY_ID"] = AKID
    env["AWS_SECRET_ACCESS_KEY"] = SECRET
    env["AWS_SESSION_TOKEN"] = TOKEN
    return env


def spellings(s):
    """Ways a secret can be written: as is, JSON-escaped ("\\/"), as a JSON pointer token ("~1"),
    percent-encoded."""
    return {s, json.dumps(s)[1:-1], s.replace("/", "\\/"), s.replace("~", "~0").replace("/", "~1"),
            s.replace("/", "%2F"), s.replace("/", "%2f")}


class Recorder(e2e.Server):
    def __init__(self, *args, env=None):
        super().__init__("record", *args, env=env if env is not None else recorder_env())


def run_cbkit(*args, env=None, timeout=e2e.CLI_TIMEOUT):
    """Run cbkit to completion: CompletedProcess (text)."""
    try:
        return subprocess.run([e2e.cbkit_path()] + [str(a) for a in args],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, env=env if env is not None else recorder_env())
    except subprocess.TimeoutExpired as e:
        raise AssertionError("cbkit %s did not exit within %.0f s" % (args, timeout)) from e


def send_raw(port, method, target, headers=None, body=b"", host="127.0.0.1"):
    """One request with exactly this request line: (status, {lowercase header: value}, body)."""
    if isinstance(body, str):
        body = body.encode()
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: 127.0.0.1:%d" % port]
    for k, v in (headers or {}).items():
        lines.append("%s: %s" % (k, v))
    lines += ["Content-Length: %d" % len(body), "Connection: close", "", ""]
    s = socket.create_connection((host, port), timeout=CLIENT_TIMEOUT)
    try:
        s.sendall("\r\n".join(lines).encode("latin-1") + body)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    hl = head.decode("latin-1").split("\r\n")
    status = int(hl[0].split()[1])
    hdrs = {}
    for line in hl[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, rest


def api_headers(op, extra=None):
    h = {"Content-Type": CT, "X-Amz-Target": e2e.op_target(op)}
    h.update(extra or {})
    return h


class Upstream:
    """A service on 127.0.0.1 that keeps every request it gets (method, path, headers, body) and
    answers with answer(op, body) -> (status, content type, body bytes)."""

    def __init__(self, answer):
        outer = self
        self.requests = []
        self.answer = answer
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with outer.lock:
                    outer.requests.append((self.command, self.path, dict(self.headers), body))
                op = (self.headers.get("X-Amz-Target") or "").rpartition(".")[2]
                status, ctype, data = outer.answer(op, body)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_GET = do_OPTIONS = do_PUT = handle_any

            def log_message(self, fmt, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(30)

    def got(self):
        with self.lock:
            return list(self.requests)


def json_answer(doc, status=200):
    return status, CT, json.dumps(doc).encode()


class Listener:
    """A listening socket that never accepts: any connection made to it waits in its backlog,
    where connected() sees it (the kernel completes the handshake without us)."""

    def __init__(self, host):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.host, self.port = self.sock.getsockname()

    def connected(self):
        r, _, _ = select.select([self.sock], [], [], 0)
        return bool(r)

    def close(self):
        self.sock.close()


# ---- section 1: where signed requests go ----------------------------------------------------------


class RequestTargetTest(MockTestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cbkit-target-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.up = Upstream(lambda op, body: json_answer({"build": {"id": "b:1"}}))
        self.addCleanup(self.up.close)
        self.evil = Listener("127.0.0.2")  # loopback, but not the upstream
        self.addCleanup(self.evil.close)

    def test_only_origin_form_is_forwarded(self):
        rec = Recorder("--cassette", os.path.join(self.tmp, "c.yaml"), "--upstream", self.up.url,
                       "--timeout", "3", "--connect-timeout", "2")
        self.addCleanup(rec.cleanup)
        evil = "127.0.0.2:%d" % self.evil.port
        for method, target in [("POST", "@%s/" % evil), ("POST", "@%s" % evil),
                               ("POST", "//%s/" % evil), ("POST", "http://%s/" % evil),
                               ("CONNECT", evil), ("OPTIONS", "*")]:
            status, hdrs, body = send_raw(rec.port, method, target, api_headers("StopBuild"),
                                          '{"id":"p:1"}')
            self.assertEqual(status, 400, (method, target, body))
            self.assertEqual(json.loads(body)["__type"], "BadRequestException", body)
            self.assertIn("origin-form", json.loads(body)["message"])
            # the answer came back: a forwarded copy would already have connected
            self.assertFalse(self.evil.connected(), "%s %s reached %s" % (method, target, evil))
            self.assertEqual(self.up.got(), [], "%s %s reached the upstream" % (method, target))
        # a path is forwarded to the upstream, and only there, whatever it holds
        status, _, body = send_raw(rec.port, "POST", "/", api_headers("StopBuild"), '{"id":"p:1"}')
        self.assertEqual(status, 200, body)
        status, _, body = send_raw(rec.port, "POST", "/@%s/x" % evil, api_headers("StopBuild"),
                                   '{"id":"p:1"}')
        self.assertEqual(status, 200, body)
        self.assertFalse(self.evil.connected())
        got = self.up.got()
        self.assertEqual([g[1] for g in got], ["/", "/%%40127.0.0.2%%3a%d/x" % self.evil.port])
        self.assertEqual(got[0][2].get("X-Amz-Security-Token"), TOKEN)
        rec.stop()
        self.assertEqual(rec.stderr().count("refused to forward"), 6, rec.stderr())
        self.assertIn("refused to forward CONNECT '%s': not an origin-form request-target" % evil,
                      rec.stderr())

    def test_urls_with_a_user_are_refused(self):
        """"http://127.0.0.1:1@127.0.0.2:P" is user "127.0.0.1", password "1", host 127.0.0.2."""
        moved = "http://127.0.0.1:1@127.0.0.2:%d" % self.evil.port
        cassette = os.path.join(self.tmp, "c.yaml")
        p = run_cbkit("record", "--port", "0", "--cassette", cassette, "--upstream", moved)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("upstream '%s' is not an http:// or https:// URL: it holds a user name or "
                      "password; write scheme://host[:port]" % moved, p.stderr)
        for bad in (self.up.url + "/prefix", self.up.url + "?x=1", self.up.url + "#f"):
            p = run_cbkit("record", "--port", "0", "--cassette", cassette, "--upstream", bad)
            self.assertEqual(p.returncode, 2, (bad, p.stderr))
        with open(cassette, "w") as f:
            f.write("cbkit-cassette: 1\n...\n")
        p = run_cbkit("mock", "--port", "0", "--cassette", cassette, "--record-missing",
                      "--upstream", moved)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("holds a user name or password", p.stderr)
        # replay would send every recorded request, signed, to the moved host
        with open(cassette, "w") as f:
            f.write("cbkit-cassette: 1\n...\n---\nexchange: 1\noperation: StopBuild\n"
                    "request:\n  body: '{\"id\":\"b:1\"}'\nresponse:\n  status: 200\n"
                    "  body: '{}'\n...\n")
        p = run_cbkit("replay", "--cassette", cassette, "--target", moved, "--timeout", "3",
                      "--connect-timeout", "2")
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("holds a user name or password", p.stderr)
        self.assertFalse(self.evil.connected())
        self.assertEqual(self.up.got(), [])


class HostTest(MockTestCase):

    def test_non_loopback_host(self):
        tmp = tempfile.mkdtemp(prefix="cbkit-host-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cassette = os.path.join(tmp, "c.yaml")
        for host in ("0.0.0.0", "::", "192.0.2.1"):
            p = run_cbkit("record", "--port", "0", "--cassette", cassette, "--upstream",
                          "http://127.0.0.1:1", "--host", host)
            self.assertEqual(p.returncode, 2, (host, p.stdout, p.stderr))
            self.assertIn("cbkit: error: --host %s is not a loopback address" % host, p.stderr)
            self.assertNotIn("listening", p.stdout)
        # --allow-remote: a warning; 192.0.2.1 (TEST-NET-1) is nobody's address, so the bind
        # itself fails and nothing listens beyond loopback even in this test
        p = run_cbkit("record", "--port", "0", "--cassette", cassette, "--upstream",
                      "http://127.0.0.1:1", "--host", "192.0.2.1", "--allow-remote")
        self.assertIn("cbkit: warning: listening on 192.0.2.1, which is not a loopback address: "
                      "anyone who can reach it can send requests signed with your AWS "
                      "credentials", p.stderr)
        self.assertEqual(p.returncode, 4, p.stdout + p.stderr)

    def test_other_loopback_addresses(self):
        tmp = tempfile.mkdtemp(prefix="cbkit-host-")
        self.addCleanup(shutil.rmtree, tmp, True)
        up = Upstream(lambda op, body: json_answer({"build": {"id": "b:1"}}))
        self.addCleanup(up.close)
        proc = subprocess.Popen([e2e.cbkit_path(), "record", "--port", "0", "--host", "127.0.0.2",
                                 "--cassette", os.path.join(tmp, "c.yaml"), "--upstream", up.url],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=recorder_env())
        try:
            line = proc.stdout.readline().decode()
            m = re.match(r"^listening on http://127\.0\.0\.2:(\d+)$", line.strip())
            self.assertTrue(m, line + proc.stderr.read().decode() if not line else line)
            status, _, body = send_raw(int(m.group(1)), "POST", "/", api_headers("StopBuild"),
                                       '{"id":"b:1"}', host="127.0.0.2")
            self.assertEqual(status, 200, body)
        finally:
            proc.terminate()
            out, err = proc.communicate(timeout=e2e.STOP_TIMEOUT)
        self.assertEqual(proc.returncode, 0, err)
        self.assertNotIn(b"warning: listening", err)
        self.assertEqual(len(up.got()), 1)


# ---- section 5: secrets ---------------------------------------------------------------------------


LONG_TOK = "tok-" + "a" * 6000  # '^tok-(?:a|b)*$' ran out of PCRE2's default JIT stack on it
BACKTRACK = "a" * 40 + "!"  # '^(a+)+$' ends with a match-limit error on it


class SecretsTest(MockTestCase):

    def answer(self, op, body):
        if op == "StopBuild":  # the secret as a member name and as an enum value (drift)
            return json_answer({"build": {"id": "b:1", SECRET: "as-a-key",
                                          "buildStatus": SECRET}})
        if op == "RetryBuild":  # not JSON, the secret JSON-escaped
            return 500, "text/plain", ("error: key %s rejected"
                                       % SECRET.replace("/", "\\/")).encode()
        return json_answer({"buildBatch": {"id": "bb:1"}})

    def test_nothing_secret_is_written_or_printed(self):
        tmp = tempfile.mkdtemp(prefix="cbkit-secrets9-")
        self.addCleanup(shutil.rmtree, tmp, True)
        up = Upstream(self.answer)
        self.addCleanup(up.close)
        cassette = os.path.join(tmp, "c.yaml")
        drift = os.path.join(tmp, "drift.json")
        rec = Recorder("--cassette", cassette, "--upstream", up.url, "--drift-report", drift,
                       "--redact-pattern", "^tok-(?:a|b)*$", "--redact-pattern", "^(a+)+$")
        self.addCleanup(rec.cleanup)
        api_key, auth_token = "api-key-value-0123456789", "auth-token-value-0123456789"
        # 1. a member name in the request; the answer has one and an enum value
        status, _, body = send_raw(rec.port, "POST", "/", api_headers("StopBuild"),
                                   json.dumps({"id": "b:1", SECRET: 1}))
        self.assertEqual(status, 200)
        self.assertIn(SECRET.encode(), body)  # the client gets the answer as it came
        # 2. findings quote values; patterns; credential headers
        status, _, body = send_raw(
            rec.port, "POST", "/",
            api_headers("StartBuildBatch", {"X-Api-Key": api_key, "X-Auth-Token": auth_token}),
            json.dumps({"projectName": "p", "computeTypeOverride": SECRET,
                        "sourceVersion": LONG_TOK, "imageOverride": BACKTRACK}))
        self.assertEqual(status, 200, body)
        # 3. an answer that is not JSON
        status, _, body = send_raw(rec.port, "POST", "/", api_headers("RetryBuild"),
                                   '{"id":"b:2"}')
        self.assertEqual(status, 500)
        # 4. a request that is not JSON
        status, _, body = send_raw(rec.port, "POST", "/", api_headers("StopBuild"),
                                   "id=" + SECRET.replace("/", "\\/"))
        self.assertEqual(status, 200)
        rec.stop()
        self.assertEqual(len(up.got()), 4)  # the upstream got everything

        with open(cassette, "rb") as f:
            data = f.read().decode()
        with open(drift) as f:
            report = f.read()
        out, err = rec.stdout(), rec.stderr()
        for name, text in (("cassette", data), ("drift report", report), ("stdout", out),
                           ("stderr", err)):
            for secret in (SECRET, TOKEN, LONG_TOK, BACKTRACK, api_key, auth_token):
                for s in spellings(secret):
                    self.assertNotIn(s, text, "%r (%r) is in the %s" % (s, secret[:20], name))
        # what the files keep instead
        self.assertIn('"[REDACTED]": 1', data)
        self.assertIn('{"build": {"id": "b:1", "[REDACTED]": "as-a-key", "buildStatus": '
                      '"[REDACTED]"}}', data)
        self.assertIn('"X-Api-Key": "[REDACTED]"', data)
        self.assertIn('"X-Auth-Token": "[REDACTED]"', data)
        # the findings are there, with the values left out
        doc = json.loads(report)
        findings = {(f["exchange"], f["direction"], f["path"], f["rule"]): f["message"]
                    for f in doc["findings"]}
        self.assertEqual(findings[(1, "request", "/[REDACTED]", "unknown")],
                         'unknown member "[REDACTED]" in StopBuildInput')
        self.assertEqual(findings[(1, "response", "/build/[REDACTED]", "unknown")],
                         'unknown member "[REDACTED]" in Build')
        self.assertIn('value "[REDACTED]" is not one of',
                      findings[(1, "response", "/build/buildStatus", "enum")])
        self.assertIn('value "[REDACTED]" is not one of',
                      findings[(2, "request", "/computeTypeOverride", "enum")])
        self.assertIn('  exchange 2 StartBuildBatch request: /computeTypeOverride: value '
                      '"[REDACTED]" is not one of the ', out)
        # fail closed, with a warning
        self.assertRegex(err, r"cbkit: warning: exchange 2 StartBuildBatch request: 1 value "
                              r"redacted to be safe: redaction pattern '\^\(a\+\)\+\$' could "
                              r"not be evaluated \(.+\)\n")


SENSITIVE_SPEC = """\
cbkit-spec: 1
metadata:
  apiVersion: "2020-01-01"
  protocol: json
  jsonVersion: "1.1"
  targetPrefix: Vault_20200101
  serviceId: Vault
operations:
  PutSecret:
    input: PutSecretInput
    output: PutSecretOutput
shapes:
  PutSecretInput:
    type: structure
    members:
      name: {shape: String}
      token: {shape: Token, sensitive: true}
  PutSecretOutput:
    type: structure
    members:
      ok: {shape: Boolean}
  Token:
    type: string
    pattern: "^tok-[a-z]+$"
    max: 12
  String:
    type: string
  Boolean:
    type: boolean
"""


class MockJournalTest(MockTestCase):
    ENV_VALUE = "plaintext-secret-value-0123456789"

    def start_batch(self, mock, pad=""):
        body = json.dumps({"projectName": "p" + pad, "environmentVariablesOverride": [
            {"name": "DEPLOY_KEY", "value": self.ENV_VALUE, "type": "PLAINTEXT"}]})
        status, _, answer = e2e.raw_request(mock.port, body=body, target="StartBuildBatch")
        self.assertEqual(status, 200, answer)
        self.assertIn(self.ENV_VALUE.encode(), answer)  # the client's own answer: unchanged
        return body

    def test_sensitive_members_are_not_shown(self):
        tmp = tempfile.mkdtemp(prefix="cbkit-journal9-")
        self.addCleanup(shutil.rmtree, tmp, True)
        report, junit = os.path.join(tmp, "r.json"), os.path.join(tmp, "r.xml")
        mock = self.start_mock("--seed", "1", "--journal-body", "200", "--report", report,
                               "--junit", junit)
        whole = self.start_batch(mock)
        # the journal keeps the first 200 bytes: the value straddles the cut
        cut_at = whole.index(self.ENV_VALUE) + 5
        cut_body = self.start_batch(mock, "x" * (200 - cut_at))
        self.assertEqual(cut_body.index(self.ENV_VALUE) + 5, 200)
        entries = mock.settled_requests()["requests"]
        self.assertEqual(entries[0]["body"], whole.replace(json.dumps(self.ENV_VALUE),
                                                           json.dumps(REDACTED)))
        self.assertTrue(entries[1]["bodyTruncated"])
        self.assertTrue(entries[1]["body"].endswith('"value"' + REDACTED), entries[1]["body"])
        mock.stop()
        for path in (report, junit):
            with open(path) as f:
                text = f.read()
            self.assertNotIn(self.ENV_VALUE[:5] + "-", text)  # not even its first bytes
            self.assertIn(REDACTED, text)
        self.assertNotIn(self.ENV_VALUE[:5] + "-", json.dumps(entries))

    def test_findings_about_sensitive_members(self):
        tmp = tempfile.mkdtemp(prefix="cbkit-journal9-")
        self.addCleanup(shutil.rmtree, tmp, True)
        spec = os.path.join(tmp, "vault.yaml")
        with open(spec, "w") as f:
            f.write(SENSITIVE_SPEC)
        report, junit = os.path.join(tmp, "r.json"), os.path.join(tmp, "r.xml")
        mock = self.start_mock("--spec", spec, "--report", report, "--junit", junit)
        secret = "HUNTER2-not-a-token"
        status, _, answer = e2e.raw_request(mock.port, body=json.dumps({"name": "n",
                                                                        "token": secret}),
                                            target="Vault_20200101.PutSecret")
        self.assertEqual(status, 400, answer)
        entries = mock.settled_requests()["requests"]
        viols = mock.get("violations")["violations"]
        self.assertEqual(sorted(v["rule"] for v in entries[0]["violations"]),
                         ["length", "pattern"])
        self.assertIn('value "[REDACTED]" does not match the pattern',
                      [v["message"] for v in viols if v["rule"] == "pattern"][0])
        mock.stop()
        texts = [json.dumps(entries), json.dumps(viols)]
        for path in (report, junit):
            with open(path) as f:
                texts.append(f.read())
        for t in texts:
            self.assertNotIn(secret, t)
            self.assertNotIn(secret[:8], t)


# ---- section 8: what a client sends cannot forge our output lines ---------------------------------


FORGED = "cbkit: error: forged line"


class ForgedLinesTest(MockTestCase):

    def test_recorder_log_and_drift_report(self):
        tmp = tempfile.mkdtemp(prefix="cbkit-forged-")
        self.addCleanup(shutil.rmtree, tmp, True)
        up = Upstream(lambda op, body: json_answer({"build": {"id": "b:1",
                                                              "x\n" + FORGED: 1}}))
        self.addCleanup(up.close)
        # an upstream that is down: the failure is logged with the path (no operation)
        rec = Recorder("--cassette", os.path.join(tmp, "down.yaml"), "--upstream",
                       "http://127.0.0.1:%d" % e2e.closed_port(), "--connect-timeout", "2")
        self.addCleanup(rec.cleanup)
        path = "/%0D%0A" + FORGED.replace(" ", "%20")
        status, _, _ = send_raw(rec.port, "POST", path, {"Content-Type": CT}, "{}")
        self.assertEqual(status, 502)
        rec.stop()
        err = rec.stderr()
        self.assertIn("upstream", err)
        self.assertNotRegex(err, r"(?m)^cbkit: error: forged", err)
        self.assertIn("failed for /\\r\\n" + FORGED, err)
        # a member name in an answer, in the drift report on stdout
        cassette = os.path.join(tmp, "c.yaml")
        rec = Recorder("--cassette", cassette, "--upstream", up.url)
        self.addCleanup(rec.cleanup)
        status, _, _ = send_raw(rec.port, "POST", "/", api_headers("StopBuild"), '{"id":"b:1"}')
        self.assertEqual(status, 200)
        rec.stop()
        out = rec.stdout()
        self.assertNotRegex(out, r"(?m)^cbkit: error: forged", out)
        self.assertIn("/build/x\\n" + FORGED, out)
        # and in the differences `cbkit replay` prints
        up.answer = lambda op, body: json_answer({"build": {"id": "b:1", "y\r\n" + FORGED: 2}})
        p = run_cbkit("replay", "--cassette", cassette, "--target", up.url)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertNotRegex(p.stdout, r"(?m)^cbkit: error: forged", p.stdout)
        self.assertIn("/build/y\\r\\n" + FORGED, p.stdout)


if __name__ == "__main__":
    unittest.main()
