"""Every CodeBuild operation through the AWS SDK for JavaScript v3 (issue 10, section 8).

@aws-sdk/client-codebuild, pinned in tests/js/package-lock.json (scripts/setup.sh installs it
with `npm ci`), sends the minimal valid request of each of the 59 operations (built from the
spec: tests/e2e/allops.py) to a mock, through tests/js/all_operations.mjs. Each gets 200, the
SDK parses it, and what it parsed is what the mock sent: a second mock with the same seed,
asked the same requests raw, gives the bytes to compare with. The journal shows every SDK
request valid. Also: an invalid request (the SDK does not validate) gets 400
InvalidInputException, which the SDK reports by name; and @aws-sdk/client-cloudwatch-logs
talks to CloudWatch Logs served beside CodeBuild on the same endpoint.

Node.js is found on PATH; the test is skipped, saying why, only when node or the SDK's
node_modules are absent.
"""

import json
import os
import shutil
import subprocess
import unittest

import allops
import cbkit_e2e as e2e

JS_DIR = os.path.join(allops.source_dir(), "tests", "js")
SCRIPT = os.path.join(JS_DIR, "all_operations.mjs")


def node():
    exe = shutil.which("node")
    if not exe:
        raise unittest.SkipTest("node is not on PATH (scripts/setup.sh installs Node.js)")
    if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-codebuild")):
        raise unittest.SkipTest("tests/js/node_modules is missing: run `npm ci` in tests/js "
                                "(scripts/setup.sh does)")
    return exe


def run_js(endpoint, client, requests):
    """Send 'requests' [(op, input)] through the JS SDK; [result dict] in order."""
    job = {"endpoint": endpoint, "region": "us-east-1", "client": client,
           "accessKeyId": e2e.CLIENT_ENV["AWS_ACCESS_KEY_ID"],
           "secretAccessKey": e2e.CLIENT_ENV["AWS_SECRET_ACCESS_KEY"],
           "requests": [{"op": op, "input": inp} for op, inp in requests]}
    p = subprocess.run([node(), SCRIPT], input=json.dumps(job), capture_output=True, text=True,
                       cwd=JS_DIR, env=e2e.client_env(), timeout=e2e.CLI_TIMEOUT * 2)
    if p.returncode != 0:
        raise AssertionError("node %s exited %d: %s" % (SCRIPT, p.returncode, p.stderr[-2000:]))
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def close_enough(sdk, raw, path="", diffs=None):
    """Differences between the SDK's parse and the JSON the mock sent: the SDK turns epoch
    timestamps into Dates (printed back as seconds), otherwise everything must be the same."""
    diffs = [] if diffs is None else diffs
    if isinstance(raw, dict) and isinstance(sdk, dict):
        for k in set(raw) | set(sdk):
            if k not in sdk:
                diffs.append("%s/%s: sent, not parsed" % (path, k))
            elif k not in raw:
                diffs.append("%s/%s: parsed, not sent" % (path, k))
            else:
                close_enough(sdk[k], raw[k], "%s/%s" % (path, k), diffs)
    elif isinstance(raw, list) and isinstance(sdk, list) and len(raw) == len(sdk):
        for i, (a, b) in enumerate(zip(sdk, raw)):
            close_enough(a, b, "%s/%d" % (path, i), diffs)
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool) and \
            isinstance(sdk, (int, float)) and not isinstance(sdk, bool):
        if abs(float(raw) - float(sdk)) > 0.0005:
            diffs.append("%s: %r != %r" % (path, sdk, raw))
    elif sdk != raw:
        diffs.append("%s: %r != %r" % (path, sdk, raw))
    return diffs


class JsAllOperations(e2e.MockTestCase):
    def test_every_operation(self):
        node()
        spec = allops.Spec(allops.load_spec(allops.bundled_spec_path()))
        self.assertEqual(len(spec.ops), 59)
        requests = [(name, spec.request(name)) for name in spec.ops]
        via_js = self.start_mock("--seed", "11")
        via_raw = self.start_mock("--seed", "11")
        results = run_js(via_js.url, "codebuild", requests)
        self.assertEqual([r["op"] for r in results], list(spec.ops))
        for (name, req), r in zip(requests, results):
            with self.subTest(operation=name):
                self.assertTrue(r["ok"], r)
                self.assertEqual(r["status"], 200)
                status, _, data = via_raw.raw(json.dumps(req), target=spec.prefix + "." + name)
                self.assertEqual(status, 200, data[:300])
                diffs = close_enough(r["output"], json.loads(data))
                self.assertEqual(diffs, [], name)
        journal = via_js.settled_requests()["requests"]
        self.assertEqual([e["operation"] for e in journal], list(spec.ops))
        self.assertEqual({e["verdict"] for e in journal}, {"valid"})
        self.assertTrue(all(e["userAgent"].find("aws-sdk-js") >= 0 for e in journal),
                        journal[0]["userAgent"])

    def test_an_invalid_request_is_named(self):
        node()
        m = self.start_mock()
        results = run_js(m.url, "codebuild", [
            ("StartBuild", {"projectName": "my-app", "timeoutInMinutesOverride": 4}),
            ("BatchGetProjects", {"names": []}),
        ])
        self.assertFalse(results[0]["ok"])
        self.assertEqual(results[0]["status"], 400)
        self.assertEqual(results[0]["name"], "InvalidInputException")
        self.assertIn("at 'timeoutInMinutesOverride' failed to satisfy constraint",
                      results[0]["message"])
        self.assertEqual(results[1]["name"], "InvalidInputException")
        self.assertIn("at 'names'", results[1]["message"])

    def test_logs_beside_codebuild(self):
        """@aws-sdk/client-cloudwatch-logs and client-codebuild against one endpoint serving
        both specs (docs/mock.md, "Several services on one endpoint")."""
        node()
        if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk",
                                          "client-cloudwatch-logs")):
            raise unittest.SkipTest("tests/js/node_modules lacks @aws-sdk/client-cloudwatch-logs")
        from test_all_operations import import_logs
        logs_spec = import_logs(self)
        m = self.start_mock("--spec", "bundled", "--spec", logs_spec)
        out = run_js(m.url, "logs", [("DescribeLogGroups", {"logGroupNamePrefix": "app"})])
        self.assertTrue(out[0]["ok"], out[0])
        groups = out[0]["output"]["logGroups"]
        self.assertTrue(groups)
        self.assertTrue(all(g["logGroupName"].startswith("app-") for g in groups), groups)
        self.assertTrue(all(g["arn"].startswith("arn:aws:logs:us-east-1:") for g in groups))
        out = run_js(m.url, "codebuild", [("ListReportGroups", {})])
        self.assertTrue(out[0]["ok"], out[0])
        journal = m.settled_requests()["requests"]
        self.assertEqual([(e["service"], e["operation"]) for e in journal],
                         [("CloudWatch Logs", "DescribeLogGroups"),
                          ("CodeBuild", "ListReportGroups")])


if __name__ == "__main__":
    unittest.main()
