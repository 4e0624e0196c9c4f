"""Builds that run, seen through Debian's boto3 and the AWS CLI v2: the wait loop of the
aws-codebuild-run-build action (build_loop.py) ending in every outcome a scenario chooses
(SUCCEEDED, FAILED in BUILD with its context, FAULT, TIMED_OUT by the build's timeout, STOPPED
on cancel), tailing each build's CloudWatch Logs stream with GetLogEvents on a mock that serves
CodeBuild and CloudWatch Logs, under a virtual clock that the loop moves and under the real
clock; build logs (phase banners, the scenario's output lines, tokens, FilterLogEvents, custom
log groups, unknown streams); the admin API's outcome route; StartBuild's overrides kept by the build; build numbers, idempotency,
BatchGetBuilds and BatchDeleteBuilds as AWS answers them; the strict world; accounts that do
not see each other; and byte-identical answers for the same seed and requests.
"""

import json
import os
import re
import time
import urllib.parse

import cbkit_e2e as e2e
from cbkit_e2e import MockTestCase, UUID_RE
import build_loop as loop

e2e.use_client_env()

import botocore.config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

SRC = os.environ.get("CBK_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
OUTCOMES = os.path.join(SRC, "scenarios", "examples", "build-outcomes.yaml")
LOGS_SPEC = os.path.join(SRC, "spec", "logs", "2014-03-28.yaml")
# What the scenario's failing tests print (scenarios/examples/build-outcomes.yaml)
TEST_OUTPUT = ["go test ./...", "--- FAIL: TestCheckout (0.02s)",
               "    checkout_test.go:41: got 3 items, want 2", "FAIL",
               "FAIL\texample.com/app\t0.214s", "make: *** [Makefile:7: test] Error 1"]
NO_RETRY = botocore.config.Config(retries={"total_max_attempts": 1})


def setUpModule():
    e2e.require_debian_python()


class Lifecycle(MockTestCase):
    def virtual_mock(self, *args):
        """A mock serving CodeBuild and CloudWatch Logs under a virtual clock, with the outcome
        scenario; its CodeBuild client (self.logs: its CloudWatch Logs client)."""
        m = self.start_mock("--spec", "bundled", "--spec", LOGS_SPEC,
                            "--clock", "2026-01-01T00:00:00Z", "--scenario", OUTCOMES, *args)
        self.logs = m.boto3(config=NO_RETRY, service="logs")
        return m, m.boto3(config=NO_RETRY)

    def advance(self, m):
        return lambda s: m.post("clock", {"advanceSeconds": s})

    def run_loop(self, m, c, **params):
        """The action's loop on a build of my-app, tailing its log: the build as it ended, every
        poll, and the log's Tail (checked against the phases)."""
        build = c.start_build(**loop.start_params("my-app", **params))["build"]
        self.assertEqual(build["buildStatus"], "IN_PROGRESS")
        self.assertEqual(build["currentPhase"], "QUEUED")
        tail = loop.Tail(self.logs)
        seen = loop.wait_for_build(c, build, self.advance(m), tail=tail)
        loop.check_history(self, [build] + seen)
        loop.check_log(self, tail, seen[-1])
        return seen[-1], seen, tail

    def test_succeeds_through_every_phase(self):
        m, c = self.virtual_mock()
        final, seen, tail = self.run_loop(m, c, sha="a" * 40)
        self.assertEqual(final["buildStatus"], "SUCCEEDED")
        self.assertEqual([p["phaseType"] for p in final["phases"]], list(loop.PHASES))
        self.assertTrue(all(p["phaseStatus"] == "SUCCEEDED" for p in final["phases"][:-1]))
        # the loop saw the build move: more than a few polls, several current phases
        self.assertGreaterEqual(len({b["currentPhase"] for b in seen}), 2)
        self.assertEqual(final["sourceVersion"], "a" * 40)
        self.assertRegex(final["resolvedSourceVersion"], "^[0-9a-f]{40}$")
        self.assertEqual(final["source"]["type"], "GITHUB")
        self.assertEqual(final["source"]["location"], "https://github.com/octo/app.git")
        # the log: every banner, the commands, the source directory; no test output
        for banner in loop.BANNERS:
            self.assertEqual(sum(banner in e for e in tail.events), 1, banner)
        self.assertTrue(any(e.endswith("Running command make test") for e in tail.events))
        self.assertTrue(any(re.search(r"CODEBUILD_SRC_DIR=/codebuild/output/src\d+/src$", e)
                            for e in tail.events))
        self.assertFalse(set(TEST_OUTPUT) & set(tail.events))
        # the log grew over several polls, not all at once
        self.assertGreaterEqual(len([n for _, _, n in tail.calls if n]), 3)

    def test_fails_in_build_with_the_context(self):
        m, c = self.virtual_mock()
        final, _, tail = self.run_loop(m, c, env={"RUN_TESTS": "1"})
        self.assertEqual(final["buildStatus"], "FAILED")
        failed = loop.failed_phase(final)
        self.assertEqual(failed["phaseType"], "BUILD")
        self.assertEqual(failed["phaseStatus"], "FAILED")
        self.assertEqual(failed["contexts"], [{
            "statusCode": "COMMAND_EXECUTION_ERROR",
            "message": "Error while executing command: make test. Reason: exit status 2"}])
        # a build that fails in BUILD still runs POST_BUILD and UPLOAD_ARTIFACTS
        self.assertEqual([p["phaseType"] for p in final["phases"]][6:],
                         ["BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED"])
        # the log: the scenario's output inside BUILD, in order, then the failure as the agent
        # writes it
        ev = tail.events
        start = loop.index_of(ev, "Entering phase BUILD")
        at = [ev.index(line) for line in TEST_OUTPUT]
        self.assertEqual(at, sorted(at))
        self.assertGreater(at[0], start)
        failed_at = loop.index_of(ev, "Command did not exit successfully make test exit status 2")
        self.assertGreater(failed_at, at[-1])
        done = loop.index_of(ev, "Phase complete: BUILD State: FAILED")
        self.assertEqual(done, failed_at + 1)
        self.assertTrue(ev[done + 1].endswith(
            "Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing "
            "command: make test. Reason: exit status 2"), ev[done + 1])
        # FilterLogEvents finds the failure in the project's group
        found = self.logs.filter_log_events(logGroupName="/aws/codebuild/my-app",
                                            filterPattern='"--- FAIL"')["events"]
        self.assertEqual([e["message"] for e in found], ["--- FAIL: TestCheckout (0.02s)"])
        self.assertEqual(found[0]["logStreamName"], final["logs"]["streamName"])

    def test_faults_while_provisioning(self):
        m, c = self.virtual_mock()
        final, _, _ = self.run_loop(m, c, sourceVersion="refs/heads/fault/disk")
        self.assertEqual(final["buildStatus"], "FAULT")
        self.assertEqual([(p["phaseType"], p.get("phaseStatus")) for p in final["phases"]],
                         [("SUBMITTED", "SUCCEEDED"), ("QUEUED", "SUCCEEDED"),
                          ("PROVISIONING", "FAULT"), ("FINALIZING", "SUCCEEDED"),
                          ("COMPLETED", None)])
        self.assertEqual(final["phases"][2]["contexts"][0]["statusCode"], "INTERNAL_SERVICE_ERROR")

    def test_times_out_after_its_timeout(self):
        m, c = self.virtual_mock()
        final, _, tail = self.run_loop(m, c, sourceVersion="refs/heads/slow/x",
                                       timeoutInMinutesOverride=20)
        self.assertEqual(final["buildStatus"], "TIMED_OUT")
        self.assertEqual(final["timeoutInMinutes"], 20)
        failed = loop.failed_phase(final)
        self.assertEqual(failed["phaseType"], "BUILD")
        self.assertEqual(failed["contexts"][0]["statusCode"], "BUILD_TIMED_OUT")
        # the phases from PROVISIONING on lasted the timeout, to the millisecond
        prov = [p for p in final["phases"] if p["phaseType"] == "PROVISIONING"][0]
        self.assertAlmostEqual(loop._ts(failed["endTime"]) - loop._ts(prov["startTime"]),
                               20 * 60, places=3)
        self.assertTrue(any(e.endswith("Phase context status code: BUILD_TIMED_OUT Message: "
                                       "Build has timed out. ") for e in tail.events))

    def test_times_out_in_the_queue(self):
        m, c = self.virtual_mock()
        c.create_project(name="queued", source={"type": "NO_SOURCE", "buildspec": "x"},
                         artifacts={"type": "NO_ARTIFACTS"}, serviceRole="arn:aws:iam::1:role/r",
                         environment={"type": "LINUX_CONTAINER", "image": "i",
                                      "computeType": "BUILD_GENERAL1_SMALL"})
        m.post("scenarios", body=(
            b"scenario: long-queue\noutcomes:\n  - match: {project: queued}\n"
            b"    phaseDurations: {QUEUED: 3600}\n"))
        b = c.start_build(projectName="queued", queuedTimeoutInMinutesOverride=5)["build"]
        tail = loop.Tail(self.logs)
        seen = loop.wait_for_build(c, b, self.advance(m), tail=tail)
        loop.check_history(self, [b] + seen)
        final = seen[-1]
        self.assertEqual(final["buildStatus"], "TIMED_OUT")
        self.assertEqual([(p["phaseType"], p.get("phaseStatus")) for p in final["phases"]],
                         [("SUBMITTED", "SUCCEEDED"), ("QUEUED", "TIMED_OUT"),
                          ("COMPLETED", None)])
        self.assertEqual(final["phases"][1]["durationInSeconds"], 300)
        self.assertEqual(final["phases"][1]["contexts"][0]["message"],
                         "Build has timed out while queued. ")
        # no container ever ran: the stream exists and stays empty, the token never moves
        self.assertEqual(tail.events, [])
        self.assertEqual(len({back for _, back, _ in tail.calls}), 1)

    def test_stopped_on_cancel(self):
        m, c = self.virtual_mock()
        build = c.start_build(**loop.start_params("my-app"))["build"]
        tail = loop.Tail(self.logs)
        seen = loop.wait_for_build(c, build, self.advance(m), tail=tail,
                                   cancel_when=lambda b: b["currentPhase"] == "BUILD")
        loop.check_history(self, [build] + seen)
        final = seen[-1]
        loop.check_log(self, tail, final)
        stopped = loop.index_of(tail.events, "Phase complete: BUILD State: STOPPED")
        self.assertGreater(stopped, loop.index_of(tail.events, "Entering phase BUILD"))
        self.assertEqual(loop.index_of(tail.events, "POST_BUILD"), -1)
        self.assertEqual(final["buildStatus"], "STOPPED")
        self.assertTrue(final["buildComplete"])
        self.assertEqual([(p["phaseType"], p.get("phaseStatus")) for p in final["phases"]][-3:],
                         [("BUILD", "STOPPED"), ("FINALIZING", "SUCCEEDED"), ("COMPLETED", None)])
        # stopping it again changes nothing
        self.assertEqual(c.stop_build(id=build["id"])["build"]["phases"], final["phases"])

    def test_rate_exceeded_is_backed_off(self):
        m, c = self.virtual_mock()
        m.post("scenarios", body=(
            b"scenario: throttled-polls\nrules:\n  - match: {operation: BatchGetBuilds}\n"
            b"    when: {nth: [2, 3]}\n"
            b"    respond: {error: ThrottlingException, message: Rate exceeded}\n"))
        build = c.start_build(**loop.start_params("my-app"))["build"]
        throttled = []
        seen = loop.wait_for_build(c, build, self.advance(m), throttled=throttled,
                                   tail=loop.Tail(self.logs))
        self.assertEqual(throttled, ["ThrottlingException", "ThrottlingException"])
        self.assertEqual(seen[-1]["buildStatus"], "SUCCEEDED")

    def test_admin_sets_the_outcome_of_a_running_build(self):
        m, c = self.virtual_mock()
        b = c.start_build(projectName="my-app")["build"]
        while c.batch_get_builds(ids=[b["id"]])["builds"][0]["currentPhase"] != "INSTALL":
            m.post("clock", {"advanceSeconds": 5})
        before = c.batch_get_builds(ids=[b["id"]])["builds"][0]
        route = "codebuild/builds/%s/outcome" % urllib.parse.quote(b["id"], safe="")
        st, doc = m.admin("POST", route, body={"status": "FAILED", "phase": "PRE_BUILD",
                                               "statusCode": "COMMAND_EXECUTION_ERROR",
                                               "message": "Error while executing command: "
                                                          "make lint. Reason: exit status 1"})
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["build"]["currentPhase"], "PRE_BUILD")  # INSTALL ended now
        seen = loop.wait_for_build(c, b, self.advance(m))
        loop.check_history(self, [before] + seen)
        final = seen[-1]
        self.assertEqual(final["buildStatus"], "FAILED")
        failed = loop.failed_phase(final)
        self.assertEqual(failed["phaseType"], "PRE_BUILD")
        self.assertEqual(failed["contexts"][0]["message"],
                         "Error while executing command: make lint. Reason: exit status 1")
        # the outcome of a complete build is decided; unknown builds and bad bodies are refused
        st, doc = m.admin("POST", route, body={"status": "SUCCEEDED"})
        self.assertEqual(st, 409, doc)
        st, doc = m.admin("POST", "codebuild/builds/my-app:nope/outcome",
                          body={"status": "SUCCEEDED"})
        self.assertEqual(st, 404, doc)
        st, doc = m.admin("POST", route, body={"status": "STOPPED"})
        self.assertEqual(st, 400, doc)
        self.assertIn("SUCCEEDED, FAILED, FAULT or TIMED_OUT", doc["error"])

    def test_real_clock_build_ends_by_itself(self):
        m = self.start_mock("--build-duration", "1500ms")
        c = m.boto3()
        b = c.start_build(**loop.start_params("ci"))["build"]
        seen = loop.wait_for_build(c, b, lambda s: time.sleep(0.1))
        loop.check_history(self, [b] + seen)
        self.assertEqual(seen[-1]["buildStatus"], "SUCCEEDED")
        self.assertEqual(seen[-1]["currentPhase"], "COMPLETED")


