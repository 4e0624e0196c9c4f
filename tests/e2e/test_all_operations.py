"""Every operation of a spec is answered: a minimal valid request (its required members, each
value within its constraints) sent over a real socket gets 200, and the body is valid, strictly,
against the operation's output shape (checked by `cbkit validate --response --strict`).

Two specs: the bundled CodeBuild spec (all 59 operations) and CloudWatch Logs (113 operations),
imported at test time from ../shared/models with `cbkit spec import` and served with
`cbkit mock --spec` (skipped when the shared models are not there). One Logs operation also goes
through Debian's boto3, which must parse the answer.
"""

import json
import os
import re
import subprocess
import tempfile
import unittest

import yaml

import cbkit_e2e as e2e

# Strings tried, in order, for a required string member with a pattern.
CANDIDATES = ("example", "example1", "a1", "ab", "a", "1", "0", "arn:aws:logs:us-east-1:123456789012:x",
              "s3://example-bucket", "https://example.com", "1.0", "123456789012",
              "a" * 36)


# The mock's model of builds and batches (RetryBuild, StopBuild, RetryBuildBatch,
# StopBuildBatch) needs an id of the form project:uuid, as CodeBuild does; the ids of RetryBuild
# and RetryBuildBatch are optional in the spec but required by the service.
EXTRA = {"RetryBuild": {"id": "my-app:0f0e0d0c-0000-4000-8000-000000000002"},
         "StopBuild": {"id": "my-app:0f0e0d0c-0000-4000-8000-000000000002"},
         "RetryBuildBatch": {"id": "my-app:0f0e0d0c-0000-4000-8000-000000000003"},
         "StopBuildBatch": {"id": "my-app:0f0e0d0c-0000-4000-8000-000000000004"}}


def py_pattern(p):
    """A PCRE2 pattern of the models as Python re understands it: its Unicode classes (used
    inside [...] in the models) narrowed to ASCII, enough to pick a value."""
    p = p.replace(r"\p{L}", "a-zA-Z").replace(r"\p{N}", "0-9").replace(r"\p{Z}", " ")
    return re.compile(p)


class MinimalRequests:
    """Minimal valid requests built from a spec (the YAML, read with PyYAML)."""

    def __init__(self, spec):
        self.shapes = spec["shapes"]

    def string(self, c):
        if "enum" in c:
            return c["enum"][0]
        lo, hi = c.get("min", 0), c.get("max")
        cands = CANDIDATES if "pattern" in c else ("example",)
        for s in cands:
            s = s + "x" * max(0, lo - len(s))
            if hi is not None and len(s) > hi:
                s = s[:hi]
            if len(s) >= lo and ("pattern" not in c or py_pattern(c["pattern"]).search(s)):
                return s
        raise AssertionError("no candidate string fits %r" % (c,))

    def value(self, member, depth=0):
        sh = self.shapes[member["shape"]]
        c = dict(sh)
        c.update({k: v for k, v in member.items() if k in ("min", "max", "enum", "pattern")})
        t = sh["type"]
        if t == "structure":
            return {r: self.value(sh["members"][r], depth + 1) for r in sh.get("required", [])}
        if t == "list":
            return [self.value(sh["member"], depth + 1) for _ in range(c.get("min", 0))]
        if t == "map":
            n = c.get("min", 0)
            return {self.value(sh["key"]) + str(i): self.value(sh["value"], depth + 1)
                    for i in range(n)}
        if t == "string":
            return self.string(c)
        if t in ("integer", "long"):
            return max(c.get("min", 1), min(1, c.get("max", 1)))
        if t in ("double", "float"):
            return float(max(c.get("min", 1), min(1, c.get("max", 1))))
        if t == "boolean":
            return False
        if t == "timestamp":
            return 1700000000
        if t == "blob":
            return "ZXhhbXBsZQ=="
        if t == "document":
            return {}
        raise AssertionError("unknown type %s" % t)

    def request(self, op):
        return self.value({"shape": op["input"]})


class AllOperations(e2e.MockTestCase):
    def check_spec(self, spec_path, mock_args):
        with open(spec_path, encoding="utf-8") as f:
            spec = yaml.safe_load(f)
        gen = MinimalRequests(spec)
        prefix = spec["metadata"]["targetPrefix"] + "."
        ct = "application/x-amz-json-%s" % spec["metadata"]["jsonVersion"]
        m = self.start_mock(*mock_args)
        for name, op in spec["operations"].items():
            with self.subTest(operation=name):
                req = gen.request(op)
                if spec_path.endswith("2016-10-06.yaml"):
                    req.update(EXTRA.get(name, {}))
                body = json.dumps(req)
                status, headers, data = m.raw(body, target=prefix + name, content_type=ct)
                self.assertEqual(status, 200, "%s %s -> %s" % (name, body, data[:400]))
                p = subprocess.run([e2e.cbkit_path(), "validate", "--spec", spec_path, "--op", name,
                                    "--response", "--strict", "-"],
                                   input=data, capture_output=True, timeout=e2e.CLI_TIMEOUT)
                self.assertEqual(p.returncode, 0, "%s answered %s\n%s" % (
                    name, data[:400], p.stdout.decode(errors="replace")))
        return m

    def test_codebuild_bundled(self):
        src = os.environ.get("CBK_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
        spec_path = os.path.join(src, "spec", "codebuild", "2016-10-06.yaml")
        with open(spec_path, encoding="utf-8") as f:
            self.assertEqual(len(yaml.safe_load(f)["operations"]), 59)
        self.check_spec(spec_path, [])

    def test_logs_imported(self):
        model = os.path.join(e2e.shared_dir(), "models", "logs-botocore-1.43.11.json")
        if not e2e.shared_dir() or not os.path.exists(model):
            raise unittest.SkipTest("the CloudWatch Logs model is not in ../shared/models")
        spec_path = os.path.join(tempfile.mkdtemp(prefix="cbkit-logs-"), "logs.yaml")
        p = subprocess.run([e2e.cbkit_path(), "spec", "import", model, "-o", spec_path],
                           capture_output=True, text=True, timeout=e2e.CLI_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        with open(spec_path, encoding="utf-8") as f:
            self.assertEqual(len(yaml.safe_load(f)["operations"]), 113)
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


if __name__ == "__main__":
    unittest.main()
