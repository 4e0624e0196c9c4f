"""The mock's wire answers replayed through real botocore (Debian 1.29) with the CodeBuild
service model from botocore's own loader, next to botocore's awsJson1_1 output protocol vectors
($CBK_SHARED_DIR/vectors/botocore-protocol-tests/output-json.json; skipped when absent).

cbkit's own error reading (cbk_wire_parse_error) is checked against every error vector by the
CMocka test tests/unit/test_wire.c. Here:

 - every kind of error answer the mock sends (real answers over a socket) parses, through
   botocore's JSON parser, to Code == the body's __type and Message == its message, with the
   request id and status in ResponseMetadata;
 - the error vectors botocore itself runs agree with Debian's botocore, except the ':URI'
   suffix that botocore < 1.36.22 does not strip: the reason the mock sends bare names;
 - the empty and unknown-member output vectors: each vector body parses to {} against every
   CodeBuild output shape; real mock success answers parse, keep their values, and drop
   members injected from those vectors (unknown members, nulls); empty bodies parse to {}.

Run with /usr/bin/python3.
"""

import copy
import datetime
import json
import os
import unittest

import cbkit_e2e as e2e
from cbkit_e2e import MockTestCase

e2e.use_client_env()

import botocore  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.model  # noqa: E402
import botocore.parsers  # noqa: E402
import botocore.session  # noqa: E402

# botocore tests/unit/protocols/protocol-tests-ignore-list.json, "json" -> "output"
BOTOCORE_IGNORED = {
    "AwsJson11FooErrorUsingXAmznErrorType",
    "AwsJson11FooErrorUsingXAmznErrorTypeWithUri",
    "AwsJson11FooErrorUsingXAmznErrorTypeWithUriAndNamespace",
    "AwsJson11FooErrorUsingCode",
    "AwsJson11FooErrorUsingCodeAndNamespace",
    "AwsJson11FooErrorUsingCodeUriAndNamespace",
}
# output cases about empty bodies and members the shape does not have
EMPTY_OR_UNKNOWN = {
    "handles_empty_output_shape",
    "handles_unexpected_json_output",
    "json_1_1_service_responds_with_no_payload",
    "parses_operations_with_empty_json_bodies",
    "AwsJson11StructuresDontDeserializeNullValues",
}
OPERATIONS = ("RetryBuild", "StopBuild", "StartBuildBatch")


def setUpModule():
    e2e.require_debian_python()


def vectors_path():
    d = e2e.shared_dir()
    p = os.path.join(d, "vectors", "botocore-protocol-tests", "output-json.json") if d else ""
    return p if p and os.path.exists(p) else None


def vector_cases():
    with open(vectors_path()) as f:
        suites = json.load(f)
    for suite in suites:
        for case in suite["cases"]:
            yield case


def botocore_version():
    return tuple(int(x) for x in botocore.__version__.split(".")[:3])


class Botocore:
    """botocore's JSON parser and the CodeBuild model it ships."""

    def __init__(self):
        session = botocore.session.get_session()
        loader = session.get_component("data_loader")
        self.model = botocore.model.ServiceModel(
            loader.load_service_model("codebuild", "service-2"), "codebuild")
        self.parser = botocore.parsers.create_parser("json")

    def output_shape(self, op):
        return self.model.operation_model(op).output_shape

    def parse(self, op, status, headers, body):
        hd = botocore.awsrequest.HeadersDict()
        for k, v in headers.items():
            hd[k] = v
        resp = {"status_code": status, "headers": hd,
                "body": body if isinstance(body, bytes) else body.encode()}
        return self.parser.parse(resp, self.output_shape(op) if op else None)


def strip_meta(parsed):
    p = dict(parsed)
    p.pop("ResponseMetadata", None)
    return p