class BuildLogs(MockTestCase):
    """Build logs beyond the wait loop: the admin outcome route's output, log settings of a
    project, unknown streams in the open and strict worlds, the newest events without a token."""

    def mock(self, *args):
        m = self.start_mock("--spec", "bundled", "--spec", LOGS_SPEC,
                            "--clock", "2026-01-01T00:00:00Z", *args)
        return m, m.boto3(config=NO_RETRY), m.boto3(config=NO_RETRY, service="logs")

    def test_admin_output_and_reading_without_a_token(self):
        m, c, logs = self.mock()
        b = c.start_build(projectName="my-app")["build"]
        route = "codebuild/builds/%s/outcome" % urllib.parse.quote(b["id"], safe="")
        st, doc = m.admin("POST", route, body={"status": "FAILED", "phase": "BUILD",
                                               "output": ["compiling", "error: E0308"]})
        self.assertEqual(st, 200, doc)
        tail = loop.Tail(logs)
        seen = loop.wait_for_build(c, b, self.advance(m), tail=tail)
        loop.check_log(self, tail, seen[-1])
        ev = tail.events
        self.assertLess(loop.index_of(ev, "Entering phase BUILD"), ev.index("compiling"))
        self.assertEqual(ev.index("error: E0308"), ev.index("compiling") + 1)
        # once BUILD has begun, the output is what it was
        b2 = c.start_build(projectName="my-app")["build"]
        while c.batch_get_builds(ids=[b2["id"]])["builds"][0]["currentPhase"] != "BUILD":
            m.post("clock", {"advanceSeconds": 5})
        st, doc = m.admin("POST", "codebuild/builds/%s/outcome" % b2["id"],
                          body={"status": "SUCCEEDED", "output": "late"})
        self.assertEqual(st, 409, doc)
        self.assertIn("until BUILD begins", doc["error"])
        st, doc = m.admin("POST", "codebuild/builds/%s/outcome" % b2["id"],
                          body={"status": "SUCCEEDED", "output": ["x" * 8193]})
        self.assertEqual(st, 400, doc)
        self.assertIn("at most 8192 bytes", doc["error"])
        # without a token: the newest events (GetLogEvents' default), and the tokens go on
        group, stream = b["logs"]["groupName"], b["logs"]["streamName"]
        r = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=3)
        self.assertEqual([e["message"] for e in r["events"]], ev[-3:])
        back = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=3,
                                   nextToken=r["nextBackwardToken"])
        self.assertEqual([e["message"] for e in back["events"]], ev[-6:-3])
        fwd = logs.get_log_events(logGroupName=group, logStreamName=stream,
                                  nextToken=r["nextForwardToken"])
        self.assertEqual(fwd["events"], [])
        self.assertEqual(fwd["nextForwardToken"], r["nextForwardToken"])

    def advance(self, m):
        return lambda s: m.post("clock", {"advanceSeconds": s})

    def test_log_settings_of_a_project(self):
        m, c, logs = self.mock()
        c.create_project(name="custom", source={"type": "NO_SOURCE", "buildspec": "x"},
                         artifacts={"type": "NO_ARTIFACTS"}, serviceRole="arn:aws:iam::1:role/r",
                         environment={"type": "LINUX_CONTAINER", "image": "i",
                                      "computeType": "BUILD_GENERAL1_SMALL"},
                         logsConfig={"cloudWatchLogs": {"status": "ENABLED",
                                                        "groupName": "ci/custom",
                                                        "streamName": "builds/main"}})
        b = c.start_build(projectName="custom")["build"]
        uuid = b["id"].split(":")[1]
        self.assertEqual(b["logs"]["groupName"], "ci/custom")
        self.assertEqual(b["logs"]["streamName"], "builds/main/" + uuid)
        self.assertEqual(loop.log_name(b["logs"]["cloudWatchLogsArn"]),
                         ("ci/custom", "builds/main/" + uuid))
        tail = loop.Tail(logs)
        seen = loop.wait_for_build(c, b, self.advance(m), tail=tail)
        loop.check_log(self, tail, seen[-1])
        # disabled for one build: no stream named, none to read
        off = c.start_build(projectName="custom", logsConfigOverride={
            "cloudWatchLogs": {"status": "DISABLED"}})["build"]
        self.assertNotIn("groupName", off["logs"])
        self.assertNotIn("cloudWatchLogsArn", off["logs"])
        self.assertEqual(off["logs"]["cloudWatchLogs"], {"status": "DISABLED"})
        self.assertEqual(loop.log_name(off["logs"].get("cloudWatchLogsArn")), (None, None))

    def test_unknown_streams(self):
        m, c, logs = self.mock("--world", "strict")
        c.create_project(name="pp", source={"type": "NO_SOURCE", "buildspec": "x"},
                         artifacts={"type": "NO_ARTIFACTS"}, serviceRole="arn:aws:iam::1:role/r",
                         environment={"type": "LINUX_CONTAINER", "image": "i",
                                      "computeType": "BUILD_GENERAL1_SMALL"})
        b = c.start_build(projectName="pp")["build"]
        # the stream exists from the build's start, empty while it is queued
        r = logs.get_log_events(logGroupName="/aws/codebuild/pp",
                                logStreamName=b["logs"]["streamName"], startFromHead=True)
        self.assertEqual(r["events"], [])
        with self.assertRaises(ClientError) as cm:
            logs.get_log_events(logGroupName="/aws/codebuild/pp", logStreamName="nope")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceNotFoundException")
        self.assertEqual(cm.exception.response["Error"]["Message"],
                         "The specified log stream does not exist.")
        with self.assertRaises(ClientError) as cm:
            logs.filter_log_events(logGroupName="/aws/codebuild/ghost")
        self.assertEqual(cm.exception.response["Error"]["Message"],
                         "The specified log group does not exist.")
        # the open world: an empty stream whose token does not move
        m2, _, logs2 = self.mock()
        r = logs2.get_log_events(logGroupName="/aws/codebuild/p", logStreamName="nope",
                                 startFromHead=True)
        again = logs2.get_log_events(logGroupName="/aws/codebuild/p", logStreamName="nope",
                                     nextToken=r["nextForwardToken"])
        self.assertEqual((r["events"], again["events"]), ([], []))
        self.assertEqual(again["nextForwardToken"], r["nextForwardToken"])


