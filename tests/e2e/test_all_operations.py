"""Every operation of a spec is validated and answered (issue 10, sections 5 and 8).

- Raw HTTP: a minimal valid request (its required members, each value within its constraints)
  of every operation gets 200, and the body is valid, strictly, against the operation's output
  shape (checked by `cbkit validate --response --strict`). Two specs: the bundled CodeBuild
  spec (all 59 operations) and CloudWatch Logs (113 operations), imported at test time from the
  copy of the model in spec/logs/model/ with `cbkit spec import` and served with `--spec`.
- Debian's boto3: every CodeBuild operation its (older) model has is called with the minimal
  request; it gets 200 and boto3 parses exactly what the mock sent (a second mock with the same
  seed, asked the same requests raw, gives the bytes to compare with).
- Invalid requests: for every constrained member of every CodeBuild operation's input (length,
  range, enum, pattern, required, list caps; nested members too), a request breaking that one
  constraint, signed with SigV4 and sent raw to a mock that checks signatures (no client-side
  validation), gets 400 InvalidInputException whose message names the member by AWS's path.
"""

import base64
import datetime
import http.client
import json
import os
import subprocess
import tempfile
import unittest

import allops
import cbkit_e2e as e2e


def logs_model():
    return os.path.join(allops.source_dir(), "spec", "logs", "model", "logs-botocore-1.43.11.json")


def import_logs(testcase):
    """Import the CloudWatch Logs model with `cbkit spec import`; the spec's path."""
    tmp = tempfile.mkdtemp(prefix="cbkit-logs-")
    spec_path = os.path.join(tmp, "logs.yaml")
    p = subprocess.run([e2e.cbkit_path(), "spec", "import", logs_model(), "-o", spec_path],
                       capture_output=True, text=True, timeout=e2e.CLI_TIMEOUT)
    testcase.assertEqual(p.returncode, 0, p.stderr)
    testcase.assertEqual(p.stderr, "")
    return spec_path


def validate_response(testcase, spec_path, op, data):
    p = subprocess.run([e2e.cbkit_path(), "validate", "--spec", spec_path, "--op", op,
                        "--response", "--strict", "-"],
                       input=data, capture_output=True, timeout=e2e.CLI_TIMEOUT)
    testcase.assertEqual(p.returncode, 0, "%s answered %s\n%s" % (
        op, data[:400], p.stdout.decode(errors="replace")))


def normalize(v):
    """A value parsed by botocore as the JSON the mock sent: datetimes as epoch seconds, blobs
    as base64."""
    if isinstance(v, dict):
        return {k: normalize(x) for k, x in v.items()}
    if isinstance(v, list):
        return [normalize(x) for x in v]
    if isinstance(v, datetime.datetime):
        return round(v.timestamp(), 3)
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(v).decode()
    return v


def known_part(value, shape):
    """The part of the JSON 'value' that botocore's output 'shape' knows (members of newer
    models are dropped by the older client), timestamps rounded as normalize() does."""
    if shape is None:
        return value
    t = shape.type_name
    if t == "structure" and isinstance(value, dict):
        return {k: known_part(v, shape.members[k]) for k, v in value.items() if k in shape.members}
    if t == "list" and isinstance(value, list):
        return [known_part(v, shape.member) for v in value]
    if t == "map" and isinstance(value, dict):
        return {k: known_part(v, shape.value) for k, v in value.items()}
    if t == "timestamp" and isinstance(value, (int, float)):
        return round(float(value), 3)
    return value