class ErrorVectors(unittest.TestCase):

    def setUp(self):
        if not vectors_path():
            self.skipTest("no protocol vectors (CBK_SHARED_DIR)")
        self.bc = Botocore()

    def test_botocore_agrees_with_the_vectors(self):
        checked = 0
        strips_uri = botocore_version() >= (1, 36, 22)
        for case in vector_cases():
            if "errorCode" not in case or case["id"] in BOTOCORE_IGNORED:
                continue
            with self.subTest(case["id"]):
                r = case["response"]
                parsed = self.bc.parse(None, r["status_code"], r.get("headers", {}),
                                       r.get("body", ""))
                want = case["errorCode"]
                raw_type = json.loads(r["body"]).get("__type", "") if r.get("body") else ""
                if ":" in raw_type and not strips_uri:
                    # Debian's botocore keeps the ':URI' suffix (reference §2.3): a decorated
                    # __type would not map to the modeled exception there
                    want = raw_type.rsplit("#", 1)[-1]
                    self.assertNotEqual(want, case["errorCode"])
                self.assertEqual(parsed["Error"]["Code"], want)
                self.assertEqual(parsed["Error"]["Message"], case.get("errorMessage", ""))
                checked += 1
        self.assertGreaterEqual(checked, 6)


class MockErrorsThroughBotocore(MockTestCase):

    def setUp(self):
        self.bc = Botocore()

    def collect(self):
        """(label, operation, status, headers, body) of every kind of error the mock sends."""
        out = []
        with self.start_mock("--world", "strict", "--max-body", "1k") as m:
            def add(label, op, body, **kw):
                st, h, b = m.raw(body, target=kw.pop("target", op), **kw)
                out.append((label, op, st, h, b))
            add("contract violation", "StartBuildBatch",
                b'{"projectName":"p","buildTimeoutInMinutesOverride":2161}')
            add("several violations", "StartBuildBatch",
                b'{"projectName":"","environmentVariablesOverride":[{"name":"x"}]}')
            add("missing required", "StopBuild", b"{}")
            add("unknown build", "RetryBuild", b'{"id":"nobody:1"}')
            add("unknown project", "StartBuildBatch", b'{"projectName":"nobody"}')
            add("bad build id", "StopBuild", b'{"id":"no-colon"}')
            add("malformed JSON", "RetryBuild", b'{"id": ')
            add("unknown operation", "RetryBuild", b"{}", target="CodeBuild_20161006.Nope")
            add("missing target", "RetryBuild", b"{}", target=None)
            add("wrong content type", "RetryBuild", b"{}", content_type="application/json")
            add("method", "RetryBuild", None, method="GET", content_type=None)
            add("path", "RetryBuild", b"{}", path="/nope")
            add("too large", "RetryBuild", b'{"id":"' + b"x" * 2048 + b'"}')
        with self.start_mock("--seed", "3") as m:
            m.raw(b'{"id":"i:1","idempotencyToken":"t"}', target="RetryBuild")
            st, h, b = m.raw(b'{"id":"i:2","idempotencyToken":"t"}', target="RetryBuild")
            out.append(("idempotency", "RetryBuild", st, h, b))
        return out

    def test_every_error_kind(self):
        answers = self.collect()
        kinds = set()
        for label, op, st, h, b in answers:
            with self.subTest(label):
                doc = json.loads(b)
                self.assertGreaterEqual(st, 400)
                parsed = self.bc.parse(op, st, h, b)
                self.assertEqual(parsed["Error"]["Code"], doc["__type"])
                self.assertEqual(parsed["Error"]["Message"], doc["message"])
                self.assertEqual(parsed["ResponseMetadata"]["HTTPStatusCode"], st)
                self.assertEqual(parsed["ResponseMetadata"]["RequestId"], h["x-amzn-requestid"])
                # the header (Smithy, JS SDKs) and the body (botocore) name the same error
                self.assertEqual(h["x-amzn-errortype"], doc["__type"])
                kinds.add((doc["__type"], st))
        self.assertEqual(kinds, {
            ("InvalidInputException", 400), ("ResourceNotFoundException", 400),
            ("SerializationException", 400), ("UnknownOperationException", 400),
            ("MethodNotAllowedException", 405), ("UnknownOperationException", 404),
            ("RequestEntityTooLargeException", 413),
            ("IdempotentParameterMismatchException", 400)})