class Builds(MockTestCase):
    def test_overrides_are_applied_and_kept(self):
        m = self.start_mock("--clock", "2026-01-01T00:00:00Z")
        c = m.boto3()
        c.create_project(name="ov", source={"type": "GITHUB", "location": "https://github.com/o/r",
                                            "buildspec": "ci/buildspec.yml"},
                         artifacts={"type": "NO_ARTIFACTS"}, serviceRole="arn:aws:iam::1:role/r",
                         environment={"type": "LINUX_CONTAINER", "image": "base:1",
                                      "computeType": "BUILD_GENERAL1_SMALL",
                                      "environmentVariables": [
                                          {"name": "KEEP", "value": "k"},
                                          {"name": "SWAP", "value": "old"}]})
        b = c.start_build(
            projectName="ov", sourceVersion="refs/heads/feature",
            environmentVariablesOverride=[
                {"name": "SWAP", "value": "/param/new", "type": "PARAMETER_STORE"},
                {"name": "ADD", "value": "a"}],
            buildspecOverride="version: 0.2\nphases:\n  build:\n    commands: [make]\n",
            imageOverride="aws/codebuild/standard:7.0", computeTypeOverride="BUILD_GENERAL1_LARGE",
            timeoutInMinutesOverride=15, queuedTimeoutInMinutesOverride=30,
            privilegedModeOverride=True, gitCloneDepthOverride=5,
            artifactsOverride={"type": "S3", "location": "bucket", "path": "p", "name": "a.zip"},
            cacheOverride={"type": "LOCAL", "modes": ["LOCAL_DOCKER_LAYER_CACHE"]},
            serviceRoleOverride="arn:aws:iam::123456789012:role/other",
            encryptionKeyOverride="alias/mine")["build"]
        again = c.batch_get_builds(ids=[b["id"]])["builds"][0]
        for x in (b, again):
            self.assertEqual(x["sourceVersion"], "refs/heads/feature")
            self.assertEqual(x["environment"]["environmentVariables"], [
                {"name": "KEEP", "value": "k", "type": "PLAINTEXT"},
                {"name": "SWAP", "value": "/param/new", "type": "PARAMETER_STORE"},
                {"name": "ADD", "value": "a", "type": "PLAINTEXT"}])
            self.assertTrue(x["source"]["buildspec"].startswith("version: 0.2\n"))
            self.assertEqual(x["source"]["gitCloneDepth"], 5)
            self.assertEqual(x["environment"]["image"], "aws/codebuild/standard:7.0")
            self.assertEqual(x["environment"]["computeType"], "BUILD_GENERAL1_LARGE")
            self.assertIs(x["environment"]["privilegedMode"], True)
            self.assertEqual(x["timeoutInMinutes"], 15)
            self.assertEqual(x["queuedTimeoutInMinutes"], 30)
            self.assertEqual(x["artifacts"]["location"], "arn:aws:s3:::bucket/p/a.zip")
            self.assertEqual(x["cache"], {"type": "LOCAL", "modes": ["LOCAL_DOCKER_LAYER_CACHE"]})
            self.assertEqual(x["serviceRole"], "arn:aws:iam::123456789012:role/other")
            self.assertEqual(x["encryptionKey"], "alias/mine")
        # the project itself is unchanged; a build without overrides has its members
        plain = c.start_build(projectName="ov")["build"]
        self.assertNotIn("sourceVersion", plain)
        self.assertEqual(plain["environment"]["image"], "base:1")
        self.assertEqual(plain["source"]["buildspec"], "ci/buildspec.yml")
        self.assertEqual(plain["timeoutInMinutes"], 60)
        self.assertEqual([b["buildNumber"], plain["buildNumber"]], [1, 2])
        # RetryBuild keeps the retried build's configuration
        r = c.retry_build(id=b["id"])["build"]
        self.assertEqual(r["environment"], b["environment"])
        self.assertEqual(r["sourceVersion"], "refs/heads/feature")
        self.assertEqual(r["buildNumber"], 3)

    def test_build_numbers_count_per_project_and_tokens(self):
        m = self.start_mock("--clock", "2026-01-01T00:00:00Z")
        c = m.boto3()
        nums = [c.start_build(projectName=p)["build"]["buildNumber"]
                for p in ("a1", "b1", "a1", "a1", "b1")]
        self.assertEqual(nums, [1, 1, 2, 3, 2])
        first = c.start_build(projectName="a1", idempotencyToken="t")["build"]
        self.assertEqual(c.start_build(projectName="a1", idempotencyToken="t")["build"]["id"],
                         first["id"])
        with self.assertRaises(ClientError) as cm:
            c.start_build(projectName="a1", idempotencyToken="t", sourceVersion="x")
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "IdempotentParameterMismatchException")
        m.post("clock", {"advanceSeconds": 301})
        self.assertNotEqual(
            c.start_build(projectName="a1", idempotencyToken="t")["build"]["id"], first["id"])

    def test_batch_get_and_delete(self):
        m = self.start_mock("--clock", "2026-01-01T00:00:00Z")
        c = m.boto3(config=NO_RETRY)
        ids = [c.start_build(projectName="del")["build"]["id"] for _ in range(3)]
        arn = "arn:aws:codebuild:us-east-1:123456789012:build/" + ids[1]
        r = c.batch_get_builds(ids=[ids[0], arn, "del:00000000-0000-4000-8000-000000000000"])
        self.assertEqual([b["id"] for b in r["builds"]], ids[:2])
        self.assertEqual(r["buildsNotFound"], ["del:00000000-0000-4000-8000-000000000000"])
        with self.assertRaises(ClientError) as cm:
            c.batch_get_builds(ids=["del:%d" % i for i in range(101)])
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidInputException")
        self.assertIn("Member must have length less than or equal to 100",
                      cm.exception.response["Error"]["Message"])
        # running builds are not deleted
        r = c.batch_delete_builds(ids=ids[:2])
        self.assertEqual(r.get("buildsDeleted", []), [])
        self.assertEqual(r["buildsNotDeleted"], [
            {"id": "arn:aws:codebuild:us-east-1:123456789012:build/" + i,
             "statusCode": "BUILD_IN_PROGRESS"} for i in ids[:2]])
        c.stop_build(id=ids[0])
        m.post("clock", {"advanceSeconds": 3600})  # the others end
        r = c.batch_delete_builds(ids=ids)
        self.assertEqual(r["buildsDeleted"],
                         ["arn:aws:codebuild:us-east-1:123456789012:build/" + i for i in ids])
        self.assertEqual(c.batch_get_builds(ids=ids)["buildsNotFound"], ids)
        self.assertEqual(c.list_builds_for_project(projectName="del")["ids"], [])

    def test_strict_world(self):
        m = self.start_mock("--world", "strict", "--clock", "2026-01-01T00:00:00Z")
        c = m.boto3(config=NO_RETRY)
        with self.assertRaises(c.exceptions.ResourceNotFoundException) as cm:
            c.start_build(projectName="ghost")
        self.assertEqual(cm.exception.response["Error"]["Message"],
                         "Project cannot be found: "
                         "arn:aws:codebuild:us-east-1:123456789012:project/ghost")
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.list_builds_for_project(projectName="ghost")
        c.create_project(name="real", source={"type": "NO_SOURCE", "buildspec": "x"},
                         artifacts={"type": "NO_ARTIFACTS"}, serviceRole="arn:aws:iam::1:role/r",
                         environment={"type": "LINUX_CONTAINER", "image": "i",
                                      "computeType": "BUILD_GENERAL1_SMALL"})
        b = c.start_build(projectName="real")["build"]
        self.assertEqual(c.list_builds_for_project(projectName="real")["ids"], [b["id"]])
        r = c.batch_delete_builds(ids=["real:00000000-0000-4000-8000-000000000000"])
        self.assertEqual(r["buildsNotDeleted"][0]["statusCode"], "BUILD_NOT_FOUND")

    def test_open_world_makes_up_the_project(self):
        m = self.start_mock("--clock", "2026-01-01T00:00:00Z")
        c = m.boto3()
        b = c.start_build(projectName="made-up")["build"]
        self.assertEqual(b["projectName"], "made-up")
        p = c.batch_get_projects(names=["made-up"])["projects"][0]
        self.assertEqual(p["arn"], "arn:aws:codebuild:us-east-1:123456789012:project/made-up")
        self.assertEqual(p["environment"]["environmentVariables"], [])
        self.assertEqual(m.requests(operation="StartBuild")["requests"][-1]["answeredBy"],
                         "generated")


