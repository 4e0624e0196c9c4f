"""End-to-end tests of `cbkit mock` with real clients (boto3/botocore 1.29 and AWS CLI v2 from
Debian) over real sockets: the three CodeBuild operations, echo of overrides, contract
violations with client-side validation off, the wire protocol (raw http.client), error bodies,
the journal and admin API, reports at shutdown, --fail-on-violation, --seed determinism, the
admin token and clean shutdown. See docs/mock.md and docs/admin-api.md.

Run with /usr/bin/python3 (ctest sets CBKIT to the binary under test).
"""

import datetime
import http.client
import json
import os
import re
import signal
import socket
import tempfile
import unittest
import xml.etree.ElementTree as ET

import cbkit_e2e as e2e
from cbkit_e2e import CT, UUID_RE, MockTestCase

e2e.use_client_env()

import botocore  # noqa: E402  (after the environment is set)
import botocore.config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

ACCOUNT = "123456789012"
BUILD_ID_RE = r"^%s:" + UUID_RE + "$"
NO_VALIDATION = botocore.config.Config(parameter_validation=False)


def setUpModule():
    e2e.require_debian_python()


def build_id_re(project):
    return BUILD_ID_RE % re.escape(project)


class SharedMock(MockTestCase):
    """One default mock for the class; the journal is reset before every test."""

    mock_args = ()

    @classmethod
    def setUpClass(cls):
        cls.mock = e2e.Mock(*cls.mock_args)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.mock.stop(signal.SIGTERM, expect=0)
        finally:
            cls.mock.cleanup()

    def setUp(self):
        self.mock.reset()
        self.assertEqual(self.mock.health()["requests"], 0)

    def tearDown(self):
        self.mock.close_clients()
        self.mock.assert_clean_stderr()

    def client(self, validation=True):
        c = self.mock.boto3(None if validation else NO_VALIDATION)
        self.sent = []
        c.meta.events.register("before-send.codebuild", self._capture)
        return c

    def _capture(self, request, **kwargs):
        """botocore's before-send hook: what goes on the wire."""
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        headers = {k.lower(): v.decode() if isinstance(v, bytes) else v
                   for k, v in request.headers.items()}
        self.sent.append({"body": body, "headers": headers})

    def last_entry(self):
        doc = self.mock.settled_requests(limit=1)
        self.assertEqual(len(doc["requests"]), 1)
        return doc["requests"][0]

    def check_build(self, build, project):
        self.assertRegex(build["id"], build_id_re(project))
        self.assertEqual(build["arn"], "arn:aws:codebuild:us-east-1:%s:build/%s"
                         % (ACCOUNT, build["id"]))
        self.assertIsInstance(build["buildNumber"], int)
        self.assertNotIsInstance(build["buildNumber"], bool)
        self.assertIsInstance(build["startTime"], datetime.datetime)
        self.assertIsNotNone(build["startTime"].tzinfo)
        self.assertEqual(build["projectName"], project)
        self.assertIn(build["buildStatus"], ("SUCCEEDED", "FAILED", "FAULT", "TIMED_OUT",
                                             "IN_PROGRESS", "STOPPED"))


# ---- the three operations ---------------------------------------------------------------------