class SuccessBodies(MockTestCase):

    def setUp(self):
        self.bc = Botocore()

    def answers(self):
        with self.start_mock("--seed", "11") as m:
            out = []
            for op, body in (("RetryBuild", b'{"id":"pv:1"}'),
                             ("StopBuild", b'{"id":"pv:2"}'),
                             ("StartBuildBatch",
                              b'{"projectName":"pv","buildTimeoutInMinutesOverride":120,'
                              b'"environmentVariablesOverride":[{"name":"A","value":"b"}]}')):
                st, h, b = m.raw(body, target=op)
                self.assertEqual(st, 200, b)
                out.append((op, h, b))
            return out

    def test_answers_parse_with_the_codebuild_model(self):
        for op, h, b in self.answers():
            with self.subTest(op):
                parsed = self.bc.parse(op, 200, h, b)
                doc = json.loads(b)
                member = "buildBatch" if op == "StartBuildBatch" else "build"
                self.assertEqual(set(strip_meta(parsed)), {member})
                item, raw = parsed[member], doc[member]
                self.assertEqual(item["id"], raw["id"])
                self.assertEqual(item["arn"], raw["arn"])
                self.assertIsInstance(item["startTime"], datetime.datetime)
                self.assertAlmostEqual(item["startTime"].timestamp(), raw["startTime"], places=3)
                self.assertEqual(parsed["ResponseMetadata"]["RequestId"], h["x-amzn-requestid"])
                # everything the mock sends is in botocore's 2022 model, except what the
                # 2022 model lacks; nothing is lost silently beyond that
                shape = self.bc.output_shape(op).members[member]
                unknown = set(raw) - set(shape.members)
                self.assertEqual(set(item), set(raw) - unknown)

    def test_unknown_members_and_nulls_are_dropped(self):
        extras = []
        for case in vector_cases() if vectors_path() else []:
            if case["id"] in EMPTY_OR_UNKNOWN and case["response"].get("body", "").strip():
                extras.append(json.loads(case["response"]["body"]))
        extras.append({"cbkitUnknown": {"nested": [1, 2, {"x": None}]}, "alsoNull": None})
        for op, h, b in self.answers():
            member = "buildBatch" if op == "StartBuildBatch" else "build"
            base = strip_meta(self.bc.parse(op, 200, h, b))
            for extra in extras:
                with self.subTest(op=op, extra=extra):
                    doc = json.loads(b)
                    doc.update(copy.deepcopy(extra))       # top level
                    doc[member].update(copy.deepcopy(extra))  # inside the build or batch
                    parsed = strip_meta(self.bc.parse(op, 200, h, json.dumps(doc)))
                    self.assertEqual(parsed, base)

    def test_empty_and_unknown_vector_bodies(self):
        if not vectors_path():
            self.skipTest("no protocol vectors (CBK_SHARED_DIR)")
        seen = set()
        for case in vector_cases():
            if case["id"] not in EMPTY_OR_UNKNOWN:
                continue
            seen.add(case["id"])
            r = case["response"]
            for op in OPERATIONS:
                with self.subTest(case=case["id"], op=op):
                    parsed = self.bc.parse(op, r["status_code"], r.get("headers", {}),
                                           r.get("body", ""))
                    self.assertEqual(strip_meta(parsed), case["result"])
                    self.assertEqual(parsed["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(seen, EMPTY_OR_UNKNOWN)

    def test_empty_bodies(self):
        for body in (b"{}", b""):
            for op in OPERATIONS:
                with self.subTest(op=op, body=body):
                    parsed = self.bc.parse(op, 200, {"x-amzn-RequestId": "r-1"}, body)
                    self.assertEqual(strip_meta(parsed), {})
                    self.assertEqual(parsed["ResponseMetadata"]["RequestId"], "r-1")


if __name__ == "__main__":
    unittest.main()
