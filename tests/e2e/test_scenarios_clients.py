"""End-to-end tests of scenarios (docs/scenarios.md) with real clients over real sockets: boto3 /
botocore 1.29 and the AWS CLI v2 from Debian against `cbkit mock --scenario ...`.

What the clients do with each misbehaviour (aws-json-protocol.md §2.3-2.4): retries of throttling,
5xx, resets and load-balancer pages; read timeouts on a stall; what a truncated or malformed body
turns into; the decorated `:uri` error code Debian's botocore does not understand; idempotency
tokens with the mock clock moved through the admin API; determinism of seeded scenarios; the
binomial spread of a probability schedule; a strict world with seeded builds and a state machine;
several --scenario options; scenarios loaded and removed at run time.

boto3's retry sleeps are patched out (botocore.endpoint sleeps between attempts); the AWS CLI runs
in its own process with its real sleeps (about 2 s for 3 attempts).

Run with /usr/bin/python3 (ctest sets CBKIT to the binary under test).
"""

import http.client
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest
from unittest import mock

import cbkit_e2e as e2e
from cbkit_e2e import CT, UUID_RE, MockTestCase

e2e.use_client_env()

import botocore  # noqa: E402  (after the environment is set)
import botocore.config  # noqa: E402
import botocore.endpoint  # noqa: E402
import botocore.exceptions  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("CBK_SOURCE_DIR") or os.path.join(HERE, "..", "..")
EXAMPLES = os.path.join(SOURCE_DIR, "scenarios", "examples")
URI_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.coral.validate/"
RUNNING = "my-app:11111111-2222-4333-8444-555555555555"  # lifecycle.yaml's running build
FAILED = "my-app:66666666-7777-4888-9999-000000000000"  # and its failed one


def setUpModule():
    e2e.require_debian_python()


def example(name):
    return os.path.join(EXAMPLES, name + ".yaml")


def build_id_re(project):
    return "^%s:%s$" % (re.escape(project), UUID_RE)


class _NoSleepTime:
    """botocore.endpoint's `time` module without its retry sleeps; the delays asked for are
    recorded (one per retry)."""

    def __init__(self):
        self.sleeps = []

    def __getattr__(self, name):
        return getattr(time, name)

    def sleep(self, seconds):
        self.sleeps.append(seconds)