class Operations(SharedMock):
    # builds outlast a test (the AWS CLI alone takes seconds to start): StopBuild stops them
    mock_args = ("--build-duration", "10m")

    def test_boto3_retry_build(self):
        c = self.client()
        r = c.retry_build(id="my-app:0f0e0d0c-0000-4000-8000-000000000001")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertRegex(r["ResponseMetadata"]["RequestId"], "^%s$" % UUID_RE)
        b = r["build"]
        self.check_build(b, "my-app")
        self.assertEqual(b["buildStatus"], "IN_PROGRESS")
        self.assertEqual(b["currentPhase"], "QUEUED")
        self.assertFalse(b["buildComplete"])
        self.assertNotEqual(b["id"], "my-app:0f0e0d0c-0000-4000-8000-000000000001")
        for p in b["phases"]:
            self.assertIsInstance(p["startTime"], datetime.datetime)

    def test_boto3_stop_build(self):
        c = self.client()
        bid = "my-app:0f0e0d0c-0000-4000-8000-000000000002"
        b = c.stop_build(id=bid)["build"]
        self.check_build(b, "my-app")
        self.assertEqual(b["id"], bid)

    def test_boto3_start_build_batch(self):
        c = self.client()
        bb = c.start_build_batch(projectName="my-app")["buildBatch"]
        self.assertRegex(bb["id"], build_id_re("my-app"))
        self.assertEqual(bb["arn"], "arn:aws:codebuild:us-east-1:%s:build-batch/%s"
                         % (ACCOUNT, bb["id"]))
        self.assertIsInstance(bb["startTime"], datetime.datetime)
        self.assertIsInstance(bb["buildBatchNumber"], int)
        self.assertEqual(bb["buildBatchStatus"], "IN_PROGRESS")
        self.assertEqual(bb["currentPhase"], "DOWNLOAD_BATCHSPEC")
        self.assertEqual(bb["projectName"], "my-app")

    def test_cli_three_operations(self):
        r = self.mock.aws("codebuild", "retry-build", "--id", "cli-app:1234")
        self.assertEqual(r.returncode, 0, r.stderr)
        b = json.loads(r.stdout)["build"]
        self.assertRegex(b["id"], build_id_re("cli-app"))
        self.assertEqual(b["arn"], "arn:aws:codebuild:us-east-1:%s:build/%s" % (ACCOUNT, b["id"]))
        self.assertIsInstance(b["buildNumber"], int)
        # AWS CLI v2 prints timestamps as ISO 8601 (client formatting of epoch seconds)
        self.assertIsInstance(datetime.datetime.fromisoformat(b["startTime"]), datetime.datetime)

        r = self.mock.aws("codebuild", "stop-build", "--id", b["id"])
        self.assertEqual(r.returncode, 0, r.stderr)
        s = json.loads(r.stdout)["build"]
        self.assertEqual(s["id"], b["id"])
        self.assertEqual(s["buildStatus"], "STOPPED")
        self.assertTrue(s["buildComplete"])
        datetime.datetime.fromisoformat(s["endTime"])

        r = self.mock.aws("codebuild", "start-build-batch", "--project-name", "cli-app",
                          "--build-timeout-in-minutes-override", "120")
        self.assertEqual(r.returncode, 0, r.stderr)
        bb = json.loads(r.stdout)["buildBatch"]
        self.assertRegex(bb["id"], build_id_re("cli-app"))
        self.assertEqual(bb["arn"], "arn:aws:codebuild:us-east-1:%s:build-batch/%s"
                         % (ACCOUNT, bb["id"]))
        self.assertEqual(bb["buildTimeoutInMinutes"], 120)
        datetime.datetime.fromisoformat(bb["startTime"])

        # three requests, all valid; AWS CLI v2 sends no amz-sdk-* headers
        doc = self.mock.requests()
        self.assertEqual(doc["total"], 3)
        self.assertEqual([e["operation"] for e in doc["requests"]],
                         ["RetryBuild", "StopBuild", "StartBuildBatch"])
        self.assertEqual({e["verdict"] for e in doc["requests"]}, {"valid"})
        for e in doc["requests"]:
            self.assertTrue(e["userAgent"].startswith("aws-cli/2."), e["userAgent"])
        self.assertEqual(json.loads(doc["requests"][0]["body"]), {"id": "cli-app:1234"})

    # ---- echo ----------------------------------------------------------------------------

    def test_start_build_batch_echoes_overrides(self):
        c = self.client()
        env = [{"name": "A", "value": "b", "type": "PLAINTEXT"},
               {"name": "SECRET", "value": "/p/s", "type": "PARAMETER_STORE"}]
        bb = c.start_build_batch(projectName="echo", buildTimeoutInMinutesOverride=120,
                                 queuedTimeoutInMinutesOverride=60,
                                 environmentVariablesOverride=env,
                                 computeTypeOverride="BUILD_GENERAL1_LARGE",
                                 sourceVersion="refs/heads/feature-x",
                                 imageOverride="aws/codebuild/standard:7.0",
                                 privilegedModeOverride=True,
                                 gitCloneDepthOverride=0)["buildBatch"]
        self.assertEqual(bb["buildTimeoutInMinutes"], 120)
        self.assertEqual(bb["queuedTimeoutInMinutes"], 60)
        self.assertEqual(bb["sourceVersion"], "refs/heads/feature-x")
        self.assertEqual(bb["environment"]["computeType"], "BUILD_GENERAL1_LARGE")
        self.assertEqual(bb["environment"]["environmentVariables"], env)
        self.assertEqual(bb["environment"]["image"], "aws/codebuild/standard:7.0")
        self.assertIs(bb["environment"]["privilegedMode"], True)
        self.assertEqual(bb["source"]["gitCloneDepth"], 0)
        # without overrides: the project's defaults
        d = c.start_build_batch(projectName="echo")["buildBatch"]
        self.assertEqual(d["buildTimeoutInMinutes"], 60)
        self.assertEqual(d["queuedTimeoutInMinutes"], 480)
        self.assertEqual(d["environment"]["computeType"], "BUILD_GENERAL1_SMALL")
        self.assertEqual(d["environment"]["environmentVariables"], [])
        self.assertNotIn("sourceVersion", d)
        self.assertEqual(d["buildBatchNumber"], bb["buildBatchNumber"] + 1)

    def test_stop_build_echoes_the_id(self):
        c = self.client()
        for bid in ("stop-me:11111111-2222-4333-8444-555555555555", "other:x-y-z"):
            r = c.stop_build(id=bid)
            b = r["build"]
            self.assertEqual(b["id"], bid)
            self.assertEqual(b["buildStatus"], "STOPPED")
            self.assertIs(b["buildComplete"], True)
            self.assertEqual(b["currentPhase"], "COMPLETED")
            self.assertIsInstance(b["endTime"], datetime.datetime)
            self.assertGreaterEqual(b["endTime"], b["startTime"])
            self.assertEqual(b["phases"][-1]["phaseType"], "COMPLETED")
            self.assertEqual(b["phases"][-2]["phaseType"], "FINALIZING")
            self.assertIn("STOPPED", [p.get("phaseStatus") for p in b["phases"]])

    def test_retry_build_keeps_project_and_increments_number(self):
        c = self.client()
        first = c.retry_build(id="keep:00000000-0000-4000-8000-000000000000")["build"]
        second = c.retry_build(id=first["id"])["build"]
        self.check_build(second, "keep")
        self.assertEqual(second["projectName"], first["projectName"])
        self.assertEqual(second["buildNumber"], first["buildNumber"] + 1)
        self.assertNotEqual(second["id"], first["id"])
        self.assertEqual(second["environment"], first["environment"])
        third = c.retry_build(id=second["arn"])["build"]  # an ARN names the build too
        self.assertEqual(third["buildNumber"], second["buildNumber"] + 1)
        self.assertEqual(third["projectName"], "keep")
        entries = self.mock.requests()["requests"]
        self.assertEqual([e["answeredBy"] for e in entries], ["generated", "state", "state"])


# ---- contract violations with client-side validation off -------------------------------------

