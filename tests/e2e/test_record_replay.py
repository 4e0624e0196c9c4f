"""End-to-end tests of recording and replaying (docs/record.md, docs/cassettes.md) with real
clients over real sockets: boto3 / botocore 1.29 from Debian, `cbkit record` and `cbkit mock`.

- the closed loop: boto3 -> `cbkit record` -> `cbkit mock --sigv4 --seed 7 --scenario
  lifecycle.yaml` (signatures checked, a scenario loaded) -> cassette; then boto3 -> `cbkit mock
  --cassette` with no upstream gets the same answers and errors, field by field, a repeated
  request in order, an idempotency token that differs between recording and replay still matching;
- SigV4: the upstream accepts the recorder's re-signed requests (and refuses them when the
  recorder signs with the wrong secret or without the session token); unsigned, malformed, wrongly
  signed, unknown-key and token-less requests get AWS's errors, raw and through boto3;
- secrets: the secret key, the session token, values matched by --redact-pattern,
  --redact-pointer and --redact-header, and EnvironmentVariable.value (requests and answers) appear
  nowhere in the cassette's bytes, while the rest of each body is kept byte for byte;
- SIGKILL while requests flow: the cassette loads and holds every exchange whose answer reached the
  client, in order; --append works on it; a cut last document loads with a warning naming its line;
  damage in the middle is exit 3 with file:line:column;
- upstream down: 502 BadGatewayException naming the upstream and the reason, logged, the recorder
  keeps serving and stops cleanly with a drift report;
- an existing cassette is refused (exit 4) unless --append (numbering on) or --overwrite;
- an unmatched replay: 404 UnmatchedRequestException naming the closest exchange and the pointer,
  also in the journal's note;
- --record-missing: unmatched requests are forwarded, appended to the file, then replayed;
- the drift report (text and --drift-report JSON) of an upstream whose answers break the
  contract, and --fail-on-drift.

Run with /usr/bin/python3 (ctest sets CBKIT to the binary under test).
"""

import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import cbkit_e2e as e2e
from cbkit_e2e import CT, UUID_RE, MockTestCase

e2e.use_client_env()

import boto3  # noqa: E402  (after the environment is set)
import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.config  # noqa: E402
import botocore.credentials  # noqa: E402
import yaml  # noqa: E402  (Debian's python3-yaml, a dependency of the AWS CLI)
from botocore.exceptions import ClientError  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("CBK_SOURCE_DIR") or os.path.join(HERE, "..", "..")
LIFECYCLE = os.path.join(SOURCE_DIR, "scenarios", "examples", "lifecycle.yaml")

AKID = e2e.CLIENT_ENV["AWS_ACCESS_KEY_ID"]
SECRET = e2e.CLIENT_ENV["AWS_SECRET_ACCESS_KEY"]
TOKEN = "FQoGZXIvYXdzEXAMPLESESSIONTOKENcbkit0123456789abcdef"
RUNNING = "my-app:11111111-2222-4333-8444-555555555555"  # lifecycle.yaml's running build
FAILED = "my-app:66666666-7777-4888-9999-000000000000"  # and its failed one
MARK = "... # cbkit: the exchange above is incomplete and ignored"
REDACTED = "[REDACTED]"

# Socket timeout of the raw clients: only "it did not time out" is asserted, never a duration.
CLIENT_TIMEOUT = 20.0


_clients = []


def setUpModule():
    e2e.require_debian_python()


def tearDownModule():
    for c in _clients:
        c.close()
    del _clients[:]


# ---- processes ---------------------------------------------------------------------------------


class Recorder(e2e.Server):
    """A `cbkit record --port 0 ARGS...` subprocess (stopped with SIGINT by default); its
    stdout after the first line (the drift report) is in stdout()."""

    def __init__(self, *args, env=None):
        super().__init__("record", *args, env=env)


def run_cbkit(*args, env=None, timeout=e2e.CLI_TIMEOUT):
    """Run cbkit to completion (a command that must not start serving): CompletedProcess."""
    try:
        return subprocess.run([e2e.cbkit_path()] + [str(a) for a in args], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout,
                              env=env if env is not None else e2e.client_env())
    except subprocess.TimeoutExpired as e:
        raise AssertionError("cbkit %s did not exit within %.0f s (it should not serve)"
                             % (" ".join(map(str, args)), timeout)) from e


closed_port = e2e.closed_port


def client(url, retries=False, **kw):
    """A boto3 CodeBuild client for 'url'; retries off unless asked for."""
    e2e.use_client_env()
    cfg = botocore.config.Config(connect_timeout=e2e.HTTP_TIMEOUT, read_timeout=e2e.HTTP_TIMEOUT,
                                 retries={"total_max_attempts": 5 if retries else 1})
    session = boto3.session.Session()
    c = session.client("codebuild", endpoint_url=url, region_name="us-east-1", config=cfg, **kw)
    _clients.append(c)
    return c


def raw(port, op, body, headers=None):
    """One raw request: (status, lowercase headers, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    try:
        h = {"Content-Type": CT, "X-Amz-Target": e2e.op_target(op)}
        h.update(headers or {})
        conn.request("POST", "/", body=body if isinstance(body, bytes) else body.encode(),
                     headers=h)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def signed_headers(port, op, body, key=AKID, secret=SECRET, token=None):
    """Headers of a request signed with SigV4 by botocore for 127.0.0.1:port."""
    creds = botocore.credentials.Credentials(key, secret, token)
    req = botocore.awsrequest.AWSRequest(method="POST", url="http://127.0.0.1:%d/" % port,
                                         data=body.encode(),
                                         headers={"Content-Type": CT,
                                                  "X-Amz-Target": e2e.op_target(op)})
    botocore.auth.SigV4Auth(creds, "codebuild", "us-east-1").add_auth(req)
    return dict(req.headers.items())


# ---- cassettes as files ---------------------------------------------------------------------


def documents(text):
    """Split a cassette's text as docs/cassettes.md describes: [(first line, text, state)] with
    state 'closed', 'ignored' or 'open' (no end marker)."""
    docs = []
    cur = None
    for no, line in enumerate(text.split("\n"), 1):
        bare = line.rstrip("\r")
        if bare == "---" or bare.startswith("--- "):
            if cur is not None and cur[2] == "open":
                cur[2] = "damaged"
            cur = [no, [line], "open"]
            docs.append(cur)
        elif bare == "..." or bare.startswith("... "):
            if cur is not None and cur[2] == "open":
                cur[1].append(line)
                cur[2] = "ignored" if bare.startswith(MARK) else "closed"
        elif cur is not None and cur[2] == "open":
            cur[1].append(line)
        elif bare.strip() and not bare.lstrip().startswith("#"):
            cur = [no, [line], "open"]
            docs.append(cur)
    return [(d[0], "\n".join(d[1]) + "\n", d[2]) for d in docs]


def read_cassette(path):
    """(header, exchanges, dropped tail?) of a cassette file, parsed with PyYAML."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    docs = documents(text)
    assert docs and docs[0][2] == "closed", "no closed header document in %s" % path
    header = yaml.safe_load(docs[0][1])
    exchanges = []
    cut = False
    for i, (line, body, state) in enumerate(docs[1:], 1):
        if state == "ignored":
            continue
        if state == "open" and i == len(docs) - 1:
            cut = True
            continue
        assert state == "closed", "document at line %d of %s is %s" % (line, path, state)
        x = yaml.safe_load(body)
        x["_line"] = line
        exchanges.append(x)
    return header, exchanges, cut