class ScenarioClients(MockTestCase):

    def setUp(self):
        self._no_sleep = _NoSleepTime()
        patcher = mock.patch.object(botocore.endpoint, "time", self._no_sleep)
        patcher.start()
        self.addCleanup(patcher.stop)

    @property
    def retry_sleeps(self):
        return len(self._no_sleep.sleeps)

    def mock_with(self, *scenarios, args=()):
        argv = []
        for s in scenarios:
            argv += ["--scenario", example(s)]
        m = self.start_mock(*(argv + list(args)))
        # stopped with SIGINT (bounded wait; exit status 0 and a clean stderr checked)
        self.addCleanup(m.stop, signal.SIGINT)
        return m

    def journal(self, m, **query):
        """The journal once every entry is complete."""
        return m.settled_requests(**query)["requests"]

    def raw(self, m, op, body, conn=None):
        status, headers, data = m.raw(json.dumps(body).encode(), target=op, conn=conn)
        return status, headers, data

    # ---- retries -------------------------------------------------------------------------

    def test_throttle_then_succeed_boto3_retries(self):
        m = self.mock_with("throttle-then-succeed")
        c = m.boto3()
        r = c.retry_build(id="my-app:0e2f7a52-3b6c-4f1e-9d7a-1c2b3d4e5f60")
        self.assertEqual(r["ResponseMetadata"]["RetryAttempts"], 2)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertRegex(r["build"]["id"], build_id_re("my-app"))
        self.assertEqual(self.retry_sleeps, 2)
        j = self.journal(m)
        self.assertEqual(len(j), 3)
        self.assertEqual([e["operation"] for e in j], ["RetryBuild"] * 3)
        self.assertEqual([e["status"] for e in j], [400, 400, 200])
        self.assertEqual([e["statusSent"] for e in j], [400, 400, 200])
        self.assertEqual([e["answeredBy"] for e in j],
                         ["scenario throttle-then-succeed/throttle"] * 2 + ["generated"])
        self.assertEqual([e["fault"] for e in j], ["error ThrottlingException"] * 2 + [""])
        # the three attempts of one call: identical bodies, one invocation id
        self.assertEqual(len({e["body"] for e in j}), 1)
        self.assertEqual(json.loads(j[0]["body"]),
                         {"id": "my-app:0e2f7a52-3b6c-4f1e-9d7a-1c2b3d4e5f60"})
        self.assertEqual(len({e["invocationId"] for e in j}), 1)
        self.assertRegex(j[0]["invocationId"], "^%s$" % UUID_RE)
        for n, e in enumerate(j, 1):
            self.assertRegex(e["sdkRequest"], r"(^|; )attempt=%d(;|$)" % n)
        self.assertEqual({e["verdict"] for e in j}, {"valid"})
        # the next call is a new invocation, and the rule no longer fires
        r = c.retry_build(id="my-app:0e2f7a52-3b6c-4f1e-9d7a-1c2b3d4e5f60")
        self.assertEqual(r["ResponseMetadata"]["RetryAttempts"], 0)
        j = self.journal(m)
        self.assertEqual(len(j), 4)
        self.assertNotEqual(j[3]["invocationId"], j[0]["invocationId"])

    def test_throttle_always_aws_cli_gives_up(self):
        m = self.mock_with("throttle-always")
        p = m.aws("codebuild", "retry-build", "--id", "my-app:1")
        self.assertEqual(p.returncode, 254, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertIn("An error occurred (ThrottlingException) when calling the RetryBuild "
                      "operation (reached max retries: 2): Rate exceeded", p.stderr)
        j = self.journal(m)
        # standard mode: 3 attempts of one invocation
        self.assertEqual(len(j), 3)
        self.assertEqual([e["status"] for e in j], [400] * 3)
        self.assertEqual({e["answeredBy"] for e in j}, {"scenario throttle-always/throttle"})
        self.assertEqual(len({e["invocationId"] for e in j}), 1)
        self.assertEqual(len({e["body"] for e in j}), 1)
        self.assertTrue(all(e["userAgent"].startswith("aws-cli/2.") for e in j))

    def test_throttle_always_boto3_legacy_five_attempts(self):
        m = self.mock_with("throttle-always")
        with self.assertRaises(ClientError) as cm:
            m.boto3().retry_build(id="my-app:1")
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], "ThrottlingException")
        self.assertEqual(err["Error"]["Message"], "Rate exceeded")
        self.assertEqual(err["ResponseMetadata"]["RetryAttempts"], 4)
        self.assertTrue(err["ResponseMetadata"]["MaxAttemptsReached"])
        self.assertEqual(len(self.journal(m)), 5)

    def test_reset_twice_then_success(self):
        m = self.mock_with("reset-then-succeed")
        r = m.boto3().stop_build(id="my-app:1")
        self.assertEqual(r["ResponseMetadata"]["RetryAttempts"], 2)
        self.assertEqual(r["build"]["id"], "my-app:1")
        self.assertEqual(r["build"]["buildStatus"], "STOPPED")
        j = self.journal(m)
        self.assertEqual([e["fault"] for e in j], ["reset", "reset", ""])
        self.assertEqual([e["statusSent"] for e in j], [0, 0, 200])
        self.assertEqual(len({e["invocationId"] for e in j}), 1)

    def test_internal_failure_once_retried(self):
        m = self.mock_with("internal-failure-once")
        r = m.boto3().retry_build(id="my-app:1")
        self.assertEqual(r["ResponseMetadata"]["RetryAttempts"], 1)
        self.assertRegex(r["build"]["id"], build_id_re("my-app"))
        j = self.journal(m)
        self.assertEqual([e["status"] for e in j], [500, 200])
        self.assertEqual(j[0]["errorType"], "InternalFailure")
        self.assertEqual(j[0]["answeredBy"], "scenario internal-failure-once/internal-failure")

    # ---- transport faults ----------------------------------------------------------------

    def test_stall_read_timeout(self):
        m = self.mock_with("stall")
        c = m.boto3(botocore.config.Config(read_timeout=1, retries={"total_max_attempts": 1}))
        with self.assertRaises(botocore.exceptions.ReadTimeoutError):
            c.stop_build(id="my-app:1")
        self.assertEqual(self.retry_sleeps, 0)
        j = m.requests()["requests"]
        self.assertEqual(len(j), 1)
        self.assertEqual(j[0]["fault"], "stall 5000ms")
        self.assertEqual(j[0]["status"], 0)
        self.assertEqual(j[0]["statusSent"], 0)
        # other operations are answered meanwhile
        r = c.retry_build(id="my-app:1")
        self.assertRegex(r["build"]["id"], build_id_re("my-app"))

    def test_truncated_body(self):
        m = self.mock_with("truncated-body")
        # on the wire: the full Content-Length, 100 bytes of body, then the connection closes
        conn = http.client.HTTPConnection("127.0.0.1", m.port, timeout=e2e.HTTP_TIMEOUT)
        try:
            conn.request("POST", "/", body=b'{"id":"my-app:1"}',
                         headers={"Content-Type": CT, "X-Amz-Target": e2e.op_target("RetryBuild")})
            resp = conn.getresponse()
            self.assertEqual(resp.status, 200)
            length = int(resp.getheader("Content-Length"))
            self.assertGreater(length, 100)
            with self.assertRaises(http.client.IncompleteRead) as cm:
                resp.read()
            self.assertEqual(len(cm.exception.partial), 100)
            self.assertEqual(cm.exception.expected, length - 100)
            self.assertTrue(cm.exception.partial.startswith(b'{"build":{"id":"my-app:'))
        finally:
            conn.close()
        # botocore 1.29 with urllib3 1.26 does not enforce Content-Length: it reads the 100
        # bytes, cannot parse them as JSON, and (like any non-JSON 200 body, §2.1) returns an
        # empty result. No exception, no retry: the client silently loses the build.
        r = m.boto3().retry_build(id="my-app:1")
        self.assertEqual(set(r), {"ResponseMetadata"})
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(r["ResponseMetadata"]["RetryAttempts"], 0)
        j = self.journal(m)
        self.assertEqual(len(j), 2)
        self.assertEqual({e["fault"] for e in j}, {"truncate 100B"})
        self.assertEqual({e["answeredBy"] for e in j},
                         {"scenario truncated-body/truncate (generated)"})

    def test_dribble_arrives_complete(self):
        m = self.mock_with("dribble")
        r = m.boto3().start_build_batch(projectName="my-app", buildTimeoutInMinutesOverride=60)
        self.assertEqual(r["ResponseMetadata"]["RetryAttempts"], 0)
        self.assertRegex(r["buildBatch"]["id"], build_id_re("my-app"))
        self.assertEqual(r["buildBatch"]["projectName"], "my-app")
        self.assertEqual(r["buildBatch"]["buildTimeoutInMinutes"], 60)
        j = self.journal(m)
        self.assertEqual(len(j), 1)
        self.assertEqual(j[0]["fault"], "dribble 8x1500ms")
        self.assertEqual(j[0]["statusSent"], 200)
        self.assertEqual(j[0]["answeredBy"], "scenario dribble/slow-body (generated)")

    def test_html_502_every_tenth_call_retried(self):
        m = self.mock_with("load-balancer")
        c = m.boto3()
        for i in range(1, 11):
            r = c.retry_build(id="my-app:%d" % i)
            self.assertEqual(r["ResponseMetadata"]["RetryAttempts"], 1 if i == 10 else 0)
            self.assertRegex(r["build"]["id"], build_id_re("my-app"))
        j = self.journal(m)
        self.assertEqual(len(j), 11)
        self.assertEqual(j[9]["status"], 502)
        self.assertEqual(j[9]["fault"], "html 502")
        self.assertEqual(j[9]["answeredBy"], "scenario load-balancer/bad-gateway")
        self.assertEqual([e["status"] for e in j[:9] + j[10:]], [200] * 10)

    def test_html_502_always_client_error(self):
        m = self.mock_with()
        m.post("scenarios", b"scenario: lb\nrules:\n  - {name: page, respond: {fault: html, "
                            b"status: 502}}\n")
        # the page itself
        status, headers, data = self.raw(m, "StopBuild", {"id": "my-app:1"})
        self.assertEqual(status, 502)
        self.assertEqual(headers["content-type"], "text/html")
        self.assertTrue(data.startswith(b"<html>"))
        self.assertIn(b"502 Bad Gateway", data)
        m.reset("journal")
        with self.assertRaises(ClientError) as cm:
            m.boto3().stop_build(id="my-app:1")
        err = cm.exception.response
        # botocore: a 5xx whose body starts with <html> reads as the status code
        self.assertEqual(err["Error"]["Code"], "502")
        self.assertEqual(err["Error"]["Message"], "Bad Gateway")
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 502)
        self.assertEqual(err["ResponseMetadata"]["RetryAttempts"], 4)
        self.assertTrue(err["ResponseMetadata"]["MaxAttemptsReached"])
        j = self.journal(m)
        self.assertEqual([e["fault"] for e in j], ["html 502"] * 5)

    def test_malformed_body_is_an_empty_result(self):
        m = self.mock_with("load-balancer")
        c = m.boto3()
        for i in range(5):
            self.assertEqual(c.stop_build(id="my-app:%d" % i)["build"]["id"], "my-app:%d" % i)
        # the 6th StopBuild: 200 with a body that is not JSON. botocore 1.29 does not raise: the
        # body becomes {"message": ...}, which matches no output member (§2.1), so the call
        # returns no 'build' at all, and nothing is retried.
        r = c.stop_build(id="my-app:5")
        self.assertEqual(set(r), {"ResponseMetadata"})
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(r["ResponseMetadata"]["RetryAttempts"], 0)
        status, headers, data = self.raw(m, "StopBuild", {"id": "my-app:6"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], CT)
        with self.assertRaises(ValueError):
            json.loads(data)
        j = self.journal(m)
        self.assertEqual(len(j), 7)
        self.assertEqual([e["fault"] for e in j], [""] * 5 + ["malformed"] * 2)
        self.assertEqual(j[5]["answeredBy"], "scenario load-balancer/garbage")

    def test_decorated_uri_throttle_not_retried(self):
        m = self.mock_with("decorated-errors")
        c = m.boto3()
        with self.assertRaises(ClientError) as cm:
            c.retry_build(id="my-app:1")
        err = cm.exception.response
        # Debian's botocore 1.29 keeps the ':uri' suffix (split added in 1.36.22): the code is
        # not 'ThrottlingException', so the legacy retry policy does not match
        self.assertEqual(err["Error"]["Code"], "ThrottlingException" + URI_SUFFIX)
        self.assertIn(":http", err["Error"]["Code"])
        self.assertEqual(err["Error"]["Message"], "Rate exceeded")
        self.assertEqual(err["ResponseMetadata"]["RetryAttempts"], 0)
        self.assertEqual(self.retry_sleeps, 0)
        self.assertNotIsInstance(cm.exception, c.exceptions.ResourceNotFoundException)
        j = self.journal(m)
        self.assertEqual(len(j), 1)
        self.assertEqual(j[0]["errorType"], "ThrottlingException" + URI_SUFFIX)
        # the namespace form is understood: the modeled exception class, bare code
        with self.assertRaises(c.exceptions.ResourceNotFoundException) as cm:
            c.stop_build(id="gone:1")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceNotFoundException")
        self.assertEqual(cm.exception.response["Error"]["Message"], "Build not found")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPHeaders"]
                         ["x-amzn-errortype"], "com.amazonaws.codebuild#ResourceNotFoundException")
        # only the first RetryBuild was throttled
        self.assertRegex(c.retry_build(id="my-app:1")["build"]["id"], build_id_re("my-app"))

    # ---- the model through scenarios -----------------------------------------------------

    def test_idempotency_tokens(self):
        m = self.mock_with("lifecycle")
        c = m.boto3()
        a = c.retry_build(id=FAILED, idempotencyToken="tok")["build"]["id"]
        self.assertRegex(a, build_id_re("my-app"))
        self.assertEqual(c.retry_build(id=FAILED, idempotencyToken="tok")["build"]["id"], a)
        with self.assertRaises(ClientError) as cm:
            c.retry_build(id=RUNNING, idempotencyToken="tok")
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "IdempotentParameterMismatchException")
        self.assertEqual(cm.exception.response["Error"]["Message"],
                         "The idempotency token 'tok' was already used within the last 5 minutes "
                         "with different parameters")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["RetryAttempts"], 0)
        clock = m.post("clock", {"advanceSeconds": 360})
        self.assertIn("now", clock)
        b = c.retry_build(id=FAILED, idempotencyToken="tok")["build"]["id"]
        self.assertRegex(b, build_id_re("my-app"))
        self.assertNotEqual(b, a)

        x = c.start_build_batch(projectName="my-app", idempotencyToken="batch")["buildBatch"]["id"]
        self.assertEqual(
            c.start_build_batch(projectName="my-app", idempotencyToken="batch")["buildBatch"]["id"],
            x)
        with self.assertRaises(ClientError) as cm:
            c.start_build_batch(projectName="my-app", idempotencyToken="batch",
                                buildTimeoutInMinutesOverride=60)
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "IdempotentParameterMismatchException")
        m.post("clock", {"advanceSeconds": 360})
        y = c.start_build_batch(projectName="my-app", idempotencyToken="batch",
                                buildTimeoutInMinutesOverride=60)["buildBatch"]["id"]
        self.assertNotEqual(y, x)
        self.assertRegex(y, build_id_re("my-app"))

    def test_strict_world_lifecycle(self):
        m = self.mock_with("lifecycle")
        self.assertEqual(m.get("health")["world"], "strict")
        state = m.get("state")
        builds = {b["id"]: b for b in state["builds"]}
        self.assertEqual(builds[RUNNING]["buildStatus"], "IN_PROGRESS")
        self.assertEqual(builds[FAILED]["buildStatus"], "FAILED")
        c = m.boto3()
        # unknown builds do not exist in the strict world
        with self.assertRaises(c.exceptions.ResourceNotFoundException) as cm:
            c.stop_build(id="other:00000000-0000-4000-8000-000000000000")
        self.assertEqual(cm.exception.response["Error"]["Message"],
                         "Build other:00000000-0000-4000-8000-000000000000 does not exist")
        # batches of my-app are fine until a build of my-app is stopped
        self.assertRegex(c.start_build_batch(projectName="my-app")["buildBatch"]["id"],
                         build_id_re("my-app"))
        r = c.stop_build(id=RUNNING)
        self.assertEqual(r["build"]["buildStatus"], "STOPPED")
        self.assertTrue(r["build"]["buildComplete"])
        self.assertEqual(r["build"]["buildNumber"], 7)
        self.assertEqual({b["id"]: b for b in m.get("state")["builds"]}[RUNNING]["buildStatus"],
                         "STOPPED")
        self.assertEqual(m.get("scenarios")["scenarios"][0]["state"], "Stopped")
        with self.assertRaises(c.exceptions.AccountLimitExceededException) as cm:
            c.start_build_batch(projectName="my-app")
        self.assertEqual(cm.exception.response["Error"]["Message"], "my-app is frozen after a stop")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(cm.exception.response["ResponseMetadata"]["RetryAttempts"], 0)
        j = self.journal(m)
        self.assertEqual(j[-1]["answeredBy"], "scenario lifecycle/no-batches-after-stop")
        self.assertEqual(j[-2]["answeredBy"], "scenario lifecycle/stopping (state)")
        # a reset of the scenarios thaws my-app
        m.post("scenarios/reset")
        self.assertRegex(c.start_build_batch(projectName="my-app")["buildBatch"]["id"],
                         build_id_re("my-app"))

    # ---- determinism ---------------------------------------------------------------------

    def _seeded_session(self, seed):
        """Start a seeded mock with flaky.yaml and latency.yaml, send a fixed sequence of raw
        requests; returns (answers, journal without requestId/time/latencyMicros)."""
        m = self.mock_with("flaky", "latency", args=("--seed", str(seed)))
        conn = http.client.HTTPConnection("127.0.0.1", m.port, timeout=e2e.HTTP_TIMEOUT)
        answers = []
        try:
            for i in range(30):
                op, body = [("RetryBuild", {"id": "my-app:%d" % i}),
                            ("StopBuild", {"id": "my-app:%d" % i}),
                            ("StartBuildBatch", {"projectName": "p%d" % (i % 4)})][i % 3]
                status, headers, data = self.raw(m, op, body, conn=conn)
                answers.append((status, headers.get("x-amzn-errortype"), data))
        finally:
            conn.close()
        journal = self.journal(m)
        for e in journal:
            for k in ("requestId", "time", "latencyMicros"):
                self.assertIn(k, e)
                del e[k]
        m.stop(signal.SIGINT)
        return answers, journal

    def test_same_seed_same_journal_and_answers(self):
        a1, j1 = self._seeded_session(42)
        a2, j2 = self._seeded_session(42)
        self.assertEqual(len(j1), 30)
        self.assertEqual(j1, j2)
        self.assertEqual(a1, a2)
        # not vacuous: both scenarios took part
        faults = [e["fault"] for e in j1]
        self.assertIn("error ServiceUnavailable", faults)
        self.assertTrue(any(re.match(r"^latency \d+ms$", f) for f in faults))
        self.assertTrue(any(s == 503 for s, _, _ in a1))
        self.assertTrue(any(s == 200 for s, _, _ in a1))
        by = {e["answeredBy"] for e in j1}
        self.assertIn("scenario flaky/unavailable", by)
        self.assertIn("scenario latency/retry-latency (generated)", by)
        # another seed changes the generated ids (flaky.yaml has its own seed: same failures)
        a3, j3 = self._seeded_session(43)
        self.assertEqual([s for s, _, _ in a3], [s for s, _, _ in a1])
        self.assertNotEqual(a3, a1)

    def test_probability_binomial_over_1000_calls(self):
        m = self.mock_with("flaky", args=("--seed", "7"))
        conn = http.client.HTTPConnection("127.0.0.1", m.port, timeout=e2e.HTTP_TIMEOUT)
        seen = 0
        try:
            for i in range(1000):
                status, _, _ = self.raw(m, "StopBuild", {"id": "my-app:%d" % i}, conn=conn)
                self.assertIn(status, (200, 503))
                seen += status == 503
        finally:
            conn.close()
        doc = m.requests()
        self.assertEqual(doc["total"], 1000)
        self.assertEqual(len(doc["requests"]), 1000)
        fired = [e for e in doc["requests"] if e["answeredBy"] == "scenario flaky/unavailable"]
        for e in fired:
            self.assertEqual(e["status"], 503)
            self.assertEqual(e["fault"], "error ServiceUnavailable")
        # binomial(1000, 0.3): mean 300, sd 14.5; +-5 sd
        self.assertGreaterEqual(len(fired), 228)
        self.assertLessEqual(len(fired), 372)
        self.assertEqual(len(fired), seen)
        rule = m.get("scenarios")["scenarios"][0]["rules"][0]
        self.assertEqual(rule, {"name": "unavailable", "matched": 1000, "fired": len(fired)})

    # ---- loading scenarios ---------------------------------------------------------------

    def test_scenario_option_twice(self):
        m = self.mock_with("throttle-then-succeed", "reset-then-succeed")
        listed = m.get("scenarios")["scenarios"]
        self.assertEqual([s["name"] for s in listed],
                         ["throttle-then-succeed", "reset-then-succeed"])
        self.assertEqual([s["file"] for s in listed],
                         [example("throttle-then-succeed"), example("reset-then-succeed")])
        c = m.boto3()
        self.assertEqual(c.retry_build(id="my-app:1")["ResponseMetadata"]["RetryAttempts"], 2)
        self.assertEqual(c.stop_build(id="my-app:1")["ResponseMetadata"]["RetryAttempts"], 2)
        listed = m.get("scenarios")["scenarios"]
        self.assertEqual(listed[0]["rules"], [{"name": "throttle", "matched": 3, "fired": 2}])
        self.assertEqual(listed[1]["rules"], [{"name": "reset", "matched": 3, "fired": 2}])
        self.assertEqual(m.health()["faults"], 4)

    def test_load_and_remove_at_run_time(self):
        m = self.mock_with()
        self.assertEqual(m.get("scenarios"), {"scenarios": []})
        yaml = (b"scenario: denied\n"
                b"rules:\n"
                b"  - name: no-stop\n"
                b"    match: {operation: StopBuild, body: {/id: {regex: '^my-app:'}}}\n"
                b"    respond: {error: AccessDeniedException, message: not you}\n")
        self.assertEqual(m.post("scenarios", yaml, query={"file": "denied.yaml"}),
                         {"loaded": True})
        c = m.boto3()
        with self.assertRaises(ClientError) as cm:
            c.stop_build(id="my-app:1")
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDeniedException")
        self.assertEqual(cm.exception.response["Error"]["Message"], "not you")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["RetryAttempts"], 0)
        self.assertEqual(c.stop_build(id="other:1")["build"]["id"], "other:1")
        listed = m.get("scenarios")["scenarios"]
        self.assertEqual(listed, [{"name": "denied", "file": "denied.yaml", "state": "Started",
                                   "initialState": "Started",
                                   "rules": [{"name": "no-stop", "matched": 1, "fired": 1}]}])
        # a bad one is refused with its located errors; the loaded one stays
        status, doc = m.admin("POST", "scenarios", body=b"scenario: bad\nrules:\n"
                                                        b"  - respond: {fault: explode}\n")
        self.assertEqual(status, 400)
        self.assertEqual(doc, {"error": "the scenario is not valid", "errors": [
            {"line": 3, "column": 22, "path": "rules[0].respond.fault",
             "message": "unknown fault 'explode' (expected reset, close, stall, truncate, "
                        "dribble, html or malformed)"}]})
        self.assertEqual(len(m.get("scenarios")["scenarios"]), 1)
        # removed: the default answer again
        status, doc = m.admin("DELETE", "scenarios/denied")
        self.assertEqual(status, 200)
        self.assertEqual(doc, {"scenarios": []})
        self.assertEqual(c.stop_build(id="my-app:1")["build"]["buildStatus"], "STOPPED")
        status, doc = m.admin("DELETE", "scenarios/denied")
        self.assertEqual(status, 404)
        j = self.journal(m)
        self.assertEqual([e["answeredBy"] for e in j],
                         ["scenario denied/no-stop", "generated", "generated"])

    def test_bad_scenario_option(self):
        bad = os.path.join(self.tmpdir(), "bad.yaml")
        with open(bad, "w") as f:
            f.write("scenario: bad\nrules:\n  - match: {operation: RetryBuilds}\n    then: X\n")
        p = subprocess.run([e2e.cbkit_path(), "mock", "--port", "0", "--scenario", bad],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=e2e.START_TIMEOUT)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertIn("%s:3:24: error: rules[0].match.operation: unknown operation 'RetryBuilds' "
                      "(did you mean 'RetryBuild'?)" % bad, p.stderr)
        p = subprocess.run([e2e.cbkit_path(), "mock", "--port", "0", "--scenario",
                            os.path.join(self.tmpdir(), "missing.yaml")],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=e2e.START_TIMEOUT)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertIn("missing.yaml': No such file or directory", p.stderr)

    def tmpdir(self):
        d = tempfile.TemporaryDirectory(prefix="cbkit-scenarios-")
        self.addCleanup(d.cleanup)
        return d.name


if __name__ == "__main__":
    unittest.main()