# (name, operation, kwargs, AWS member path, AWS wording, journal pointer, rule)
VIOLATIONS = [
    ("build timeout 4", "start_build_batch",
     {"projectName": "p", "buildTimeoutInMinutesOverride": 4}, "buildTimeoutInMinutesOverride",
     "Value '4' at 'buildTimeoutInMinutesOverride' failed to satisfy constraint: "
     "Member must have value greater than or equal to 5",
     "/buildTimeoutInMinutesOverride", "range"),
    ("build timeout 2161", "start_build_batch",
     {"projectName": "p", "buildTimeoutInMinutesOverride": 2161},
     "buildTimeoutInMinutesOverride",
     "Value '2161' at 'buildTimeoutInMinutesOverride' failed to satisfy constraint: "
     "Member must have value less than or equal to 2160",
     "/buildTimeoutInMinutesOverride", "range"),
    ("queued timeout 481", "start_build_batch",
     {"projectName": "p", "queuedTimeoutInMinutesOverride": 481},
     "queuedTimeoutInMinutesOverride",
     "Value '481' at 'queuedTimeoutInMinutesOverride' failed to satisfy constraint: "
     "Member must have value less than or equal to 480",
     "/queuedTimeoutInMinutesOverride", "range"),
    ("queued timeout 4", "start_build_batch",
     {"projectName": "p", "queuedTimeoutInMinutesOverride": 4}, "queuedTimeoutInMinutesOverride",
     "Member must have value greater than or equal to 5", "/queuedTimeoutInMinutesOverride",
     "range"),
    ("13 secondary sources", "start_build_batch",
     {"projectName": "p", "secondarySourcesOverride": [{"type": "S3", "location": "b/k"}] * 13},
     "secondarySourcesOverride",
     "at 'secondarySourcesOverride' failed to satisfy constraint: "
     "Member must have length less than or equal to 12",
     "/secondarySourcesOverride", "items"),
    ("empty project name", "start_build_batch", {"projectName": ""}, "projectName",
     "Value '' at 'projectName' failed to satisfy constraint: "
     "Member must have length greater than or equal to 1", "/projectName", "length"),
    ("unknown compute type", "start_build_batch",
     {"projectName": "p", "computeTypeOverride": "BUILD_GENERAL1_HUGE"}, "computeTypeOverride",
     "Value 'BUILD_GENERAL1_HUGE' at 'computeTypeOverride' failed to satisfy constraint: "
     "Member must satisfy enum value set: [BUILD_GENERAL1_SMALL, ",
     "/computeTypeOverride", "enum"),
    ("stop_build without id", "stop_build", {}, "id",
     "Value null at 'id' failed to satisfy constraint: Member must not be null", "/id",
     "required"),
    ("environment variable without value", "start_build_batch",
     {"projectName": "p", "environmentVariablesOverride": [{"name": "x"}]},
     "environmentVariablesOverride.1.member.value",
     "Value null at 'environmentVariablesOverride.1.member.value' failed to satisfy "
     "constraint: Member must not be null", "/environmentVariablesOverride/0/value", "required"),
    ("build timeout as a string", "start_build_batch",
     {"projectName": "p", "buildTimeoutInMinutesOverride": "60"}, "buildTimeoutInMinutesOverride",
     "at 'buildTimeoutInMinutesOverride' failed to satisfy constraint",
     "/buildTimeoutInMinutesOverride", "type"),
    ("git clone depth -1", "start_build_batch",
     {"projectName": "p", "gitCloneDepthOverride": -1}, "gitCloneDepthOverride",
     "Value '-1' at 'gitCloneDepthOverride' failed to satisfy constraint: "
     "Member must have value greater than or equal to 0", "/gitCloneDepthOverride", "range"),
    ("empty stop id", "stop_build", {"id": ""}, "id",
     "Value '' at 'id' failed to satisfy constraint: "
     "Member must have length greater than or equal to 1", "/id", "length"),
]

BOUNDARIES = [
    ("build timeout 5", {"projectName": "p", "buildTimeoutInMinutesOverride": 5},
     "buildTimeoutInMinutes", 5),
    ("build timeout 2160", {"projectName": "p", "buildTimeoutInMinutesOverride": 2160},
     "buildTimeoutInMinutes", 2160),
    ("queued timeout 480", {"projectName": "p", "queuedTimeoutInMinutesOverride": 480},
     "queuedTimeoutInMinutes", 480),
    ("queued timeout 5", {"projectName": "p", "queuedTimeoutInMinutesOverride": 5},
     "queuedTimeoutInMinutes", 5),
    ("12 secondary sources",
     {"projectName": "p", "secondarySourcesOverride": [{"type": "S3", "location": "b/k"}] * 12},
     "secondarySources", [{"type": "S3", "location": "b/k"}] * 12),
    ("git clone depth 0", {"projectName": "p", "gitCloneDepthOverride": 0}, None, None),
]


class Violations(SharedMock):

    def test_violations_raise_invalid_input(self):
        c = self.client(validation=False)
        for name, op, kwargs, member, wording, pointer, rule in VIOLATIONS:
            with self.subTest(name):
                before = self.mock.health()["requests"]
                n_sent = len(self.sent)
                with self.assertRaises(ClientError) as cm:
                    getattr(c, op)(**kwargs)
                e = cm.exception
                # modeled: botocore 1.29 maps the bare __type to the exception class
                self.assertIsInstance(e, c.exceptions.InvalidInputException)
                err = e.response["Error"]
                self.assertEqual(err["Code"], "InvalidInputException")
                self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], 400)
                self.assertIn(member, err["Message"])
                self.assertIn(wording, err["Message"])
                self.assertRegex(err["Message"], r"^1 validation error detected: ")
                # exactly one request went out (no retries) and the journal shows it as sent
                self.assertEqual(len(self.sent), n_sent + 1)
                self.assertEqual(self.mock.health()["requests"], before + 1)
                entry = self.last_entry()
                self.assertEqual(entry["verdict"], "invalid")
                self.assertEqual(entry["status"], 400)
                self.assertEqual(entry["statusSent"], 400)
                self.assertEqual(entry["errorType"], "InvalidInputException")
                self.assertEqual(entry["answeredBy"], "validator")
                self.assertEqual([(v["path"], v["rule"]) for v in entry["violations"]],
                                 [(pointer, rule)])
                self.assertEqual(entry["requestId"], e.response["ResponseMetadata"]["RequestId"])
                self.assertEqual(entry["body"].encode(), self.sent[-1]["body"])
                self.assertEqual(entry["invocationId"],
                                 self.sent[-1]["headers"]["amz-sdk-invocation-id"])

    def test_string_timeout_goes_on_the_wire_as_a_string(self):
        # botocore with validation off does not coerce: the journal shows what was sent
        c = self.client(validation=False)
        with self.assertRaises(c.exceptions.InvalidInputException):
            c.start_build_batch(projectName="p", buildTimeoutInMinutesOverride="60")
        body = json.loads(self.last_entry()["body"])
        self.assertEqual(body["buildTimeoutInMinutesOverride"], "60")
        self.assertIsInstance(body["buildTimeoutInMinutesOverride"], str)

    def test_boundaries_succeed(self):
        c = self.client(validation=False)
        for name, kwargs, member, value in BOUNDARIES:
            with self.subTest(name):
                bb = c.start_build_batch(**kwargs)["buildBatch"]
                if member:
                    self.assertEqual(bb[member], value)
                self.assertEqual(self.last_entry()["verdict"], "valid")
        self.assertEqual(self.mock.health()["invalid"], 0)
        self.assertEqual(self.mock.health()["valid"], len(BOUNDARIES))

    def test_several_violations_in_one_request(self):
        c = self.client(validation=False)
        with self.assertRaises(c.exceptions.InvalidInputException) as cm:
            c.start_build_batch(projectName="p", buildTimeoutInMinutesOverride=2161,
                                environmentVariablesOverride=[{"name": "x"}])
        self.assertEqual(
            cm.exception.response["Error"]["Message"],
            "2 validation errors detected: Value '2161' at 'buildTimeoutInMinutesOverride' "
            "failed to satisfy constraint: Member must have value less than or equal to 2160; "
            "Value null at 'environmentVariablesOverride.1.member.value' failed to satisfy "
            "constraint: Member must not be null")
        entry = self.last_entry()
        self.assertEqual(entry["violationCount"], 2)

    def test_cli_violations(self):
        cases = [
            (["codebuild", "start-build-batch", "--project-name", "p",
              "--build-timeout-in-minutes-override", "2161"],
             "Value '2161' at 'buildTimeoutInMinutesOverride' failed to satisfy constraint: "
             "Member must have value less than or equal to 2160"),
            (["codebuild", "start-build-batch", "--project-name", "p",
              "--compute-type-override", "BUILD_GENERAL1_HUGE"],
             "Value 'BUILD_GENERAL1_HUGE' at 'computeTypeOverride' failed to satisfy "
             "constraint: Member must satisfy enum value set"),
        ]
        for args, wording in cases:
            with self.subTest(args[-1]):
                r = self.mock.aws(*args)
                self.assertEqual(r.returncode, 254, r.stderr)
                self.assertIn("An error occurred (InvalidInputException) when calling the "
                              "StartBuildBatch operation: ", r.stderr)
                self.assertIn(wording, r.stderr)
                self.assertEqual(r.stdout.strip(), "")
        # AWS CLI v2 does not retry a 400 InvalidInputException: one request each
        doc = self.mock.requests()
        self.assertEqual(doc["total"], len(cases))
        self.assertEqual({e["verdict"] for e in doc["requests"]}, {"invalid"})