class Accounts(MockTestCase):
    def client(self, m, key):
        import boto3
        return boto3.session.Session(aws_access_key_id=key, aws_secret_access_key="s").client(
            "codebuild", endpoint_url=m.url, region_name="us-east-1")

    def test_accounts_do_not_see_each_other(self):
        m = self.start_mock("--clock", "2026-01-01T00:00:00Z")
        a, b = self.client(m, "111122223333"), self.client(m, "444455556666")
        other = self.client(m, "AKIDEXAMPLE")  # not 12 digits: the default account
        ba = a.start_build(projectName="shared")["build"]
        bb = b.start_build(projectName="shared")["build"]
        self.assertEqual([ba["buildNumber"], bb["buildNumber"]], [1, 1])
        self.assertTrue(ba["arn"].startswith("arn:aws:codebuild:us-east-1:111122223333:build/"))
        self.assertTrue(bb["arn"].startswith("arn:aws:codebuild:us-east-1:444455556666:build/"))
        self.assertIn(":111122223333:", ba["logs"]["cloudWatchLogsArn"])
        self.assertEqual(a.list_builds()["ids"], [ba["id"]])
        self.assertEqual(b.batch_get_builds(ids=[ba["id"]])["buildsNotFound"], [ba["id"]])
        self.assertEqual(other.list_builds()["ids"], [])
        a.create_project(name="only-a", source={"type": "NO_SOURCE", "buildspec": "x"},
                         artifacts={"type": "NO_ARTIFACTS"}, serviceRole="arn:aws:iam::1:role/r",
                         environment={"type": "LINUX_CONTAINER", "image": "i",
                                      "computeType": "BUILD_GENERAL1_SMALL"})
        self.assertEqual(b.batch_get_projects(names=["only-a"])["projectsNotFound"], ["only-a"])
        self.assertEqual(a.batch_get_projects(names=["only-a"])["projects"][0]["arn"],
                         "arn:aws:codebuild:us-east-1:111122223333:project/only-a")
        # the admin API's state and reset take ?account=
        sa = m.get("state", query={"account": "111122223333"})
        self.assertEqual([x["id"] for x in sa["builds"]], [ba["id"]])
        self.assertEqual(sorted(sa["projects"]), ["only-a", "shared"])
        m.post("reset", query={"what": "state", "account": "111122223333"})
        self.assertEqual(a.list_builds()["ids"], [])
        self.assertEqual(b.list_builds()["ids"], [bb["id"]])
        for c in (a, b, other):
            c.close()