class AllOperations(e2e.MockTestCase):
    def check_spec(self, spec_path, mock_args):
        spec = allops.Spec(allops.load_spec(spec_path))
        m = self.start_mock(*mock_args)
        for name in spec.ops:
            with self.subTest(operation=name):
                body = json.dumps(spec.request(name))
                status, headers, data = m.raw(body, target=spec.prefix + "." + name,
                                              content_type=spec.content_type)
                self.assertEqual(status, 200, "%s %s -> %s" % (name, body, data[:400]))
                validate_response(self, spec_path, name, data)
        return m

    def test_codebuild_bundled(self):
        spec_path = allops.bundled_spec_path()
        self.assertEqual(len(allops.load_spec(spec_path)["operations"]), 59)
        self.check_spec(spec_path, [])

    def test_logs_imported(self):
        spec_path = import_logs(self)
        self.assertEqual(len(allops.load_spec(spec_path)["operations"]), 113)
        m = self.check_spec(spec_path, ["--spec", spec_path])
        # a real client: Debian's boto3 reads the generated answer
        e2e.require_debian_python()
        import boto3
        e2e.use_client_env()
        logs = boto3.session.Session().client("logs", endpoint_url=m.url, region_name="us-east-1")
        self.addCleanup(logs.close)
        out = logs.describe_log_groups(logGroupNamePrefix="app")
        self.assertEqual(out["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertIsInstance(out.get("logGroups", []), list)


class Boto3AllOperations(e2e.MockTestCase):
    """Every CodeBuild operation of Debian's botocore model, through boto3."""

    def test_every_operation_of_the_boto3_model(self):
        e2e.require_debian_python()
        import boto3
        import botocore.config
        e2e.use_client_env()
        spec = allops.Spec(allops.load_spec(allops.bundled_spec_path()))
        session = boto3.session.Session()
        model = session._session.get_service_model("codebuild")
        ops = [op for op in model.operation_names if op in spec.ops]
        # every operation of the old model is one of the spec's
        self.assertEqual(sorted(ops), sorted(model.operation_names))
        self.assertGreaterEqual(len(ops), 40)
        # the same seed, the same requests in the same order: the same answers
        via_boto3 = self.start_mock("--seed", "10")
        via_raw = self.start_mock("--seed", "10")
        client = session.client("codebuild", endpoint_url=via_boto3.url, region_name="us-east-1",
                                config=botocore.config.Config(retries={"total_max_attempts": 1}))
        self.addCleanup(client.close)
        for name in ops:
            with self.subTest(operation=name):
                req = spec.request(name)
                out = getattr(client, allops.lower_first(name))(**req)
                self.assertEqual(out["ResponseMetadata"]["HTTPStatusCode"], 200)
                out.pop("ResponseMetadata")
                status, _, data = via_raw.raw(json.dumps(req), target=spec.prefix + "." + name)
                self.assertEqual(status, 200, data[:400])
                sent = known_part(json.loads(data), model.operation_model(name).output_shape)
                self.assertEqual(normalize(out), sent)
        # what boto3 sent was valid, every time
        journal = via_boto3.settled_requests()["requests"]
        self.assertEqual([e["operation"] for e in journal], ops)
        self.assertEqual({e["verdict"] for e in journal}, {"valid"})


class InvalidRequests(e2e.MockTestCase):
    """One invalid request per constrained member of every CodeBuild operation's input."""

    def test_each_constraint_is_named(self):
        e2e.require_debian_python()
        import botocore.auth
        import botocore.awsrequest
        import botocore.credentials
        spec = allops.Spec(allops.load_spec(allops.bundled_spec_path()))
        m = self.start_mock("--sigv4", env=e2e.client_env())
        creds = botocore.credentials.Credentials(e2e.CLIENT_ENV["AWS_ACCESS_KEY_ID"],
                                                 e2e.CLIENT_ENV["AWS_SECRET_ACCESS_KEY"])
        conn = http.client.HTTPConnection("127.0.0.1", m.port, timeout=e2e.HTTP_TIMEOUT)
        self.addCleanup(conn.close)
        cases = 0
        ops_with_constraints = 0
        kinds = set()
        for name in spec.ops:
            members = spec.constrained(name)
            if members:
                ops_with_constraints += 1
            for path, aws_path, kind, value in members:
                body = json.dumps(spec.invalid_request(name, path, value))
                req = botocore.awsrequest.AWSRequest(
                    method="POST", url=m.url + "/", data=body.encode(),
                    headers={"Content-Type": e2e.CT, "X-Amz-Target": spec.prefix + "." + name})
                botocore.auth.SigV4Auth(creds, "codebuild", "us-east-1").add_auth(req)
                conn.request("POST", "/", body=body.encode(), headers=dict(req.headers.items()))
                r = conn.getresponse()
                data = r.read()
                cases += 1
                kinds.add(kind)
                with self.subTest(operation=name, member=aws_path, constraint=kind):
                    self.assertEqual(r.status, 400, "%s %s -> %s" % (name, body[:300], data[:300]))
                    doc = json.loads(data)
                    self.assertEqual(doc["__type"], "InvalidInputException", data[:300])
                    self.assertIn("at '%s' failed to satisfy constraint" % aws_path,
                                  doc["message"], body[:300])
        # every kind of constraint the spec has was tried, on most operations
        self.assertEqual(kinds, {"required", "min", "max", "enum", "pattern"})
        self.assertGreaterEqual(ops_with_constraints, 50)
        self.assertGreater(cases, 500)
        print("%d invalid requests, %d operations with constrained members"
              % (cases, ops_with_constraints))


if __name__ == "__main__":
    unittest.main()