def file_bytes(path):
    with open(path, "rb") as f:
        return f.read()


# ---- comparing answers -------------------------------------------------------------------------


def first_difference(a, b, path=""):
    """The first place where two parsed answers differ, or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                return "%s/%s: only in the %s answer" % (path, k, "first" if k in a else "second")
            d = first_difference(a[k], b[k], "%s/%s" % (path, k))
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return "%s: %d items != %d items" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, "%s/%d" % (path, i))
            if d:
                return d
        return None
    if type(a) is not type(b) or a != b:
        return "%s: %r != %r" % (path or "(answer)", a, b)
    return None


def count_leaves(v):
    if isinstance(v, dict):
        return sum(count_leaves(x) for x in v.values())
    if isinstance(v, list):
        return sum(count_leaves(x) for x in v)
    return 1


def redact_env_values(v, seen):
    """A copy of an answer with EnvironmentVariable.value (sensitive in the spec) as the
    cassette keeps it; 'seen' gets the values replaced."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k in ("environmentVariables", "environmentVariablesOverride") and isinstance(x, list):
                items = []
                for item in x:
                    item = dict(item)
                    if "value" in item:
                        seen.append(item["value"])
                        item["value"] = REDACTED
                    items.append(item)
                out[k] = items
            else:
                out[k] = redact_env_values(x, seen)
        return out
    if isinstance(v, list):
        return [redact_env_values(x, seen) for x in v]
    return v


def call(fn, **kw):
    """('ok', answer without ResponseMetadata, meta) or ('error', error response, meta)."""
    try:
        r = fn(**kw)
    except ClientError as e:
        r = dict(e.response)
        meta = r.pop("ResponseMetadata")
        return "error", r, meta
    r = dict(r)
    meta = r.pop("ResponseMetadata")
    return "ok", r, meta


# ---- the closed loop -----------------------------------------------------------------------------