# ---- the wire ----------------------------------------------------------------------------------

class Wire(SharedMock):

    def test_malformed_json(self):
        for body in (b"{", b'{"id": "a:1",}', b"{} trailing", b"\xff\xfe{}"):
            with self.subTest(body=body):
                st, h, b = self.mock.raw(body, target="RetryBuild")
                doc = self.assertAwsError(st, h, b, "SerializationException")
                self.assertRegex(doc["message"], r"^Malformed JSON at line \d+, column \d+: ")
        entries = self.mock.requests()["requests"]
        self.assertEqual({e["verdict"] for e in entries}, {"rejected"})
        self.assertEqual({e["answeredBy"] for e in entries}, {"protocol"})
        # bytes that are not UTF-8 are journaled as U+FFFD: the journal stays JSON
        self.assertEqual(entries[-1]["body"], "\ufffd\ufffd{}")

    def test_journal_of_bytes_that_are_not_utf8(self):
        st, _, _ = self.mock.raw(b'{"id":"u:1"}', target="StopBuild",
                                 headers={"User-Agent": b"agent\xff/1", "amz-sdk-request": b"\xc3"})
        self.assertEqual(st, 200)
        e = self.last_entry()
        self.assertEqual(e["userAgent"], "agent\ufffd/1")
        self.assertEqual(e["sdkRequest"], "\ufffd")
        self.assertEqual(e["body"], '{"id":"u:1"}')

    def test_unknown_and_missing_target(self):
        for target, needle in (("CodeBuild_20161006.NoSuchOp", "Unknown operation"),
                               ("DynamoDB_20120810.GetItem", "Unknown target"),
                               ("CodeBuild_20161006.retrybuild", "Unknown operation"),
                               (None, "Missing X-Amz-Target")):
            with self.subTest(target=target):
                st, h, b = self.mock.raw(b"{}", target=target)
                doc = self.assertAwsError(st, h, b, "UnknownOperationException")
                self.assertIn(needle, doc["message"])

    def test_content_types(self):
        for ct, ok in (("application/json", False), ("text/plain", False), (None, False),
                       ("application/x-amz-json-1.0", False),
                       ("application/x-amz-json-1.1; charset=utf-8", True),
                       ("application/x-amz-json-1.1;charset=UTF-8", True)):
            with self.subTest(ct=ct):
                st, h, b = self.mock.raw(b'{"id":"ct:1"}', target="StopBuild", content_type=ct)
                if ok:
                    self.assertEqual(st, 200, b)
                    self.assertEqual(h["content-type"], CT)
                    self.assertEqual(json.loads(b)["build"]["id"], "ct:1")
                else:
                    doc = self.assertAwsError(st, h, b, "SerializationException")
                    self.assertIn("Unsupported Content-Type", doc["message"])

    def test_method_and_path(self):
        st, h, b = self.mock.raw(None, method="GET", target="RetryBuild", content_type=None)
        doc = self.assertAwsError(st, h, b, "MethodNotAllowedException", http_status=405)
        self.assertEqual(h.get("allow"), "POST")
        self.assertIn("GET", doc["message"])
        st, h, b = self.mock.raw(b"{}", path="/nope", target="RetryBuild")
        doc = self.assertAwsError(st, h, b, "UnknownOperationException", http_status=404)
        self.assertIn("/nope", doc["message"])
        entries = self.mock.requests()["requests"]
        self.assertEqual([e["status"] for e in entries], [405, 404])

    def test_empty_body_is_an_empty_object(self):
        # RetryBuild's model accepts {}: no SerializationException; the service wants an id
        st, h, b = self.mock.raw(b"", target="RetryBuild")
        doc = self.assertAwsError(st, h, b, "InvalidInputException")
        self.assertEqual(doc["message"], "Build ID is required")
        e = self.last_entry()
        self.assertEqual(e["verdict"], "valid")
        self.assertEqual(e["body"], "")
        # and boto3's retry_build() without an id sends {}
        c = self.client()
        with self.assertRaises(c.exceptions.InvalidInputException) as cm:
            c.retry_build()
        self.assertEqual(self.sent[-1]["body"], b"{}")
        self.assertEqual(cm.exception.response["Error"]["Message"], "Build ID is required")

    def test_success_envelope(self):
        st, h, b = self.mock.raw(b'{"id":"env:1"}', target="RetryBuild")
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], CT)
        self.assertRegex(h["x-amzn-requestid"], "^%s$" % UUID_RE)
        self.assertNotIn("x-amzn-errortype", h)
        self.assertEqual(int(h["content-length"]), len(b))
        doc = json.loads(b)
        self.assertIn("build", doc)
        self.assertNotIn(b": ", b)  # compact JSON, as AWS sends
        self.assertIsInstance(doc["build"]["startTime"], float)  # epoch seconds, ms fraction
        self.assertEqual(self.last_entry()["requestId"], h["x-amzn-requestid"])

    def test_request_ids_are_fresh(self):
        ids = set()
        conn = http.client.HTTPConnection("127.0.0.1", self.mock.port, timeout=e2e.HTTP_TIMEOUT)
        try:
            for i in range(20):
                st, h, _ = self.mock.raw(b'{"id":"rid:%d"}' % i, target="StopBuild", conn=conn)
                self.assertEqual(st, 200)
                ids.add(h["x-amzn-requestid"])
        finally:
            conn.close()
        self.assertEqual(len(ids), 20)


