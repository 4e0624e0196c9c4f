"""Errors never pass silently (issue 9, sections 7 and 8; docs/scenarios.md, docs/cassettes.md).

Over real sockets and through the CLI:
  - a scenario regex on a long value ('^p:(a|b)*$' against "p:" + 5,000 a's) fires its rule;
    a regex the engine cannot decide ('^(a+)+$' against 'aaa...ab': the match limit) answers
    500 InternalFailure naming the scenario and rule, seen by boto3, and journaled;
  - an admin scenario POST over --max-body is 413, not "the scenario is empty";
  - a scenario file over 16 MiB is an error naming the limit (lint and mock), never "ok, 1 rule";
  - a cassette answer with status 101 is refused at load, located (file:line:column).
"""

import json
import os
import re
import subprocess
import tempfile

import boto3
import botocore.config
import botocore.exceptions

import cbkit_e2e as e2e
from cbkit_e2e import MockTestCase

RX_SCENARIO = """scenario: rx
rules:
  - name: long-ids
    match: {operation: StopBuild, body: {/id: {regex: '^p:(a|b)*$'}}}
    respond: {error: LongIdException}
  - name: backtrack
    match: {operation: StopBuild, body: {/id: {regex: '^(a+)+$'}}}
    respond: {error: BacktrackException}
"""


def setUpModule():
    e2e.require_debian_python()


def run_cbkit(*args, timeout=e2e.CLI_TIMEOUT):
    return subprocess.run([e2e.cbkit_path()] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout, env=e2e.client_env())


class ScenarioRegexTest(MockTestCase):

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="cbk-silent-")
        self.addCleanup(self.dir.cleanup)
        path = os.path.join(self.dir.name, "rx.yaml")
        with open(path, "w") as f:
            f.write(RX_SCENARIO)
        self.m = self.start_mock("--scenario", path)
        e2e.use_client_env()
        self.c = boto3.session.Session().client(
            "codebuild", endpoint_url=self.m.url, region_name="us-east-1",
            config=botocore.config.Config(retries={"total_max_attempts": 1},
                                          read_timeout=e2e.HTTP_TIMEOUT))
        self.addCleanup(self.c.close)

    def error_of(self, build_id):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.c.stop_build(id=build_id)
        return cm.exception.response

    def test_long_value_fires_the_rule(self):
        r = self.error_of("p:" + "a" * 5000)
        self.assertEqual(r["Error"]["Code"], "LongIdException")

    def test_engine_error_is_a_500_and_journaled(self):
        r = self.error_of("a" * 40 + "b")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 500)
        self.assertEqual(r["Error"]["Code"], "InternalFailure")
        msg = r["Error"]["Message"]
        self.assertIn("cbkit scenario rx rule backtrack", msg)
        self.assertIn("the regex of body member '/id' could not be matched: match limit exceeded",
                      msg)
        entry = self.m.settled_requests()["requests"][-1]
        self.assertEqual(entry["status"], 500)
        self.assertEqual(entry["statusSent"], 500)
        self.assertEqual(entry["errorType"], "InternalFailure")
        self.assertEqual(entry["answeredBy"], "scenario rx/backtrack")
        self.assertEqual(entry["note"], msg)
        rules = self.m.get("scenarios")["scenarios"][0]["rules"]
        self.assertEqual(rules[1], {"name": "backtrack", "matched": 0, "fired": 0})


class SizeLimitTest(MockTestCase):

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="cbk-silent-")
        self.addCleanup(self.dir.cleanup)

    def padded_scenario(self, size):
        """A scenario of exactly 'size' bytes: rule one, '#' lines, rule two at the end."""
        head = b"scenario: padded\nrules:\n  - {name: one, then: S}\n"
        tail = b"  - {name: two, then: S}\n"
        fill = size - len(head) - len(tail)
        line = b"#" * 1023 + b"\n"
        pad = line * (fill // 1024) + b"#" * (fill % 1024 - 1) + b"\n" if fill % 1024 else \
            line * (fill // 1024)
        path = os.path.join(self.dir.name, "padded-%d.yaml" % size)
        with open(path, "wb") as f:
            f.write(head + pad + tail)
        self.assertEqual(os.path.getsize(path), size)
        return path

    def test_scenario_file_over_16_mib(self):
        limit = 16 << 20
        ok = self.padded_scenario(limit)
        r = run_cbkit("scenario", "lint", ok)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "%s: ok (scenario 'padded', 2 rules)\n" % ok)
        big = self.padded_scenario(limit + 100)
        r = run_cbkit("scenario", "lint", big)
        self.assertEqual(r.returncode, 3, r.stdout)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr, "%s: error: the scenario is larger than the limit of 16 MiB "
                                   "(16777216 bytes)\n%s: 1 error\n" % (big, big))
        r = run_cbkit("mock", "--port", "0", "--scenario", big)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("the scenario is larger than the limit of 16 MiB", r.stderr)

    def test_admin_post_over_max_body(self):
        m = self.start_mock("--max-body", "1k")
        body = "scenario: big\nrules:\n" + "".join("  - {name: r%d, then: S}\n" % i
                                                   for i in range(100))
        self.assertGreater(len(body), 1024)
        st, doc = m.admin("POST", "scenarios", body=body.encode())
        self.assertEqual(st, 413, doc)
        self.assertEqual(doc["error"], "request body of %d bytes exceeds the limit of 1024 bytes "
                                       "(--max-body)" % len(body))
        self.assertEqual(m.get("scenarios")["scenarios"], [])


class CassetteStatusTest(MockTestCase):

    def test_status_101_is_refused_at_load(self):
        d = tempfile.TemporaryDirectory(prefix="cbk-silent-")
        self.addCleanup(d.cleanup)
        path = os.path.join(d.name, "c.yaml")
        text = ("cbkit-cassette: 1\n...\n---\nexchange: 1\noperation: StopBuild\n"
                "request:\n  body: '{\"id\": \"p:1\"}'\nresponse:\n  status: 101\n  body: ''\n...\n")
        with open(path, "w") as f:
            f.write(text)
        r = run_cbkit("mock", "--port", "0", "--cassette", path)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertRegex(r.stderr, r"(?m)^%s:9:11: error: response\.status: status 101 cannot be "
                                   r"replayed: an answer's status is 200\.\.599$" % re.escape(path))
        self.assertEqual(r.stdout, "")