class ClosedLoopTest(MockTestCase):
    """Record a session through the recorder against a signature-checking, scenario-driven mock,
    then replay it from the cassette alone."""

    ENV_VALUE = "hunter2-value-of-DEPLOY_KEY"

    def session(self, c, token):
        """The same calls in the same order; ids come from the answers (the same in both runs).
        Returns [(label, outcome)]."""
        out = []

        def step(label, fn, **kw):
            o = call(fn, **kw)
            out.append((label, o))
            return o

        k, batch, _ = step("StartBuildBatch with environment variables", c.start_build_batch,
                           projectName="my-app", environmentVariablesOverride=[
                               {"name": "DEPLOY_KEY", "value": self.ENV_VALUE,
                                "type": "PLAINTEXT"},
                               {"name": "STAGE", "value": "prod"}])
        self.assertEqual(k, "ok", batch)
        k, b1, _ = step("RetryBuild of the failed build", c.retry_build, id=FAILED)
        self.assertEqual(k, "ok", b1)
        k, b2, _ = step("RetryBuild with an idempotency token", c.retry_build,
                        id=b1["build"]["id"], idempotencyToken=token)
        self.assertEqual(k, "ok", b2)
        k, b3, _ = step("RetryBuild, first of two identical", c.retry_build, id=b2["build"]["id"])
        self.assertEqual(k, "ok", b3)
        k, b4, _ = step("RetryBuild, second of two identical", c.retry_build, id=b2["build"]["id"])
        self.assertEqual(k, "ok", b4)
        k, stopped, _ = step("StopBuild of the seeded build", c.stop_build, id=RUNNING)
        self.assertEqual(k, "ok", stopped)
        step("StartBuildBatch refused by the scenario", c.start_build_batch, projectName="my-app")
        step("StopBuild of a build the strict world lacks", c.stop_build,
             id="my-app:00000000-0000-4000-8000-000000000000")
        return out

    def test_record_then_replay_without_upstream(self):
        tmp = tempfile.mkdtemp(prefix="cbkit-loop-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cassette = os.path.join(tmp, "session.yaml")
        upstream = self.start_mock("--sigv4", "--sigv4-key", "%s:%s" % (AKID, SECRET),
                                   "--seed", "7", "--scenario", LIFECYCLE)
        rec = Recorder("--cassette", cassette, "--upstream", upstream.url)
        self.addCleanup(rec.cleanup)
        recorded = self.session(client(rec.url), token="token-of-the-recording-0001")
        rec.stop()
        n = len(recorded)

        # what was recorded: the answers the scenario and the model give
        kinds = [o[0] for _, o in recorded]
        self.assertEqual(kinds, ["ok"] * 6 + ["error"] * 2)
        err7, err8 = recorded[6][1][1]["Error"], recorded[7][1][1]["Error"]
        self.assertEqual(err7["Code"], "AccountLimitExceededException")
        self.assertEqual(err7["Message"], "my-app is frozen after a stop")
        self.assertEqual(recorded[6][1][2]["HTTPStatusCode"], 400)
        self.assertEqual(err8["Code"], "ResourceNotFoundException")
        self.assertEqual(recorded[5][1][1]["build"]["buildStatus"], "STOPPED")
        b3, b4 = recorded[3][1][1]["build"], recorded[4][1][1]["build"]
        self.assertNotEqual(b3["id"], b4["id"])  # two identical requests, two answers
        self.assertNotEqual(b3["buildNumber"], b4["buildNumber"])

        # the upstream checked every signature the recorder made, and accepted all of them
        journal = upstream.settled_requests()["requests"]
        self.assertEqual(len(journal), n)
        self.assertEqual([e["status"] for e in journal], [o[2]["HTTPStatusCode"]
                                                          for _, o in recorded])
        for e in journal:
            self.assertNotIn(e["errorType"], ("MissingAuthenticationToken", "IncompleteSignature",
                                              "InvalidSignatureException",
                                              "UnrecognizedClientException"), e)
            self.assertNotEqual(e["verdict"], "rejected", e)
        self.assertEqual([e["answeredBy"] for e in journal][5:7],
                         ["scenario lifecycle/stopping (state)",
                          "scenario lifecycle/no-batches-after-stop"])
        self.assertIn("drift report: %d exchanges recorded, 0 findings" % n, rec.stdout())
        self.assertIn(", 0 upstream failures", rec.stdout())

        _, exchanges, cut = read_cassette(cassette)
        self.assertFalse(cut)
        self.assertEqual([x["exchange"] for x in exchanges], list(range(1, n + 1)))
        self.assertEqual([x["operation"] for x in exchanges],
                         ["StartBuildBatch"] + ["RetryBuild"] * 4 + ["StopBuild",
                                                                     "StartBuildBatch",
                                                                     "StopBuild"])
        self.assertEqual([x["response"]["status"] for x in exchanges],
                         [200] * 6 + [400, 400])

        # replay: the cassette alone, no upstream, no scenario, another idempotency token
        upstream.stop()
        replay = self.start_mock("--cassette", cassette)
        replayed = self.session(client(replay.url), token="another-token-in-the-replay-02")
        self.assertEqual(len(replayed), n)
        for (label, (k1, a1, m1)), (_, (k2, a2, m2)) in zip(recorded, replayed):
            with self.subTest(call=label):
                self.assertEqual(k1, k2)
                self.assertEqual(m1["HTTPStatusCode"], m2["HTTPStatusCode"])
                self.assertRegex(m2["RequestId"], "^%s$" % UUID_RE)
                self.assertNotEqual(m1["RequestId"], m2["RequestId"])  # a fresh one
                self.assertEqual(m2["RetryAttempts"], 0)
                # sensitive values were never written: the replay answers [REDACTED] there
                seen = []
                want = redact_env_values(a1, seen)
                if label.startswith("StartBuildBatch with"):
                    self.assertEqual(seen, [self.ENV_VALUE, "prod"])
                else:
                    self.assertEqual(seen, [])
                d = first_difference(want, a2)
                self.assertIsNone(d, "%s: the replay differs at %s" % (label, d))
                self.assertGreater(count_leaves(a2), 0)
                if k1 == "error":
                    self.assertEqual(a1["Error"], a2["Error"])
                    self.assertEqual(m1["HTTPHeaders"].get("x-amzn-errortype"),
                                     m2["HTTPHeaders"].get("x-amzn-errortype"))
        # the repeated request replayed its two answers in order
        self.assertEqual(replayed[3][1][1]["build"]["id"], b3["id"])
        self.assertEqual(replayed[4][1][1]["build"]["id"], b4["id"])
        journal = replay.settled_requests()["requests"]
        self.assertEqual([e["answeredBy"] for e in journal],
                         ["cassette %s#%d" % (cassette, i) for i in range(1, n + 1)])
        # once more, the last recording repeats
        again = call(client(replay.url).retry_build, id=replayed[2][1][1]["build"]["id"])
        self.assertEqual(again[1]["build"]["id"], b4["id"])
        replay.stop()


# ---- SigV4 -------------------------------------------------------------------------------------


class SigV4Test(MockTestCase):
    """`cbkit mock --sigv4` answers as AWS does, and accepts what the recorder re-signs."""

    SECRET2 = "bPxRfiCYEXAMPLEKEYwJalrXUtnFEMI/K7MDENG2"

    def setUp(self):
        self.mock = self.start_mock("--sigv4", "--sigv4-key", "%s:%s" % (AKID, SECRET),
                                    "--sigv4-key", "AKIDTOKEN:%s:%s" % (self.SECRET2, TOKEN))

    def assert_rejected(self, status, headers, body, code, http_status):
        doc = self.assertAwsError(status, headers, body, code, http_status)
        self.assertEqual(headers.get("x-amzn-errortype"), code)
        return doc

    def assert_client_error(self, fn, code, http_status, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], code)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], http_status)
        self.assertEqual(err["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-errortype"), code)
        self.assertTrue(err["Error"]["Message"])
        return err

    def test_raw_requests(self):
        port, body = self.mock.port, '{"id": "a:1"}'
        # no Authorization at all
        st, h, b = raw(port, "StopBuild", body)
        doc = self.assert_rejected(st, h, b, "MissingAuthenticationToken", 403)
        self.assertEqual(doc["message"], "Missing Authentication Token")
        # Authorization without its parts
        good = signed_headers(port, "StopBuild", body)
        st, h, b = raw(port, "StopBuild", body, {
            "X-Amz-Date": good["X-Amz-Date"],
            "Authorization": "AWS4-HMAC-SHA256 Credential=%s/%s/us-east-1/codebuild/aws4_request"
                             % (AKID, good["X-Amz-Date"][:8])})
        doc = self.assert_rejected(st, h, b, "IncompleteSignature", 400)
        self.assertIn("requires 'Signature'", doc["message"])
        self.assertIn("requires 'SignedHeaders'", doc["message"])
        # another scheme
        st, h, b = raw(port, "StopBuild", body, {"Authorization": "Basic QUtJRDpzZWNyZXQ="})
        self.assert_rejected(st, h, b, "IncompleteSignature", 400)
        # no X-Amz-Date
        nodate = {k: v for k, v in good.items() if k != "X-Amz-Date"}
        st, h, b = raw(port, "StopBuild", body, nodate)
        self.assert_rejected(st, h, b, "IncompleteSignature", 400)
        # properly signed: accepted
        st, h, b = raw(port, "StopBuild", body, good)
        self.assertEqual(st, 200, b)
        # signed, then the body changed: the signature no longer matches
        st, h, b = raw(port, "StopBuild", '{"id": "a:2"}', good)
        self.assert_rejected(st, h, b, "InvalidSignatureException", 400)
        # signed with a wrong secret
        st, h, b = raw(port, "StopBuild", body, signed_headers(port, "StopBuild", body,
                                                               secret=SECRET[::-1]))
        doc = self.assert_rejected(st, h, b, "InvalidSignatureException", 400)
        self.assertIn("signature we calculated does not match", doc["message"])
        # an unknown key
        st, h, b = raw(port, "StopBuild", body, signed_headers(port, "StopBuild", body,
                                                               key="AKIDUNKNOWN"))
        self.assert_rejected(st, h, b, "UnrecognizedClientException", 400)
        # the key with a token, without it / with another one / with it
        hs = signed_headers(port, "StopBuild", body, key="AKIDTOKEN", secret=self.SECRET2)
        st, h, b = raw(port, "StopBuild", body, hs)
        self.assert_rejected(st, h, b, "UnrecognizedClientException", 403)
        hs = signed_headers(port, "StopBuild", body, key="AKIDTOKEN", secret=self.SECRET2,
                            token=TOKEN + "x")
        st, h, b = raw(port, "StopBuild", body, hs)
        self.assert_rejected(st, h, b, "UnrecognizedClientException", 403)
        hs = signed_headers(port, "StopBuild", body, key="AKIDTOKEN", secret=self.SECRET2,
                            token=TOKEN)
        st, h, b = raw(port, "StopBuild", body, hs)
        self.assertEqual(st, 200, b)
        # every rejection is in the journal as such
        j = self.mock.settled_requests()["requests"]
        self.assertEqual([e["status"] for e in j],
                         [403, 400, 400, 400, 200, 400, 400, 400, 403, 403, 200])
        self.assertEqual([e["verdict"] for e in j if e["status"] != 200], ["rejected"] * 9)

    def test_boto3(self):
        url = self.mock.url
        self.assertEqual(client(url).stop_build(id="a:1")["build"]["id"], "a:1")
        self.assert_client_error(client(url, aws_access_key_id=AKID,
                                        aws_secret_access_key=SECRET[::-1]).stop_build,
                                 "InvalidSignatureException", 400, id="a:1")
        self.assert_client_error(client(url, aws_access_key_id="AKIDUNKNOWN",
                                        aws_secret_access_key=SECRET).stop_build,
                                 "UnrecognizedClientException", 400, id="a:1")
        tok = {"aws_access_key_id": "AKIDTOKEN", "aws_secret_access_key": self.SECRET2}
        self.assert_client_error(client(url, **tok).stop_build, "UnrecognizedClientException",
                                 403, id="a:1")
        self.assertEqual(client(url, aws_session_token=TOKEN, **tok).stop_build(id="a:2")
                         ["build"]["id"], "a:2")
        # an unsigned boto3 request
        c = boto3.session.Session().client(
            "codebuild", endpoint_url=url, region_name="us-east-1",
            config=botocore.config.Config(signature_version=botocore.UNSIGNED,
                                          retries={"total_max_attempts": 1}))
        _clients.append(c)
        self.assert_client_error(c.stop_build, "MissingAuthenticationToken", 403, id="a:1")

    def test_through_the_recorder(self):
        """The recorder's re-signature is what the upstream checks: right credentials 200, a
        wrong secret or a missing token the upstream's error, passed through unchanged."""
        tmp = tempfile.mkdtemp(prefix="cbkit-sigv4-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cases = [
            ("right key", {}, None),
            ("wrong secret", {"AWS_SECRET_ACCESS_KEY": SECRET[::-1]},
             ("InvalidSignatureException", 400)),
            ("token key with its token", {"AWS_ACCESS_KEY_ID": "AKIDTOKEN",
                                          "AWS_SECRET_ACCESS_KEY": self.SECRET2,
                                          "AWS_SESSION_TOKEN": TOKEN}, None),
            ("token key without a token", {"AWS_ACCESS_KEY_ID": "AKIDTOKEN",
                                           "AWS_SECRET_ACCESS_KEY": self.SECRET2},
             ("UnrecognizedClientException", 403)),
        ]
        for i, (label, env_over, want) in enumerate(cases):
            with self.subTest(case=label):
                env = e2e.client_env()
                env.update(env_over)
                cassette = os.path.join(tmp, "c%d.yaml" % i)
                rec = Recorder("--cassette", cassette, "--upstream", self.mock.url, env=env)
                self.addCleanup(rec.cleanup)
                # the client signs with its own (dummy) key for the recorder's host
                c = client(rec.url)
                if want is None:
                    self.assertEqual(c.stop_build(id="p:%d" % i)["build"]["id"], "p:%d" % i)
                else:
                    self.assert_client_error(c.stop_build, want[0], want[1], id="p:%d" % i)
                rec.stop()
                _, xs, _ = read_cassette(cassette)
                self.assertEqual(len(xs), 1)
                self.assertEqual(xs[0]["response"]["status"], 200 if want is None else want[1])
                last = self.mock.settled_requests()["requests"][-1]
                self.assertEqual(last["status"], 200 if want is None else want[1])
                self.assertEqual(last["errorType"], "" if want is None else want[0])