def read_answers(sock, n):
    """Read 'n' HTTP/1.x answers (Content-Length framed) from a blocking socket."""
    buf, answers = b"", []
    while len(answers) < n:
        head, sep, rest = buf.partition(b"\r\n\r\n")
        if sep:
            lines = head.decode("latin-1").split("\r\n")
            hdr = {k.strip().lower(): v.strip()
                   for k, _, v in (line.partition(":") for line in lines[1:])}
            length = int(hdr.get("content-length", "0"))
            if len(rest) >= length:
                answers.append((int(lines[0].split()[1]), hdr, rest[:length]))
                buf = rest[length:]
                continue
        data = sock.recv(65536)
        if not data:
            break
        buf += data
    return answers


def api_request(op, body, extra=b"", version=b"HTTP/1.1"):
    return (b"POST / " + version + b"\r\nHost: 127.0.0.1\r\nContent-Type: " + CT.encode() +
            b"\r\nX-Amz-Target: CodeBuild_20161006." + op.encode() + b"\r\n" + extra +
            b"Content-Length: %d\r\n\r\n" % len(body) + body)


class Transport(SharedMock):
    """HTTP framing variants a server must handle; AWS SDKs use few of them, proxies more."""

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.mock.port), timeout=e2e.HTTP_TIMEOUT)
        self.addCleanup(s.close)
        return s

    def test_pipelined_requests(self):
        s = self.connect()
        s.sendall(api_request("StopBuild", b'{"id":"pipe:1"}') +
                  api_request("StopBuild", b'{"id":"pipe:2"}'))
        answers = read_answers(s, 2)
        self.assertEqual([a[0] for a in answers], [200, 200])
        self.assertEqual([json.loads(a[2])["build"]["id"] for a in answers],
                         ["pipe:1", "pipe:2"])

    def test_chunked_body(self):
        s = self.connect()
        body = b'{"id":"chunk:1"}'
        s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + CT.encode() +
                  b"\r\nX-Amz-Target: CodeBuild_20161006.StopBuild\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n" +
                  b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 5]), body[i:i + 5])
                           for i in range(0, len(body), 5)) + b"0\r\n\r\n")
        [(st, _, b)] = read_answers(s, 1)
        self.assertEqual(st, 200, b)
        self.assertEqual(json.loads(b)["build"]["id"], "chunk:1")
        self.assertEqual(self.last_entry()["body"], body.decode())

    def test_http_1_0(self):
        s = self.connect()
        s.sendall(api_request("StopBuild", b'{"id":"h10:1"}', version=b"HTTP/1.0"))
        [(st, h, b)] = read_answers(s, 1)
        self.assertEqual(st, 200, b)
        self.assertEqual(json.loads(b)["build"]["id"], "h10:1")
        self.assertEqual(s.recv(1), b"")  # HTTP/1.0 without keep-alive: closed after the answer

    def test_expect_100_continue(self):
        s = self.connect()
        req = api_request("StopBuild", b'{"id":"cont:1"}', extra=b"Expect: 100-continue\r\n")
        head, _, body = req.partition(b"\r\n\r\n")
        s.sendall(head + b"\r\n\r\n")
        self.assertTrue(s.recv(64).startswith(b"HTTP/1.1 100"))
        s.sendall(body)
        [(st, _, b)] = read_answers(s, 1)
        self.assertEqual(st, 200, b)
        self.assertEqual(json.loads(b)["build"]["id"], "cont:1")

    def test_query_string_on_the_api_path(self):
        st, _, b = self.mock.raw(b'{"id":"q:1"}', target="StopBuild", path="/?x=1")
        self.assertEqual(st, 200, b)


class BodyLimit(MockTestCase):

    def test_max_body(self):
        with self.start_mock("--max-body", "1k") as m:
            def body_of(n):
                pre = b'{"id":"big:'
                return pre + b"x" * (n - len(pre) - 2) + b'"}'
            for n in (1023, 1024):
                st, _, b = m.raw(body_of(n), target="RetryBuild")
                self.assertEqual(st, 200, b)
            for n in (1025, 64 * 1024):
                with self.subTest(size=n):
                    st, h, b = m.raw(body_of(n), target="RetryBuild")
                    doc = self.assertAwsError(st, h, b, "RequestEntityTooLargeException",
                                              http_status=413)
                    self.assertIn("%d bytes" % n, doc["message"])
            # a chunked body has no Content-Length: the limit applies as it arrives
            s = socket.create_connection(("127.0.0.1", m.port), timeout=e2e.HTTP_TIMEOUT)
            try:
                body = body_of(3000)
                s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " +
                          CT.encode() + b"\r\nX-Amz-Target: CodeBuild_20161006.RetryBuild\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n" +
                          b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 500]), body[i:i + 500])
                                   for i in range(0, len(body), 500)) + b"0\r\n\r\n")
                [(st, h, b)] = read_answers(s, 1)
            finally:
                s.close()
            doc = self.assertAwsError(st, h, b, "RequestEntityTooLargeException", http_status=413)
            self.assertIn("3000 bytes", doc["message"])
            doc = m.get("requests")
            self.assertEqual([e["status"] for e in doc["requests"]], [200, 200, 413, 413, 413])
            self.assertEqual([e["verdict"] for e in doc["requests"]],
                             ["valid", "valid", "rejected", "rejected", "rejected"])
            self.assertTrue(doc["requests"][3]["bodyTruncated"])
            self.assertEqual(doc["requests"][3]["body"], "")

    def test_header_limit(self):
        """Request headers up to about 7 KB are served (signed SDK requests with a session
        token need 2-4 KB); beyond, libmicrohttpd answers 431 before the mock sees anything."""
        with self.start_mock() as m:
            for n in (4000, 6500):
                with self.subTest(token=n):
                    st, _, b = m.raw(b'{"id":"hdr:1"}', target="StopBuild",
                                     headers={"X-Amz-Security-Token": "T" * n})
                    self.assertEqual(st, 200, b)
            # libmicrohttpd answers 431 and closes with the rest of the request unread, so the
            # kernel may reset the connection before the client reads the answer
            s = socket.create_connection(("127.0.0.1", m.port), timeout=e2e.HTTP_TIMEOUT)
            try:
                body = b'{"id":"hdr:2"}'
                s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " +
                          CT.encode() + b"\r\nX-Amz-Target: CodeBuild_20161006.StopBuild\r\n"
                          b"X-Amz-Security-Token: " + b"T" * 10000 +
                          b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                got = s.recv(64)
            except (ConnectionResetError, BrokenPipeError):
                got = b""
            finally:
                s.close()
            if got:
                self.assertTrue(got.startswith(b"HTTP/1.1 431 "), got)
            # never a request of the mock's, and the mock goes on serving
            self.assertEqual(m.health()["requests"], 2)
            st, _, b = m.raw(b'{"id":"hdr:3"}', target="StopBuild")
            self.assertEqual(st, 200, b)


