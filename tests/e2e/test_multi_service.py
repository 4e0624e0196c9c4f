"""Several services on one endpoint (issue 10, section 6; docs/mock.md "Several services on one
endpoint"): CloudWatch Logs, imported from the model copy in spec/logs/model/, served beside the
bundled CodeBuild spec with a repeated --spec.

The documented commands are examples/logs/commands.sh (docs/mock.md shows that file, checked by
spec.doc-examples); this test runs each of them as documented (the port is the mock's, files
written go to a temporary directory) and checks what they print. Then Debian's boto3 logs and
codebuild clients talk to the one endpoint: requests are routed by X-Amz-Target prefix, the
journal and the admin API name each request's service, the generated ARNs name the service,
and a scenario rule with match.service hits only its service.
"""

import json
import os
import shlex
import shutil
import subprocess
import tempfile
import urllib.request

import allops
import cbkit_e2e as e2e

e2e.use_client_env()

import boto3  # noqa: E402  (after the environment is set)
import botocore.config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

SRC = allops.source_dir()
COMMANDS = os.path.join(SRC, "examples", "logs", "commands.sh")
DOC_URL = "http://127.0.0.1:7766"
LOGS = "CloudWatch Logs"


def setUpModule():
    e2e.require_debian_python()


class MultiService(e2e.MockTestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cbkit-multi-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        with open(COMMANDS, encoding="utf-8") as f:
            self.commands = [shlex.split(line) for line in f if line.strip()]
        self.m = None

    def local(self, arg):
        """A documented argument as run here: files it writes go to the temporary directory,
        files it reads are in the checkout, the URL is the mock's."""
        if arg == "logs.yaml":
            return os.path.join(self.tmp, "logs.yaml")
        if arg.startswith(("examples/", "spec/")):
            return os.path.join(SRC, arg)
        if self.m is not None and arg.startswith(DOC_URL):
            return self.m.url + arg[len(DOC_URL):]
        return arg

    def run_documented(self):
        """Run examples/logs/commands.sh as documented; {command index: CompletedProcess}."""
        out = {}
        for i, cmd in enumerate(self.commands):
            args = [self.local(a) for a in cmd]
            if cmd[0] == "cbkit" and cmd[1] == "mock":
                self.assertEqual(cmd[-1], "&")
                self.m = self.start_mock(*args[2:-1], "--seed", "1")
            elif cmd[0] == "cbkit":
                out[i] = subprocess.run([e2e.cbkit_path()] + args[1:], capture_output=True,
                                        text=True, timeout=e2e.CLI_TIMEOUT)
            elif cmd[0] == "aws":
                if not os.path.exists(e2e.AWS_CLI):
                    continue
                out[i] = subprocess.run([e2e.AWS_CLI] + args[1:] + ["--output", "json"],
                                        env=e2e.client_env(), capture_output=True, text=True,
                                        timeout=e2e.CLI_TIMEOUT)
            elif cmd[0] == "curl":
                with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                        args[-1], timeout=e2e.HTTP_TIMEOUT) as r:
                    out[i] = json.loads(r.read())
            else:
                self.fail("unexpected documented command %r" % cmd)
        return out

    def test_the_documented_commands(self):
        self.assertEqual([c[:2] for c in self.commands],
                         [["cbkit", "spec"], ["cbkit", "mock"], ["aws", "logs"],
                          ["aws", "codebuild"], ["aws", "logs"], ["aws", "codebuild"],
                          ["curl", "-s"]])
        out = self.run_documented()
        self.assertEqual(out[0].returncode, 0, out[0].stderr)
        health = self.m.health()
        self.assertEqual([(s["name"], s["targetPrefix"]) for s in health["services"]],
                         [("CodeBuild", "CodeBuild_20161006"), (LOGS, "Logs_20140328")])
        if 2 in out:
            self.assertEqual(out[2].returncode, 0, out[2].stderr)
            groups = json.loads(out[2].stdout)["logGroups"]
            self.assertTrue(groups)
            for g in groups:
                self.assertTrue(g["logGroupName"].startswith("app-"), g)
                self.assertEqual(g["arn"], "arn:aws:logs:us-east-1:123456789012:log-group/"
                                 + g["logGroupName"])
            self.assertEqual(out[3].returncode, 0, out[3].stderr)
            # CodeBuild's model answers: the project the scenario seeds
            self.assertEqual(json.loads(out[3].stdout)["projects"], ["my-app"])
            # the scenario throttles Logs' DeleteResourcePolicy (the CLI gives up after its
            # retries), not CodeBuild's
            self.assertNotEqual(out[4].returncode, 0)
            self.assertIn("ThrottlingException", out[4].stderr)
            self.assertEqual(out[5].returncode, 0, out[5].stderr)
        journal = out[6]["requests"]
        self.assertTrue(journal)
        self.assertEqual({e["service"] for e in journal}, {LOGS})
        self.assertTrue(all(e["target"].startswith("Logs_20140328.") for e in journal))

    def test_boto3_clients_of_both_services(self):
        p = subprocess.run([e2e.cbkit_path(), "spec", "import",
                            os.path.join(SRC, "spec", "logs", "model", "logs-botocore-1.43.11.json"),
                            "-o", os.path.join(self.tmp, "logs.yaml")],
                           capture_output=True, text=True, timeout=e2e.CLI_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)
        m = self.start_mock("--spec", "bundled", "--spec", os.path.join(self.tmp, "logs.yaml"),
                            "--scenario", os.path.join(SRC, "examples", "logs", "throttle-logs.yaml"),
                            "--region", "eu-central-1", "--seed", "2")
        session = boto3.session.Session()
        cfg = botocore.config.Config(retries={"total_max_attempts": 1})
        logs = session.client("logs", endpoint_url=m.url, region_name="eu-central-1", config=cfg)
        cb = session.client("codebuild", endpoint_url=m.url, region_name="eu-central-1", config=cfg)
        self.addCleanup(logs.close)
        self.addCleanup(cb.close)
        m.reset()

        groups = logs.describe_log_groups(logGroupNamePrefix="/aws/codebuild/")["logGroups"]
        self.assertTrue(groups)
        for g in groups:
            self.assertTrue(g["logGroupName"].startswith("/aws/codebuild/"), g)
            if "arn" in g:
                self.assertTrue(g["arn"].startswith("arn:aws:logs:eu-central-1:"), g)
        streams = logs.describe_log_streams(logGroupName="/aws/codebuild/my-app")["logStreams"]
        self.assertTrue(streams)
        b = cb.start_build(projectName="my-app")["build"]
        self.assertTrue(b["arn"].startswith("arn:aws:codebuild:eu-central-1:"), b["arn"])
        self.assertEqual(b["projectName"], "my-app")
        # the rule names CloudWatch Logs: its DeleteResourcePolicy is throttled...
        with self.assertRaises(ClientError) as cm:
            logs.delete_resource_policy(policyName="p")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ThrottlingException")
        # ...CodeBuild's operation of the same name is not
        cb.delete_resource_policy(resourceArn="arn:aws:codebuild:eu-central-1:123456789012:project/x")

        journal = m.settled_requests()["requests"]
        self.assertEqual([(e["service"], e["operation"]) for e in journal],
                         [(LOGS, "DescribeLogGroups"), (LOGS, "DescribeLogStreams"),
                          ("CodeBuild", "StartBuild"), (LOGS, "DeleteResourcePolicy"),
                          ("CodeBuild", "DeleteResourcePolicy")])
        self.assertEqual([e["answeredBy"] for e in journal][3],
                         "scenario throttle-logs/throttle-logs-delete-resource-policy")
        self.assertEqual(journal[4]["answeredBy"], "generated")
        self.assertEqual({e["verdict"] for e in journal}, {"valid"})
        # the journal filtered by service
        only = m.requests(service="CodeBuild")["requests"]
        self.assertEqual([e["operation"] for e in only], ["StartBuild", "DeleteResourcePolicy"])
        self.assertEqual(m.requests(service="nothing")["requests"], [])
        # a target no served spec has is UnknownOperationException
        status, headers, data = m.raw("{}", target="Kinesis_20131202.ListStreams")
        self.assertAwsError(status, headers, data, "UnknownOperationException")