# ---- secrets ----------------------------------------------------------------------------------


class SecretsTest(MockTestCase):
    PATTERN_VALUE = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2"
    POINTER_VALUE = "pointer-redacted-oauth-resource"
    HEADER_VALUE = "header-redacted-team-secret"
    ENV_VALUE = "env-value-sensitive-in-the-spec"
    SOURCE_VERSION = "refs/heads/" + "ghp_" + "ZZZZyyyyXXXXwwwwVVVVuuuu"  # pattern, in the answer

    def test_nothing_secret_reaches_the_cassette(self):
        tmp = tempfile.mkdtemp(prefix="cbkit-secrets-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cassette = os.path.join(tmp, "secrets.yaml")
        upstream = self.start_mock("--sigv4", "--sigv4-key", "%s:%s:%s" % (AKID, SECRET, TOKEN))
        env = e2e.client_env()
        env["AWS_SESSION_TOKEN"] = TOKEN
        rec = Recorder("--cassette", cassette, "--upstream", upstream.url,
                       "--redact-pattern", "ghp_[A-Za-z0-9]{20,}",
                       "--redact-pointer", "/sourceAuthOverride/resource",
                       # the answer echoes it elsewhere: pointers are per place
                       "--redact-pointer", "/buildBatch/source/auth/resource",
                       "--redact-header", "x-team-secret", env=env)
        self.addCleanup(rec.cleanup)
        c = client(rec.url)
        sent, got = [], []

        def add_header(request, **kw):
            request.headers["X-Team-Secret"] = self.HEADER_VALUE

        def keep_body(request, **kw):
            sent.append(bytes(request.body))

        def keep_answer(http_response, **kw):
            got.append(bytes(http_response.content))

        c.meta.events.register("before-sign.codebuild.*", add_header)
        c.meta.events.register("before-send.codebuild.*", keep_body)
        c.meta.events.register("after-call.codebuild.*", keep_answer)
        r = c.start_build_batch(
            projectName="my-app",
            sourceVersion=self.SOURCE_VERSION,
            buildspecOverride="version: 0.2\nphases:\n  build:\n    commands: [echo %s]" % SECRET,
            imageOverride="registry.example.com/x:" + TOKEN,
            sourceLocationOverride="https://x-access-token:%s@github.com/o/r" % self.PATTERN_VALUE,
            sourceAuthOverride={"type": "OAUTH", "resource": self.POINTER_VALUE},
            environmentVariablesOverride=[
                {"name": "DEPLOY_KEY", "value": self.ENV_VALUE, "type": "PLAINTEXT"},
                {"name": "PLAIN", "value": "also-sensitive-per-spec"}],
            buildTimeoutInMinutesOverride=60,
            debugSessionEnabled=False)
        env_back = r["buildBatch"]["environment"]["environmentVariables"]
        self.assertEqual(env_back[0]["value"], self.ENV_VALUE)  # the client got the real answer
        r2 = c.retry_build(id="my-app:%s" % "12345678-1234-4234-8234-123456789012")
        self.assertIn("build", r2)
        rec.stop()
        self.assertEqual(len(sent), 2)
        self.assertEqual(len(got), 2)

        # the upstream did get everything (redaction is for the file only: the answer echoed
        # the environment above); its journal shows the body with the members the spec marks
        # sensitive redacted, every other byte as sent
        up = upstream.settled_requests()["requests"]
        self.assertEqual([e["status"] for e in up], [200, 200])
        shown = sent[0]
        for v in (self.ENV_VALUE, "also-sensitive-per-spec"):
            shown = shown.replace(json.dumps(v).encode(), json.dumps(REDACTED).encode())
        self.assertNotEqual(shown, sent[0])
        self.assertEqual(up[0]["body"].encode(), shown)

        data = file_bytes(cassette)
        secrets = [SECRET, TOKEN, self.PATTERN_VALUE, self.POINTER_VALUE, self.HEADER_VALUE,
                   self.ENV_VALUE, "also-sensitive-per-spec", self.SOURCE_VERSION]
        for s in secrets:
            self.assertNotIn(s.encode(), data, "%r is in the cassette" % s)
            # nor a JSON-escaped spelling of it
            self.assertNotIn(json.dumps(s)[1:-1].encode(), data)
        # and the whole answers did carry some of them
        self.assertIn(self.ENV_VALUE.encode(), got[0])

        _, xs, _ = read_cassette(cassette)
        self.assertEqual(len(xs), 2)
        x = xs[0]

        # The oracle: the JSON text as it went over the wire, with exactly the string values a
        # rule covers replaced by "[REDACTED]" (every other byte the same).
        def is_secret(v, path):
            return (SECRET in v or TOKEN in v or re.search("ghp_[A-Za-z0-9]{20,}", v)
                    or path in ("/sourceAuthOverride/resource", "/buildBatch/source/auth/resource")
                    or re.fullmatch(r"/(environmentVariablesOverride|buildBatch/environment/"
                                    r"environmentVariables)/\d+/value", path))

        def expected(text):
            found = set()

            def walk(v, path):
                if isinstance(v, dict):
                    for k, x in v.items():
                        walk(x, "%s/%s" % (path, k))
                elif isinstance(v, list):
                    for i, x in enumerate(v):
                        walk(x, "%s/%d" % (path, i))
                elif isinstance(v, str) and is_secret(v, path):
                    found.add(v)

            walk(json.loads(text), "")
            for v in sorted(found, key=len, reverse=True):
                self.assertIn(json.dumps(v), text)
                text = text.replace(json.dumps(v), json.dumps(REDACTED))
            return text, found

        want, found = expected(sent[0].decode())
        self.assertEqual(len(found), 7)  # the rules did have something to do
        self.assertEqual(x["request"]["body"], want)
        self.assertIn(("    " + want + "\n").encode(), data)  # verbatim, in a literal block
        self.assertIn('"name": "DEPLOY_KEY"', x["request"]["body"])
        self.assertIn('"buildTimeoutInMinutesOverride": 60', x["request"]["body"])
        # the answer: the sensitive members and whatever else the rules cover, the rest verbatim
        want, found = expected(got[0].decode())
        self.assertGreaterEqual(len(found), 4)
        self.assertEqual(x["response"]["body"], want)
        self.assertIn(("    " + want + "\n").encode(), data)
        # the headers
        hdr = {k.lower(): v for k, v in x["request"]["headers"].items()}
        self.assertEqual(hdr["authorization"], REDACTED)
        self.assertEqual(hdr["x-team-secret"], REDACTED)
        self.assertEqual(hdr["x-amz-target"], "CodeBuild_20161006.StartBuildBatch")
        self.assertEqual(hdr["content-type"], CT)
        # the second exchange has nothing secret: its bodies are verbatim
        self.assertEqual(xs[1]["request"]["body"], sent[1].decode())
        self.assertEqual(xs[1]["response"]["body"], got[1].decode())


# ---- SIGKILL, cut tails, damage ------------------------------------------------------------------


class KillTest(MockTestCase):

    def test_sigkill_while_requests_flow(self):
        tmp = tempfile.mkdtemp(prefix="cbkit-kill-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cassette = os.path.join(tmp, "killed.yaml")
        upstream = self.start_mock("--seed", "11")
        rec = Recorder("--cassette", cassette, "--upstream", upstream.url)
        self.addCleanup(rec.cleanup)
        answered = []  # (request body, answer body), in order
        lock = threading.Lock()
        stop = threading.Event()
        failure = []

        def flow():
            i = 0
            while not stop.is_set() and i < 100000:
                body = '{"id": "kill:%08d-0000-4000-8000-000000000000"}' % i
                try:
                    st, _, ans = raw(rec.port, "StopBuild", body)
                except (OSError, http.client.HTTPException):
                    return  # the recorder is gone
                if st != 200:
                    failure.append((st, ans))
                    return
                with lock:
                    answered.append((body, ans))
                i += 1

        t = threading.Thread(target=flow, daemon=True)
        t.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with lock:
                if len(answered) >= 25:
                    break
            if not t.is_alive():
                break
            time.sleep(0.005)
        self.assertFalse(failure, failure)
        self.assertTrue(t.is_alive(), "the client stopped before the kill")
        os.kill(rec.pid, signal.SIGKILL)
        rec.kill()
        self.assertEqual(rec.returncode, -signal.SIGKILL)
        t.join(60)
        stop.set()
        self.assertFalse(t.is_alive(), "the client did not notice the recorder was gone")
        self.assertFalse(failure, failure)
        with lock:
            got = list(answered)
        self.assertGreaterEqual(len(got), 25)

        # every answered exchange is in the cassette, in order; at most one more (and perhaps
        # one the kill cut short: not an exchange)
        _, xs, cut = read_cassette(cassette)
        bodies = [x["request"]["body"] for x in xs]
        self.assertEqual(bodies[:len(got)], [b for b, _ in got])
        self.assertIn(len(bodies) - len(got), (0, 1))
        for x, (_, ans) in zip(xs, got):
            self.assertEqual(x["response"]["body"].encode(), ans)
        self.assertEqual([x["exchange"] for x in xs], list(range(1, len(xs) + 1)))

        # cbkit loads it, and answers each of them as recorded
        replay = self.start_mock("--cassette", cassette, "--replay-once")
        for body, ans in got:
            st, _, b = raw(replay.port, "StopBuild", body)
            self.assertEqual((st, b), (200, ans))
        replay.stop()

        # --append on it: the bytes stay, the numbering goes on, everything loads
        before = file_bytes(cassette)
        rec2 = Recorder("--cassette", cassette, "--append", "--upstream", upstream.url)
        self.addCleanup(rec2.cleanup)
        for i in range(3):
            st, _, _ = raw(rec2.port, "StopBuild", '{"id": "after:%d"}' % i)
            self.assertEqual(st, 200)
        rec2.stop()
        after = file_bytes(cassette)
        self.assertEqual(after[:len(before)], before)
        _, xs2, cut = read_cassette(cassette)
        self.assertFalse(cut)
        self.assertEqual(len(xs2), len(xs) + 3)
        # a document the kill cut short is now marked ignored and keeps its number
        # (docs/cassettes.md), so the new ones come after it
        first = len(xs) + (2 if cut else 1)
        self.assertEqual([x["exchange"] for x in xs2],
                         list(range(1, len(xs) + 1)) + list(range(first, first + 3)))
        self.assertEqual([x["request"]["body"] for x in xs2[-3:]],
                         ['{"id": "after:%d"}' % i for i in range(3)])
        replay = self.start_mock("--cassette", cassette)
        self.assertEqual(raw(replay.port, "StopBuild", '{"id":"after:2"}')[0], 200)
        self.assertEqual(raw(replay.port, "StopBuild", got[0][0])[2], got[0][1])
        replay.stop()
        self.assertNotIn("warning", replay.stderr())


class DamageTest(MockTestCase):
    """Cut and damaged cassettes, through the command line."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cbkit-damage-")
        cls.cassette = os.path.join(cls.tmp, "three.yaml")
        up = e2e.Mock("--seed", "5")
        try:
            rec = Recorder("--cassette", cls.cassette, "--upstream", up.url)
            try:
                for i in range(3):
                    st, _, _ = raw(rec.port, "StopBuild", '{"id": "d:%d"}' % i)
                    assert st == 200
                rec.stop()
            finally:
                rec.cleanup()
            up.stop()
        finally:
            up.cleanup()
        cls.text = file_bytes(cls.cassette).decode()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def variant(self, name, text):
        p = os.path.join(self.tmp, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def line_of(self, text, prefix, n=1):
        seen = 0
        for no, line in enumerate(text.split("\n"), 1):
            if line.startswith(prefix):
                seen += 1
                if seen == n:
                    return no
        self.fail("no line %d starting %r" % (n, prefix))

    def test_cut_last_document_loads_with_a_warning(self):
        t = self.text
        start = t.index("---\nexchange: 3\n")
        cut = t[:start + (len(t) - start) // 2]
        path = self.variant("cut.yaml", cut)
        line = self.line_of(cut, "---", 4)
        mock = self.start_mock("--cassette", path)
        self.assertEqual(raw(mock.port, "StopBuild", '{"id":"d:1"}')[0], 200)
        st, h, b = raw(mock.port, "StopBuild", '{"id":"d:2"}')
        self.assertAwsError(st, h, b, "UnmatchedRequestException", 404)
        mock.stop()
        self.assertIn("%s:%d:1: warning: the last exchange (from line %d to the end) was cut "
                      "short, probably by a crash while recording; it was dropped"
                      % (path, line, line), mock.stderr())
        # --append marks it and adds after it, rewriting nothing
        up = self.start_mock("--seed", "5")
        rec = Recorder("--cassette", path, "--append", "--upstream", up.url)
        self.addCleanup(rec.cleanup)
        self.assertIn("%s:%d:1: warning:" % (path, line), rec.stderr())
        self.assertEqual(raw(rec.port, "StopBuild", '{"id":"d:9"}')[0], 200)
        rec.stop()
        after = file_bytes(path).decode()
        self.assertTrue(after.startswith(cut))
        self.assertTrue(after[len(cut):].startswith(("\n" if not cut.endswith("\n") else "")
                                                    + MARK + "\n---\nexchange: 4\n"),
                        after[len(cut) - 40:])
        mock = self.start_mock("--cassette", path)
        self.assertEqual(raw(mock.port, "StopBuild", '{"id":"d:9"}')[0], 200)
        mock.stop()
        self.assertIn("%s:%d:1: warning: the exchange starting here was cut short when recorded "
                      "and is ignored" % (path, line), mock.stderr())

    def test_missing_end_marker_in_the_middle(self):
        t = self.text
        i = t.index("...\n---\nexchange: 2\n")
        bad = t[:i] + t[i + 4:]
        path = self.variant("no-end.yaml", bad)
        line = self.line_of(bad, "---", 2)
        r = run_cbkit("mock", "--port", "0", "--cassette", path)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("%s:%d:1: error: this exchange has no end marker '...' before the next one: "
                      "the cassette is damaged here" % (path, line), r.stderr)
        self.assertEqual(r.stdout, "")
        # nor can it be appended to; the file stays as it was
        r = run_cbkit("record", "--port", "0", "--cassette", path, "--append", "--upstream",
                      "http://127.0.0.1:%d" % closed_port())
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("cannot append to '%s'" % path, r.stderr)
        self.assertEqual(file_bytes(path).decode(), bad)

    def test_corrupt_yaml_in_an_early_exchange(self):
        t = self.text
        first = t.index("---\nexchange: 1\n")
        at = t.index("\nrequest:\n", first) + 1
        bad = t[:at] + "bad: {a: [1, 2}\n" + t[at:]
        path = self.variant("corrupt.yaml", bad)
        line = self.line_of(bad, "bad: {")
        r = run_cbkit("mock", "--port", "0", "--cassette", path)
        self.assertEqual(r.returncode, 3, r.stderr)
        m = re.search(r"^%s:(\d+):(\d+): error: (.+)$" % re.escape(path), r.stderr, re.M)
        self.assertIsNotNone(m, r.stderr)
        self.assertEqual(int(m.group(1)), line, r.stderr)
        self.assertGreaterEqual(int(m.group(2)), 1)
        # a valid document that is not a valid exchange: located too
        bad2 = t.replace("  status: 200\n", "  status: 1000\n", 1)
        path2 = self.variant("status.yaml", bad2)
        r = run_cbkit("mock", "--port", "0", "--cassette", path2)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertRegex(r.stderr, r"(?m)^%s:%d:11: error: " % (re.escape(path2),
                                                             self.line_of(bad2, "  status: 1000")))


# ---- the upstream down ----------------------------------------------------------------------------


class UpstreamDownTest(MockTestCase):

    def test_closed_port(self):
        tmp = tempfile.mkdtemp(prefix="cbkit-down-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cassette = os.path.join(tmp, "down.yaml")
        port = closed_port()
        upstream = "http://127.0.0.1:%d" % port
        rec = Recorder("--cassette", cassette, "--upstream", upstream)
        self.addCleanup(rec.cleanup)
        messages = []
        for i in range(2):
            # raw: the answer arrives (the client's socket timeout is CLIENT_TIMEOUT)
            try:
                st, h, b = raw(rec.port, "StopBuild", '{"id": "down:%d"}' % i)
            except socket.timeout:
                self.fail("no answer before the client's %.0f s timeout" % CLIENT_TIMEOUT)
            self.assertEqual(st, 502, b)
            self.assertEqual(h.get("content-type"), CT)
            self.assertEqual(h.get("x-amzn-errortype"), "BadGatewayException")
            # like every AWS answer, the recorder's own errors carry a request id
            self.assertRegex(h.get("x-amzn-requestid", ""), "^%s$" % UUID_RE)
            doc = json.loads(b)
            self.assertEqual(doc["__type"], "BadGatewayException")
            self.assertRegex(doc["message"], r"^cbkit could not get an answer from the upstream "
                                             r"%s: \S.*$" % re.escape(upstream))
            messages.append(doc["message"])
        reason = messages[0].split(upstream + ": ", 1)[1]
        self.assertRegex(reason, r"(?i)connect|refused")
        # boto3 without retries sees the same error
        c = client(rec.url)
        with self.assertRaises(ClientError) as cm:
            c.stop_build(id="down:2")
        self.assertEqual(cm.exception.response["Error"]["Code"], "BadGatewayException")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 502)
        self.assertRegex(cm.exception.response["ResponseMetadata"]["RequestId"], "^%s$" % UUID_RE)
        self.assertIn(upstream, cm.exception.response["Error"]["Message"])
        rec.stop(signal.SIGINT, expect=0)
        err = rec.stderr()
        self.assertEqual(err.count("upstream %s failed for StopBuild: " % upstream), 3, err)
        self.assertIn(reason, err)
        self.assertIn("(answered 502)", err)
        self.assertIn("drift report: 0 exchanges recorded, 0 findings (0 requests and 0 answers "
                      "broke the contract), 3 upstream failures", rec.stdout())
        # nothing recorded
        header, xs, cut = read_cassette(cassette)
        self.assertEqual(xs, [])
        self.assertEqual(header["upstream"], upstream)


# ---- refusing to overwrite ------------------------------------------------------------------------


class OverwriteTest(MockTestCase):

    def record(self, cassette, upstream, mode, ids):
        args = ["--cassette", cassette, "--upstream", upstream.url] + mode
        rec = Recorder(*args)
        self.addCleanup(rec.cleanup)
        for i in ids:
            self.assertEqual(raw(rec.port, "StopBuild", '{"id": "o:%s"}' % i)[0], 200)
        rec.stop()
        return rec

    def test_modes(self):
        tmp = tempfile.mkdtemp(prefix="cbkit-overwrite-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cassette = os.path.join(tmp, "c.yaml")
        upstream = self.start_mock("--seed", "3")
        self.record(cassette, upstream, [], [1, 2])
        original = file_bytes(cassette)
        # refused
        r = run_cbkit("record", "--port", "0", "--cassette", cassette, "--upstream", upstream.url)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("already exists", r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertEqual(file_bytes(cassette), original)
        r = run_cbkit("record", "--port", "0", "--cassette", cassette, "--append", "--overwrite")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(file_bytes(cassette), original)
        # --append: numbering on
        self.record(cassette, upstream, ["--append"], [3])
        appended = file_bytes(cassette)
        self.assertEqual(appended[:len(original)], original)
        _, xs, _ = read_cassette(cassette)
        self.assertEqual([x["exchange"] for x in xs], [1, 2, 3])
        self.assertEqual([x["request"]["body"] for x in xs],
                         ['{"id": "o:%d"}' % i for i in (1, 2, 3)])
        self.assertEqual(appended.count(b"cbkit-cassette: 1"), 1)
        # --overwrite: a new cassette
        self.record(cassette, upstream, ["--overwrite"], [4])
        header, xs, _ = read_cassette(cassette)
        self.assertEqual([x["exchange"] for x in xs], [1])
        self.assertEqual(xs[0]["request"]["body"], '{"id": "o:4"}')
        self.assertNotIn(b"o:1", file_bytes(cassette))
        self.assertEqual(header["cbkit-cassette"], 1)


# ---- unmatched replay and --record-missing ------------------------------------------------------


class ReplayTest(MockTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cbkit-replay-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    ID1 = "my-app:11111111-2222-4333-8444-555555555555"
    ID2 = "my-app:11111111-2222-4333-8444-555555555556"

    def one_exchange(self, name):
        cassette = os.path.join(self.tmp, name)
        up = self.start_mock("--seed", "9")
        rec = Recorder("--cassette", cassette, "--upstream", up.url)
        self.addCleanup(rec.cleanup)
        client(rec.url).stop_build(id=self.ID1)
        rec.stop()
        up.stop()
        return cassette

    def test_unmatched_request(self):
        cassette = self.one_exchange("unmatched.yaml")
        _, xs, _ = read_cassette(cassette)
        line = xs[0]["_line"]
        mock = self.start_mock("--cassette", cassette)
        c = client(mock.url)
        self.assertEqual(c.stop_build(id=self.ID1)["build"]["id"], self.ID1)
        with self.assertRaises(ClientError) as cm:
            c.stop_build(id=self.ID2)
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], "UnmatchedRequestException")
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 404)
        near = ('closest recorded StopBuild: exchange 1 (line %d); differs at /id: "%s" recorded, '
                '"%s" now' % (line, self.ID1, self.ID2))
        self.assertEqual(err["Error"]["Message"],
                         "cbkit: no recorded exchange matches this StopBuild request (cassette "
                         "%s); %s" % (cassette, near))
        # another operation with the same body: nothing of it was recorded
        st, h, b = raw(mock.port, "RetryBuild", json.dumps({"id": self.ID1}))
        doc = self.assertAwsError(st, h, b, "UnmatchedRequestException", 404)
        self.assertIn("no exchange of RetryBuild was recorded", doc["message"])
        j = mock.settled_requests()["requests"]
        self.assertEqual([e["status"] for e in j], [200, 404, 404])
        self.assertEqual(j[0]["answeredBy"], "cassette %s#1" % cassette)
        self.assertEqual(j[1]["errorType"], "UnmatchedRequestException")
        self.assertEqual(j[1]["answeredBy"], "cassette (no match)")
        self.assertEqual(j[1].get("note"), near)
        self.assertEqual(j[2].get("note"), "no exchange of RetryBuild was recorded")
        self.assertEqual(j[0].get("note", ""), "")
        mock.stop()

    def test_record_missing(self):
        cassette = self.one_exchange("missing.yaml")
        before = file_bytes(cassette)
        other = self.start_mock("--seed", "21")
        mock = self.start_mock("--cassette", cassette, "--record-missing", "--upstream", other.url,
                               env=e2e.client_env())
        c = client(mock.url)
        # recorded: from the cassette, the other mock sees nothing
        self.assertEqual(c.stop_build(id=self.ID1)["build"]["id"], self.ID1)
        self.assertEqual(other.requests()["requests"], [])
        # missing: forwarded, recorded, appended
        first = c.stop_build(id=self.ID2)
        self.assertEqual(first["build"]["id"], self.ID2)
        self.assertEqual(len(other.settled_requests()["requests"]), 1)
        grown = file_bytes(cassette)
        self.assertGreater(len(grown), len(before))
        self.assertEqual(grown[:len(before)], before)
        _, xs, _ = read_cassette(cassette)
        self.assertEqual([x["exchange"] for x in xs], [1, 2])
        self.assertEqual(json.loads(xs[1]["request"]["body"]), {"id": self.ID2})
        # the same again: from the cassette now
        second = c.stop_build(id=self.ID2)
        self.assertIsNone(first_difference(
            {k: v for k, v in first.items() if k != "ResponseMetadata"},
            {k: v for k, v in second.items() if k != "ResponseMetadata"}))
        self.assertEqual(len(other.settled_requests()["requests"]), 1)
        self.assertEqual(file_bytes(cassette), grown)
        j = mock.settled_requests()["requests"]
        self.assertEqual([e["answeredBy"] for e in j],
                         ["cassette %s#1" % cassette, "upstream (recorded as #2)",
                          "cassette %s#2" % cassette])
        self.assertIn("differs at /id", j[1].get("note", ""))
        # a forwarded answer keeps the upstream's request id: one header, the upstream's own
        conn = http.client.HTTPConnection("127.0.0.1", mock.port, timeout=CLIENT_TIMEOUT)
        conn.request("POST", "/", body=json.dumps({"id": self.ID1 + "7"}).encode(),
                     headers={"Content-Type": CT, "X-Amz-Target": e2e.op_target("StopBuild")})
        r = conn.getresponse()
        r.read()
        ids = [v for k, v in r.getheaders() if k.lower() == "x-amzn-requestid"]
        conn.close()
        self.assertEqual(r.status, 200)
        self.assertEqual(len(ids), 1, r.getheaders())
        self.assertEqual(ids[0], other.settled_requests()["requests"][-1]["requestId"])
        self.assertEqual(mock.settled_requests()["requests"][-1]["requestId"], ids[0])
        mock.stop()
        other.stop()
        # and a fresh replay has both
        replay = self.start_mock("--cassette", cassette)
        self.assertEqual(client(replay.url).stop_build(id=self.ID2)["build"]["id"], self.ID2)
        replay.stop()


# ---- drift ----------------------------------------------------------------------------------------


class _DriftingService(http.server.BaseHTTPRequestHandler):
    """A service newer (or buggier) than the spec: RetryBuild answers carry an unknown member
    and a string where the spec says integer."""

    protocol_version = "HTTP/1.1"
    ANSWER = json.dumps({"build": {"id": "drift:1", "buildNumber": "seven",
                                   "buildStatus": "IN_PROGRESS", "hostKernel": "6.1.0"}}).encode()

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        self.send_response(200)
        self.send_header("Content-Type", CT)
        self.send_header("x-amzn-RequestId", "11111111-2222-4333-8444-555555555555")
        self.send_header("Content-Length", str(len(self.ANSWER)))
        self.end_headers()
        self.wfile.write(self.ANSWER)

    def log_message(self, fmt, *args):
        pass


class DriftTest(MockTestCase):

    def setUp(self):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _DriftingService)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.addCleanup(self.thread.join, 30)
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.upstream = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.tmp = tempfile.mkdtemp(prefix="cbkit-drift-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_drift_report(self):
        cassette = os.path.join(self.tmp, "drift.yaml")
        report = os.path.join(self.tmp, "drift.json")
        rec = Recorder("--cassette", cassette, "--upstream", self.upstream, "--drift-report",
                       report, "--fail-on-drift")
        self.addCleanup(rec.cleanup)
        r = client(rec.url).retry_build(id="drift:1")
        self.assertEqual(r["build"]["buildNumber"], "seven")  # the answer, unchanged
        rec.stop(expect=1)
        out = rec.stdout()
        self.assertIn("drift report: 1 exchanges recorded, 2 findings (0 requests and 1 answers "
                      "broke the contract), 0 upstream failures\n", out)
        self.assertRegex(out, r"(?m)^  exchange 1 RetryBuild response: /build/buildNumber: .+ "
                              r"\[type\]$")
        self.assertRegex(out, r"(?m)^  exchange 1 RetryBuild response: warning: /build/hostKernel: "
                              r".*hostKernel.* \[unknown\]$")
        self.assertIn("1 upstream answer broke the contract (--fail-on-drift)", rec.stderr())
        with open(report) as f:
            doc = json.load(f)
        self.assertEqual(doc["upstream"], self.upstream)
        self.assertEqual(doc["exchanges"], 1)
        self.assertEqual(doc["responseViolations"], 1)
        self.assertEqual(doc["requestViolations"], 0)
        self.assertEqual(doc["upstreamFailures"], 0)
        got = sorted((f["path"], f["rule"], f["warning"], f["direction"], f["exchange"],
                      f["operation"]) for f in doc["findings"])
        self.assertEqual(got, [("/build/buildNumber", "type", False, "response", 1, "RetryBuild"),
                               ("/build/hostKernel", "unknown", True, "response", 1,
                                "RetryBuild")])
        # the cassette keeps the findings with the exchange
        _, xs, _ = read_cassette(cassette)
        v = xs[0]["validation"]
        self.assertEqual(v["request"], "valid")
        self.assertFalse(v["response"]["valid"])
        self.assertEqual(sorted(f["path"] for f in v["response"]["findings"]),
                         ["/build/buildNumber", "/build/hostKernel"])
        # without --fail-on-drift the same drift is reported, exit 0
        rec = Recorder("--cassette", cassette, "--append", "--upstream", self.upstream)
        self.addCleanup(rec.cleanup)
        client(rec.url).retry_build(id="drift:1")
        rec.stop(expect=0)
        self.assertIn("  exchange 2 RetryBuild response: /build/buildNumber: ", rec.stdout())

    def test_no_drift_exit_0_with_fail_on_drift(self):
        """Only answers that break the contract fail the run: a clean session exits 0."""
        up = self.start_mock("--seed", "1")
        cassette = os.path.join(self.tmp, "clean.yaml")
        report = os.path.join(self.tmp, "clean.json")
        rec = Recorder("--cassette", cassette, "--upstream", up.url, "--fail-on-drift",
                       "--drift-report", report)
        self.addCleanup(rec.cleanup)
        client(rec.url).retry_build(id="clean:1")
        rec.stop(expect=0)
        with open(report) as f:
            doc = json.load(f)
        self.assertEqual((doc["exchanges"], doc["findings"]), (1, []))

    def test_unwritable_drift_report_is_an_io_error(self):
        """The cassette is kept; the unwritable report is named and the exit status is 4."""
        up = self.start_mock("--seed", "1")
        cassette = os.path.join(self.tmp, "kept.yaml")
        report = os.path.join(self.tmp, "no-such-dir", "drift.json")
        rec = Recorder("--cassette", cassette, "--upstream", up.url, "--drift-report", report)
        self.addCleanup(rec.cleanup)
        client(rec.url).retry_build(id="kept:1")
        rec.stop(expect=4)  # CLI_IO (docs/exit-codes.md)
        self.assertIn("cannot write '%s': No such file or directory" % report, rec.stderr())
        header, xs, cut = read_cassette(cassette)
        self.assertEqual(len(xs), 1)


if __name__ == "__main__":
    unittest.main()