# ---- error bodies and their mapping by botocore 1.29 ------------------------------------------

class ErrorBodies(MockTestCase):

    def test_modeled_and_unmodeled_errors(self):
        with self.start_mock("--world", "strict", "--seed", "5") as m:
            c = m.boto3(NO_VALIDATION)
            # modeled: ResourceNotFoundException (strict world) and InvalidInputException
            with self.assertRaises(c.exceptions.ResourceNotFoundException) as cm:
                c.retry_build(id="nobody:00000000-0000-4000-8000-000000000000")
            self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceNotFoundException")
            self.assertIn("nobody:00000000-0000-4000-8000-000000000000",
                          cm.exception.response["Error"]["Message"])
            with self.assertRaises(c.exceptions.ResourceNotFoundException) as cm:
                c.start_build_batch(projectName="nobody")
            self.assertIn("arn:aws:codebuild:us-east-1:%s:project/nobody" % ACCOUNT,
                          cm.exception.response["Error"]["Message"])
            with self.assertRaises(c.exceptions.InvalidInputException):
                c.stop_build(id="no-colon")
            # every error body: bare __type, JSON, the header agrees
            for entry in m.get("requests")["requests"]:
                self.assertNotIn("#", entry["errorType"])
                self.assertNotIn(":", entry["errorType"])
            st, h, b = m.raw(b'{"id":"nobody:1"}', target="StopBuild")
            self.assertAwsError(st, h, b, "ResourceNotFoundException")

    def test_unmodeled_error_is_a_client_error(self):
        with self.start_mock("--seed", "6") as m:
            c = m.boto3()
            c.retry_build(id="idem:1", idempotencyToken="tok")
            with self.assertRaises(ClientError) as cm:
                c.retry_build(id="idem:2", idempotencyToken="tok")
            e = cm.exception
            self.assertEqual(e.response["Error"]["Code"], "IdempotentParameterMismatchException")
            self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], 400)
            self.assertNotIsInstance(e, c.exceptions.InvalidInputException)
            self.assertIn("'tok'", e.response["Error"]["Message"])
            # same parameters: the same build
            a = c.retry_build(id="idem:1", idempotencyToken="tok")["build"]["id"]
            b = c.retry_build(id="idem:1", idempotencyToken="tok")["build"]["id"]
            self.assertEqual(a, b)
            # six minutes later (mock clock) the token is fresh
            m.post("clock", {"advanceSeconds": 360})
            self.assertNotEqual(c.retry_build(id="idem:2", idempotencyToken="tok")["build"]["id"],
                                a)


# ---- journal and admin API -----------------------------------------------------------------

class Journal(SharedMock):

    def test_journal_shows_what_was_sent(self):
        c = self.client(validation=False)
        c.retry_build(id="j:00000000-0000-4000-8000-000000000001")
        c.stop_build(id="j:00000000-0000-4000-8000-000000000002")
        c.start_build_batch(projectName="j", sourceVersion="v1")
        for kwargs in ({"projectName": "j", "buildTimeoutInMinutesOverride": 2161},
                       {"projectName": "", "computeTypeOverride": "NOPE"}):
            with self.assertRaises(c.exceptions.InvalidInputException):
                c.start_build_batch(**kwargs)
        self.mock.raw(b"{", target="RetryBuild")  # one rejected, not from boto3

        doc = self.mock.settled_requests()
        self.assertEqual(doc["total"], 6)
        self.assertEqual(doc["dropped"], 0)
        entries = doc["requests"]
        self.assertEqual(len(entries), 6)
        self.assertEqual([e["id"] for e in entries], sorted(e["id"] for e in entries))
        self.assertEqual([e["operation"] for e in entries],
                         ["RetryBuild", "StopBuild", "StartBuildBatch", "StartBuildBatch",
                          "StartBuildBatch", "RetryBuild"])
        self.assertEqual([e["verdict"] for e in entries],
                         ["valid", "valid", "valid", "invalid", "invalid", "rejected"])
        self.assertEqual([e["status"] for e in entries], [200, 200, 200, 400, 400, 400])
        self.assertEqual(len(self.sent), 5)
        for e, s in zip(entries, self.sent):
            self.assertEqual(e["body"].encode(), s["body"])
            self.assertFalse(e["bodyTruncated"])
            self.assertRegex(e["invocationId"], "^%s$" % UUID_RE)
            self.assertEqual(e["invocationId"], s["headers"]["amz-sdk-invocation-id"])
            self.assertEqual(e["sdkRequest"], "attempt=1")
            self.assertIn("Botocore/", e["userAgent"])
            self.assertEqual(e["target"], "CodeBuild_20161006." + e["operation"])
        self.assertEqual(entries[5]["invocationId"], "")
        self.assertEqual(entries[5]["body"], "{")
        self.assertEqual(len({e["invocationId"] for e in entries[:5]}), 5)
        for e in entries:
            self.assertEqual(e["statusSent"], e["status"])
            self.assertIsInstance(e["latencyMicros"], int)

        # filters
        inv = self.mock.requests(verdict="invalid")["requests"]
        self.assertEqual([e["id"] for e in inv], [entries[3]["id"], entries[4]["id"]])
        rb = self.mock.requests(operation="RetryBuild")["requests"]
        self.assertEqual([e["id"] for e in rb], [entries[0]["id"], entries[5]["id"]])
        both = self.mock.requests(operation="StartBuildBatch", verdict="valid")["requests"]
        self.assertEqual([e["id"] for e in both], [entries[2]["id"]])
        self.assertEqual(self.mock.requests(operation="StopBuild", verdict="rejected")["requests"],
                         [])
        self.assertEqual([e["id"] for e in self.mock.requests(limit=2)["requests"]],
                         [entries[4]["id"], entries[5]["id"]])
        self.assertEqual([e["id"] for e in self.mock.requests(since=entries[3]["id"])["requests"]],
                         [entries[4]["id"], entries[5]["id"]])
        st, _ = self.mock.admin("GET", "requests", query={"verdict": "bogus"})
        self.assertEqual(st, 400)

        # violations, flattened
        v = self.mock.get("violations")
        contract = [(x["id"], x["path"], x["rule"]) for x in v["violations"]
                    if x["id"] != entries[5]["id"]]
        self.assertEqual(contract, [(entries[3]["id"], "/buildTimeoutInMinutesOverride", "range"),
                                    (entries[4]["id"], "/projectName", "length"),
                                    (entries[4]["id"], "/computeTypeOverride", "enum")])
        for x in v["violations"]:
            self.assertEqual(x["operation"], next(e["operation"] for e in entries
                                                  if e["id"] == x["id"]))
            self.assertTrue(x["message"])

        # health counts everything (admin requests excluded)
        h = self.mock.health()
        self.assertEqual(h["status"], "ok")
        self.assertEqual((h["requests"], h["valid"], h["invalid"], h["rejected"]), (6, 3, 2, 1))
        self.assertEqual(h["faults"], 0)
        self.assertEqual(h["dropped"], 0)
        self.assertEqual(h["port"], self.mock.port)
        self.assertEqual(h["world"], "open")
        self.assertGreaterEqual(h["violations"], 3)

        # reset empties it
        self.assertEqual(self.mock.reset(), {"reset": True})
        self.assertEqual(self.mock.requests(), {"total": 0, "dropped": 0, "requests": []})
        self.assertEqual(self.mock.get("violations"), {"total": 0, "violations": []})
        h = self.mock.health()
        self.assertEqual((h["requests"], h["valid"], h["invalid"], h["rejected"],
                          h["violations"]), (0, 0, 0, 0, 0))

    def test_reset_state_forgets_builds(self):
        c = self.client()
        b = c.retry_build(id="st:1")["build"]
        self.assertEqual(len(self.mock.get("state")["builds"]), 1)
        self.mock.reset("state")
        self.assertEqual(self.mock.get("state")["builds"], [])
        self.assertEqual(self.mock.health()["requests"], 1)  # the journal is kept
        again = c.retry_build(id="st:1")["build"]
        self.assertEqual(again["buildNumber"], b["buildNumber"])  # numbering starts over