class Determinism(MockTestCase):
    REQUESTS = [
        ("CreateProject", {"name": "det", "source": {"type": "GITHUB",
                                                     "location": "https://github.com/o/r"},
                           "artifacts": {"type": "NO_ARTIFACTS"},
                           "environment": {"type": "LINUX_CONTAINER", "image": "i",
                                           "computeType": "BUILD_GENERAL1_SMALL"},
                           "serviceRole": "arn:aws:iam::123456789012:role/r"}),
        ("StartBuild", {"projectName": "det", "sourceVersion": "main"}),
        ("StartBuild", {"projectName": "det", "environmentVariablesOverride": [
            {"name": "RUN_TESTS", "value": "1"}]}),
        ("StartBuild", {"projectName": "other"}),
        ("ListBuilds", {}),
        ("ListProjects", {"sortBy": "CREATED_TIME"}),
        ("CreateWebhook", {"projectName": "det"}),
    ]

    def run_once(self):
        m = self.start_mock("--seed", "42", "--scenario", OUTCOMES)
        bodies = []
        ids = []
        for op, body in self.REQUESTS:
            st, _, data = m.raw(json.dumps(body), target=op)
            self.assertEqual(st, 200, data)
            bodies.append(data)
            if op == "StartBuild":
                ids.append(json.loads(data)["build"]["id"])
        for step in range(6):
            m.post("clock", {"advanceSeconds": 40})
            st, _, data = m.raw(json.dumps({"ids": ids}), target="BatchGetBuilds")
            bodies.append(data)
        m.stop()
        return bodies

    def test_same_seed_same_requests_same_bytes(self):
        a, b = self.run_once(), self.run_once()
        self.assertEqual(a, b)
        # and the builds moved between the polls: the bodies are not all the same
        self.assertGreater(len(set(a[-6:])), 2)
        self.assertRegex(json.loads(a[1])["build"]["id"], "^det:" + UUID_RE + "$")
