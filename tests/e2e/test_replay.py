"""End-to-end tests of `cbkit replay` (docs/replay.md): provider verification against live
endpoints over real sockets.

Once per run: boto3 (Debian's /usr/bin/python3) talks to `cbkit record`, whose upstream is
`cbkit mock --seed 1`; the recorder writes a temporary cassette. Then `cbkit replay` sends the
cassette's requests to fresh mocks:

  - the same seed and no scenario: every exchange matches (exit 0, "ok" lines), the redacted
    request gets its note;
  - a scenario whose canned StopBuild answer says FAILED where STOPPED was recorded: exit 1, and
    the only difference of that exchange is /build/buildStatus (ids, ARNs, times and build
    numbers are per-call values);
  - a scenario answering errors: the status and error code differences are named;
  - JSON on stdout, --report and --junit describe the same differences;
  - a closed port: exit 4, quickly, with a clear message.

Servers run on 127.0.0.1 with --port 0 (the port is read from the first stdout line) and are
stopped with SIGINT sent to the PID started here, with bounded waits. Dummy credentials only.
Run with /usr/bin/python3 (ctest sets CBKIT to the binary under test).
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

import cbkit_e2e as e2e

e2e.use_client_env()

import botocore.config  # noqa: E402  (after the environment is set)
from botocore.exceptions import ClientError  # noqa: E402

BUILD = "my-app:11111111-2222-4333-8444-555555555555"
OPS = ["RetryBuild", "StopBuild", "StopBuild", "StartBuildBatch"]
REPLAY_TIMEOUT = 120.0


def setUpModule():
    e2e.require_debian_python()


def replay(*args, timeout=REPLAY_TIMEOUT):
    """Run `cbkit replay ARGS`; returns the CompletedProcess (text), checked for sanitizers."""
    cmd = [e2e.cbkit_path(), "replay"] + [str(a) for a in args]
    try:
        p = subprocess.run(cmd, env=e2e.client_env(), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("%s did not finish within %.0f s" % (cmd, timeout)) from e
    for marker in e2e.SANITIZER_MARKERS:
        if marker in p.stderr:
            raise AssertionError("%s reported %r:\n%s" % (cmd, marker, p.stderr))
    return p


closed_port = e2e.closed_port


class ReplayTest(unittest.TestCase):
    """One recorded session, replayed against differently behaving mocks."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cbkit-replay-")
        cls.cassette = os.path.join(cls.tmp, "session.yaml")
        cls.raw = {}
        upstream = e2e.Mock("--seed", "1", env=e2e.client_env())
        try:
            rec = e2e.Server("record", "--upstream", upstream.url, "--cassette", cls.cassette)
            try:
                cls._record_session(rec.url)
            finally:
                rec.stop()
                rec.cleanup()
        finally:
            upstream.stop()
            upstream.cleanup()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def _record_session(cls, url):
        import boto3
        cfg = botocore.config.Config(retries={"total_max_attempts": 1},
                                     connect_timeout=e2e.HTTP_TIMEOUT,
                                     read_timeout=e2e.HTTP_TIMEOUT)
        client = boto3.session.Session().client("codebuild", endpoint_url=url,
                                                region_name="us-east-1", config=cfg)

        def keep_raw(http_response, model, **kw):
            cls.raw.setdefault(model.name, []).append(http_response.content)

        client.meta.events.register("after-call.codebuild", keep_raw)
        try:
            client.retry_build(id=BUILD)
            client.stop_build(id=BUILD)
            try:
                client.stop_build(id="nocolon")
                raise AssertionError("StopBuild of 'nocolon' succeeded")
            except ClientError as e:
                assert e.response["Error"]["Code"] == "InvalidInputException", e.response
            # a sensitive member: redacted in the cassette, sent as recorded by replay
            client.start_build_batch(projectName="my-app", environmentVariablesOverride=[
                {"name": "TOKEN", "value": "s3cr3t", "type": "PLAINTEXT"}])
        finally:
            client.close()

    def setUp(self):
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.cleanup()

    def mock(self, *args):
        s = e2e.Mock("--seed", "1", *args, env=e2e.client_env())
        self.servers.append(s)
        return s

    def scenario(self, name, rules):
        """A scenario file (JSON is YAML) with these rules; returns its path."""
        path = os.path.join(self.tmp, name + ".yaml")
        with open(path, "w") as f:
            json.dump({"scenario": name, "rules": rules}, f)
        return path

    def exchange_lines(self, stdout):
        return [l for l in stdout.splitlines() if l.startswith("exchange ")]

    # ---- the cassette itself ------------------------------------------------------------

    def test_cassette_recorded(self):
        with open(self.cassette) as f:
            text = f.read()
        self.assertEqual(text.count("\noperation: "), 4, text)
        self.assertNotIn("s3cr3t", text)
        self.assertIn("[REDACTED]", text)

    # ---- matching -----------------------------------------------------------------------

    def test_same_seed_matches(self):
        m = self.mock()
        p = replay("--cassette", self.cassette, "--target", m.url)
        m.stop()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        lines = self.exchange_lines(p.stdout)
        self.assertEqual(lines, ["exchange %d %s: ok" % (i + 1, op) for i, op in enumerate(OPS)],
                         p.stdout)
        self.assertIn("  note: request contains redacted values (sent as recorded)", p.stdout)
        self.assertEqual(p.stdout.splitlines()[-1],
                         "replay: 4 exchanges against %s: 4 ok, 0 mismatch" % m.url)
        self.assertEqual(p.stderr, "")

    def test_other_seed_and_clock_match(self):
        """Another seed and the real clock change every id, ARN, time and build number; those
        are per-call values, so the provider still answers as recorded."""
        m = e2e.Mock("--seed", "2", "--clock", "now", env=e2e.client_env())
        self.servers.append(m)
        p = replay("--cassette", self.cassette, "--target", m.url)
        m.stop()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(self.exchange_lines(p.stdout),
                         ["exchange %d %s: ok" % (i + 1, op) for i, op in enumerate(OPS)])

    def test_same_seed_json(self):
        m = self.mock()
        p = replay("--cassette", self.cassette, "--target", m.url, "--format", "json")
        m.stop()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["summary"]["exchanges"], 4)
        self.assertEqual(doc["summary"]["ok"], 4)
        self.assertEqual(doc["summary"]["mismatch"], 0)
        self.assertEqual([x["operation"] for x in doc["exchanges"]], OPS)
        self.assertEqual(doc["exchanges"][2]["recorded"],
                         {"status": 400, "errorCode": "InvalidInputException"})
        self.assertEqual(doc["exchanges"][2]["live"], doc["exchanges"][2]["recorded"])
        self.assertEqual([n["kind"] for n in doc["exchanges"][3]["notes"]], ["redacted"])

    # ---- a different answer -------------------------------------------------------------

    def failed_stop_body(self):
        """The StopBuild answer recorded for BUILD, with buildStatus FAILED instead."""
        body = json.loads(self.raw["StopBuild"][0])
        self.assertEqual(body["build"]["buildStatus"], "STOPPED")
        body["build"]["buildStatus"] = "FAILED"
        return body

    def test_changed_member_is_named(self):
        sc = self.scenario("failed-stop", [{
            "name": "stop-fails",
            "match": {"operation": "StopBuild", "body": {"/id": BUILD}},
            "respond": {"status": 200, "body": self.failed_stop_body()},
        }])
        m = self.mock("--scenario", sc)
        p = replay("--cassette", self.cassette, "--target", m.url)
        m.stop()
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        out = p.stdout.splitlines()
        self.assertIn("exchange 1 RetryBuild: ok", out)
        self.assertIn("exchange 2 StopBuild: MISMATCH", out)
        i = out.index("exchange 2 StopBuild: MISMATCH")
        # the only difference: per-call values (ids, ARNs, times, numbers) do not count
        self.assertEqual(out[i + 1], '  /build/buildStatus: "STOPPED" recorded, "FAILED" live')
        self.assertTrue(out[i + 2].startswith("exchange 3 "), p.stdout)
        self.assertIn("exchange 3 StopBuild: ok", out)
        self.assertRegex(out[-1], r"^replay: 4 exchanges against .*: \d ok, [1-4] mismatch$")

    def test_error_answers_are_compared(self):
        sc = self.scenario("errors", [
            {"name": "retry-not-found", "match": {"operation": "RetryBuild"},
             "respond": {"error": "ResourceNotFoundException", "message": "Build not found"}},
            {"name": "stop-denied", "match": {"operation": "StopBuild", "body": {"/id": "nocolon"}},
             "respond": {"error": "AccessDeniedException", "message": "denied"}},
        ])
        m = self.mock("--scenario", sc)
        report = os.path.join(self.tmp, "errors.json")
        p = replay("--cassette", self.cassette, "--target", m.url, "--report", report)
        m.stop()
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        out = p.stdout.splitlines()
        i = out.index("exchange 1 RetryBuild: MISMATCH")
        self.assertEqual(out[i + 1], "  status 200 recorded, 400 live")
        self.assertEqual(out[i + 2],
                         "  error code (none: success) recorded, ResourceNotFoundException live")
        i = out.index("exchange 3 StopBuild: MISMATCH")
        self.assertEqual(out[i + 1],
                         "  error code InvalidInputException recorded, AccessDeniedException live")
        self.assertIn('  note: /message: error message differs: "Invalid build ID provided" '
                      'recorded, "denied" live', out)
        with open(report) as f:
            doc = json.load(f)
        x1 = doc["exchanges"][0]
        self.assertEqual(x1["result"], "mismatch")
        self.assertEqual(x1["recorded"], {"status": 200, "errorCode": None})
        self.assertEqual(x1["live"], {"status": 400, "errorCode": "ResourceNotFoundException"})
        self.assertEqual([d["kind"] for d in x1["differences"]], ["status", "errorCode"])
        x3 = doc["exchanges"][2]
        self.assertEqual([d["kind"] for d in x3["differences"]], ["errorCode"])
        self.assertEqual(x3["differences"][0]["recorded"], "InvalidInputException")
        self.assertEqual(x3["differences"][0]["live"], "AccessDeniedException")

    def test_unwritable_report_is_an_io_error(self):
        m = self.mock()
        report = os.path.join(self.tmp, "no-such-dir", "replay.json")
        junit = os.path.join(self.tmp, "replay-ok.xml")
        p = replay("--cassette", self.cassette, "--target", m.url, "--report", report,
                   "--junit", junit)
        m.stop()
        self.assertEqual(p.returncode, 4, p.stdout + p.stderr)  # CLI_IO (docs/exit-codes.md)
        self.assertIn("cannot write '%s': No such file or directory" % report, p.stderr)
        with open(junit) as f:
            self.assertIn("<testsuite", f.read())

    def test_reports_agree(self):
        sc = self.scenario("failed-stop-reports", [{
            "match": {"operation": "StopBuild", "body": {"/id": BUILD}},
            "respond": {"status": 200, "body": self.failed_stop_body()},
        }, {
            "match": {"operation": "RetryBuild"},
            "respond": {"error": "ThrottlingException", "message": "Rate exceeded"},
        }])
        m = self.mock("--scenario", sc)
        junit = os.path.join(self.tmp, "replay.xml")
        report = os.path.join(self.tmp, "replay.json")
        p = replay("--cassette", self.cassette, "--target", m.url, "--format", "json",
                   "--junit", junit, "--report", report)
        m.stop()
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        doc = json.loads(p.stdout)
        with open(report) as f:
            self.assertEqual(json.load(f), doc)
        self.assertEqual(doc["target"], m.url)
        self.assertEqual(doc["summary"]["exchanges"], 4)
        self.assertEqual(doc["summary"]["ok"] + doc["summary"]["mismatch"], 4)
        self.assertEqual([x["differences"] for x in doc["exchanges"][1:2]],
                         [[{"kind": "value", "pointer": "/build/buildStatus",
                            "recorded": '"STOPPED"', "live": '"FAILED"',
                            "message": '"STOPPED" recorded, "FAILED" live'}]])
        suite = ET.parse(junit).getroot()
        self.assertEqual(suite.tag, "testsuites")
        cases = suite.findall("./testsuite/testcase")
        self.assertEqual(len(cases), 4)
        self.assertEqual(int(suite.get("failures")), doc["summary"]["mismatch"])
        for case, x in zip(cases, doc["exchanges"]):
            self.assertIn("exchange %d %s" % (x["exchange"], x["operation"]), case.get("name"))
            failures = case.findall("failure")
            self.assertEqual(len(failures), len(x["differences"]) + (1 if x["unlisted"] else 0))
            self.assertEqual(bool(failures), x["result"] == "mismatch")
            for fl, d in zip(failures, x["differences"]):
                self.assertEqual(fl.get("type"), d["kind"])
                want = (d["pointer"] + ": " if d["pointer"] else "") + d["message"]
                self.assertEqual(fl.get("message"), want)

    # ---- no target ----------------------------------------------------------------------

    def test_target_down(self):
        port = closed_port()
        t0 = time.monotonic()
        p = replay("--cassette", self.cassette, "--target", "http://127.0.0.1:%d" % port,
                   "--connect-timeout", "2", "--timeout", "5")
        took = time.monotonic() - t0
        self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
        self.assertLess(took, 30.0)
        self.assertIn("cbkit: error: the target 'http://127.0.0.1:%d' answered none of the 4 "
                      "requests (" % port, p.stderr)
        self.assertEqual(self.exchange_lines(p.stdout),
                         ["exchange %d %s: MISMATCH" % (i + 1, op) for i, op in enumerate(OPS)])
        self.assertIn("not sent: the target did not answer the first 3 exchanges", p.stdout)

    # ---- usage --------------------------------------------------------------------------

    def test_usage_errors(self):
        p = replay("--cassette", self.cassette)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--target URL is required", p.stderr)
        p = replay("--cassette", self.cassette, "--target", "ftp://127.0.0.1:1")
        self.assertEqual(p.returncode, 2)
        p = replay("--cassette", self.cassette, "--target", "http://127.0.0.1:1",
                   "--ignore", "build/id")
        self.assertEqual(p.returncode, 2)
        self.assertIn("'build/id' is not a JSON pointer", p.stderr)
        p = replay("--cassette", os.path.join(self.tmp, "missing.yaml"), "--target",
                   "http://127.0.0.1:1")
        self.assertEqual(p.returncode, 4)
        broken = os.path.join(self.tmp, "broken.yaml")
        with open(broken, "w") as f:
            f.write("cbkit-cassette: 1\n...\n---\nexchange: 1\nresponse: {status: 200}\n...\n")
        p = replay("--cassette", broken, "--target", "http://127.0.0.1:1")
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("broken.yaml:", p.stderr)


if __name__ == "__main__":
    unittest.main()