class JournalCap(MockTestCase):

    def test_cap_keeps_the_newest(self):
        with self.start_mock("--journal-cap", "5") as m:
            for i in range(12):
                st, _, _ = m.raw(b'{"id":"cap:%d"}' % i, target="StopBuild")
                self.assertEqual(st, 200)
            doc = m.get("requests")
            self.assertEqual(doc["total"], 12)
            self.assertEqual(doc["dropped"], 7)
            self.assertEqual(len(doc["requests"]), 5)
            self.assertEqual([json.loads(e["body"])["id"] for e in doc["requests"]],
                             ["cap:%d" % i for i in range(7, 12)])
            h = m.health()
            self.assertEqual((h["requests"], h["valid"], h["dropped"], h["journalCap"]),
                             (12, 12, 7, 5))


# ---- reports at shutdown ------------------------------------------------------------------

class Reports(MockTestCase):

    def run_session(self, sig, extra=(), send_invalid=True, send_rejected=True):
        d = tempfile.mkdtemp(prefix="cbkit-e2e-")
        report, junit = os.path.join(d, "report.json"), os.path.join(d, "junit.xml")
        m = self.start_mock("--report", report, "--junit", junit, *extra)
        expected = []
        st, _, _ = m.raw(b'{"id":"rep:1"}', target="RetryBuild")
        expected.append(("RetryBuild", "valid", st))
        st, _, _ = m.raw(b'{"projectName":"rep"}', target="StartBuildBatch")
        expected.append(("StartBuildBatch", "valid", st))
        if send_invalid:
            st, _, _ = m.raw(b'{"projectName":"rep","buildTimeoutInMinutesOverride":2161,'
                             b'"environmentVariablesOverride":[{"name":"x"}]}',
                             target="StartBuildBatch")
            expected.append(("StartBuildBatch", "invalid", st))
        if send_rejected:
            st, _, _ = m.raw(b"{", target="StopBuild")
            expected.append(("StopBuild", "rejected", st))
        # every answer's completion recorded before the stop (see settled_requests; a stop
        # racing the completion of a fully sent answer would record it as not completed)
        self.assertEqual(len(m.settled_requests()["requests"]), len(expected))
        return m, report, junit, expected

    def check_reports(self, report, junit, expected):
        with open(report) as f:
            rep = json.load(f)
        self.assertEqual(rep["tool"], "cbkit mock")
        self.assertEqual(rep["summary"]["requests"], len(expected))
        self.assertEqual(rep["summary"]["valid"], sum(1 for e in expected if e[1] == "valid"))
        self.assertEqual(rep["summary"]["invalid"], sum(1 for e in expected if e[1] == "invalid"))
        self.assertEqual(rep["summary"]["rejected"],
                         sum(1 for e in expected if e[1] == "rejected"))
        self.assertEqual([(r["operation"], r["verdict"], r["status"]) for r in rep["requests"]],
                         expected)
        for r in rep["requests"]:  # at exit every answer is complete
            self.assertEqual(r["statusSent"], r["status"])
            self.assertIsInstance(r["latencyMicros"], int)
        self.assertGreaterEqual(rep["finished"], rep["started"])

        root = ET.parse(junit).getroot()
        cases = root.findall(".//testcase")
        self.assertEqual(len(cases), len(expected))
        suite = root if root.tag == "testsuite" else root.find("testsuite")
        self.assertEqual(int(suite.get("tests")), len(expected))
        self.assertEqual(int(suite.get("failures")), sum(1 for e in expected if e[1] != "valid"))
        for case, (op, verdict, _) in zip(cases, expected):
            self.assertEqual(case.get("classname"), "cbkit.mock." + op)
            failures = case.findall("failure")
            if verdict == "valid":
                self.assertEqual(failures, [])
            elif verdict == "invalid":
                self.assertEqual([f.get("type") for f in failures], ["range", "required"])
                self.assertIn("/buildTimeoutInMinutesOverride", failures[0].get("message"))
                self.assertIn("/environmentVariablesOverride/0/value", failures[1].get("message"))
            else:
                self.assertEqual([f.get("type") for f in failures], ["protocol"])
        return rep, root

    def test_reports_on_sigint(self):
        m, report, junit, expected = self.run_session(signal.SIGINT)
        self.assertEqual(m.stop(signal.SIGINT), 0)
        self.assertIn("mock stopped (SIGINT)", m.stderr())
        self.check_reports(report, junit, expected)

    def test_unwritable_report_is_an_io_error(self):
        d = tempfile.mkdtemp(prefix="cbkit-e2e-")
        report = os.path.join(d, "no-such-dir", "report.json")
        junit = os.path.join(d, "junit.xml")
        m = self.start_mock("--report", report, "--junit", junit)
        st, _, _ = m.raw(b'{"id":"r:1"}', target="StopBuild")
        self.assertEqual(st, 200)
        self.assertEqual(m.stop(signal.SIGTERM, expect=4), 4)  # CLI_IO (docs/exit-codes.md)
        self.assertIn("cannot write '%s': No such file or directory" % report, m.stderr())
        # the other report is written all the same
        self.assertIn("<testsuite", open(junit).read())

    def test_reports_on_sigterm(self):
        m, report, junit, expected = self.run_session(signal.SIGTERM)
        self.assertEqual(m.stop(signal.SIGTERM), 0)
        self.assertIn("mock stopped (SIGTERM)", m.stderr())
        self.check_reports(report, junit, expected)

    def test_fail_on_violation_with_an_invalid_request(self):
        m, report, junit, expected = self.run_session(signal.SIGTERM, ("--fail-on-violation",),
                                                      send_rejected=False)
        self.assertEqual(m.stop(signal.SIGTERM, expect=1), 1)
        self.check_reports(report, junit, expected)  # the reports are written all the same

    def test_fail_on_violation_all_valid(self):
        m, report, junit, expected = self.run_session(signal.SIGINT, ("--fail-on-violation",),
                                                      send_invalid=False, send_rejected=False)
        self.assertEqual(m.stop(signal.SIGINT, expect=0), 0)
        self.check_reports(report, junit, expected)

    def test_fail_on_violation_with_a_rejected_request(self):
        # docs/mock.md: invalid *or rejected* requests fail the gate
        m, _, _, _ = self.run_session(signal.SIGTERM, ("--fail-on-violation",),
                                      send_invalid=False)
        self.assertEqual(m.stop(signal.SIGTERM, expect=1), 1)

    def test_no_flag_exits_zero_despite_violations(self):
        m, _, _, _ = self.run_session(signal.SIGTERM)
        self.assertEqual(m.stop(signal.SIGTERM, expect=0), 0)


# ---- determinism --------------------------------------------------------------------------

SEQUENCE = [
    ("RetryBuild", b'{"id":"det:00000000-0000-4000-8000-000000000000"}'),
    ("StartBuildBatch", b'{"projectName":"det","buildTimeoutInMinutesOverride":90}'),
    ("StopBuild", b'{"id":"det:11111111-1111-4111-8111-111111111111"}'),
    ("RetryBuild", b'{"id":"det:11111111-1111-4111-8111-111111111111"}'),
    ("StartBuildBatch", b'{"projectName":""}'),
    ("StopBuild", b"{"),
    ("RetryBuild", b'{"id":"det:22222222-2222-4222-8222-222222222222","idempotencyToken":"t"}'),
]


class Determinism(MockTestCase):

    def bodies(self, *args):
        with self.start_mock(*args) as m:
            out = []
            for op, body in SEQUENCE:
                st, h, b = m.raw(body, target=op)
                out.append((st, b))
            return out

    def test_same_seed_same_bodies(self):
        a = self.bodies("--seed", "42")
        b = self.bodies("--seed", "42")
        self.assertEqual(len(a), len(SEQUENCE))
        for i, (x, y) in enumerate(zip(a, b)):
            self.assertEqual(x, y, "request %d (%s) differs" % (i, SEQUENCE[i][0]))
        # --seed without --clock: the virtual clock starts at 2025-01-01T00:00:00Z
        first = json.loads(a[0][1])["build"]
        self.assertEqual(first["startTime"], 1735689600.0)
        self.assertEqual([s for s, _ in a], [200, 200, 200, 200, 400, 400, 200])

    def test_different_seeds_differ(self):
        a = self.bodies("--seed", "42")
        b = self.bodies("--seed", "43")
        ids_a = [json.loads(x[1])["build"]["id"] for x in (a[0], a[3])]
        ids_b = [json.loads(x[1])["build"]["id"] for x in (b[0], b[3])]
        self.assertNotEqual(ids_a, ids_b)
        self.assertNotEqual(a[1][1], b[1][1])
        # the seed changes generated values, not the verdicts
        self.assertEqual([s for s, _ in a], [s for s, _ in b])


# ---- admin API protection -----------------------------------------------------------------

class AdminToken(MockTestCase):

    def test_token_required(self):
        with self.start_mock("--admin-token", "s3cret") as m:
            # the health path stays open for health checks: status only, no details
            st, doc = m.admin("GET", "health")
            self.assertEqual((st, doc), (200, {"status": "ok"}))
            st, _ = m.admin("GET", "health", token="wrong")
            self.assertEqual(st, 401)
            for path in ("requests", "violations", "state", "clock"):
                with self.subTest(path=path):
                    st, doc = m.admin("GET", path)
                    self.assertEqual(st, 401)
                    self.assertIn("X-Cbkit-Admin-Token", doc["error"])
                    st, _ = m.admin("GET", path, token="wrong")
                    self.assertEqual(st, 401)
                    st, _ = m.admin("GET", path, token="s3cret")
                    self.assertEqual(st, 200)
            st, _ = m.admin("POST", "reset")
            self.assertEqual(st, 401)
            # the API itself needs no token; admin requests are not journaled
            c = m.boto3()
            c.stop_build(id="tok:1")
            st, doc = m.admin("GET", "health", token="s3cret")
            self.assertEqual(doc["requests"], 1)


# ---- shutdown -----------------------------------------------------------------------------

class Shutdown(MockTestCase):

    def keepalive_then_stop(self, sig):
        m = self.start_mock()
        conn = http.client.HTTPConnection("127.0.0.1", m.port, timeout=e2e.HTTP_TIMEOUT)
        try:
            st, h, _ = m.raw(b'{"id":"ka:1"}', target="StopBuild", conn=conn)
            self.assertEqual(st, 200)
            self.assertNotEqual(h.get("connection", "").lower(), "close")
            # the connection stays open and idle while the mock is told to stop
            self.assertEqual(m.stop(sig, expect=0), 0)
            self.assertIn("1 requests", m.stderr())
        finally:
            conn.close()

    def test_sigterm_with_idle_keepalive_connection(self):
        self.keepalive_then_stop(signal.SIGTERM)

    def test_sigint_with_idle_keepalive_connection(self):
        self.keepalive_then_stop(signal.SIGINT)

    def test_sigterm_with_a_half_sent_request(self):
        m = self.start_mock()
        s = socket.create_connection(("127.0.0.1", m.port), timeout=e2e.HTTP_TIMEOUT)
        try:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: " + CT.encode() +
                      b"\r\nX-Amz-Target: CodeBuild_20161006.StopBuild\r\n"
                      b"Content-Length: 100\r\n\r\n{\"id\":")
            self.assertEqual(m.stop(signal.SIGTERM, expect=0), 0)
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
