"""Build batches through Debian's boto3, as batch pipelines use them: StartBuildBatch with a
build graph in the buildspec, poll BatchGetBuildBatches while buildGroups progress (a build
starts once what it depends on has succeeded), find the failed member and RetryBuildBatch it
(RETRY_FAILED_BUILDS, idempotency), StopBuildBatch, DeleteBuildBatch, ListBuildBatches with a
filter and pages. A batch's builds are real builds: BatchGetBuilds sees them. The clock is
virtual; the test moves it.
"""

import cbkit_e2e as e2e
from cbkit_e2e import MockTestCase

e2e.use_client_env()

import botocore.config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

NO_RETRY = botocore.config.Config(retries={"total_max_attempts": 1})
GRAPH = """version: 0.2
batch:
  build-graph:
    - identifier: compile
    - identifier: unit_tests
      depend-on: [compile]
      env:
        variables: {SUITE: unit}
    - identifier: lint
      ignore-failure: true
    - identifier: package
      depend-on: [unit_tests]
"""
# the first build of unit_tests (build number 2 of the project) fails; lint always fails, but
# its failure is ignored
OUTCOMES = b"""scenario: batch-failures
outcomes:
  - match: {identifier: unit_tests, buildNumber: 2}
    status: FAILED
    context: {statusCode: COMMAND_EXECUTION_ERROR, message: "Error while executing command: make check. Reason: exit status 1"}
  - match: {identifier: lint}
    status: FAILED
    phase: PRE_BUILD
"""


def setUpModule():
    e2e.require_debian_python()


def groups(batch):
    return {g["identifier"]: g for g in batch["buildGroups"]}


def status_of(group):
    return group.get("currentBuildSummary", {}).get("buildStatus")


class Batches(MockTestCase):
    def setUp(self):
        self.m = self.start_mock("--clock", "2026-01-01T00:00:00Z")
        self.m.post("scenarios", body=OUTCOMES)
        self.c = self.m.boto3(config=NO_RETRY)

    def poll(self, batch_id, limit=200):
        """Poll as a pipeline does (30 s apart) until the batch is complete."""
        seen = []
        for _ in range(limit):
            b = self.c.batch_get_build_batches(ids=[batch_id])["buildBatches"][0]
            seen.append(b)
            if b["complete"]:
                return seen
            self.m.post("clock", {"advanceSeconds": 30})
        self.fail("batch %s did not complete" % batch_id)

    def test_fail_then_retry_failed_builds(self):
        c = self.c
        start = c.start_build_batch(projectName="pipe", buildspecOverride=GRAPH,
                                    sourceVersion="refs/heads/main")["buildBatch"]
        self.assertEqual(start["currentPhase"], "DOWNLOAD_BATCHSPEC")
        self.assertEqual(start["buildBatchStatus"], "IN_PROGRESS")
        self.assertEqual(list(groups(start)), ["compile", "unit_tests", "lint", "package"])
        self.assertEqual(groups(start)["unit_tests"]["dependsOn"], ["compile"])
        self.assertTrue(all("currentBuildSummary" not in g for g in start["buildGroups"]))
        seen = self.poll(start["id"])
        # groups progress: unit_tests only starts once compile has succeeded
        for b in seen:
            g = groups(b)
            if status_of(g["unit_tests"]):
                self.assertEqual(status_of(g["compile"]), "SUCCEEDED")
        self.assertTrue(any(status_of(groups(b)["compile"]) == "IN_PROGRESS" for b in seen))
        final = seen[-1]
        g = groups(final)
        self.assertEqual(final["buildBatchStatus"], "FAILED")
        self.assertEqual([(p["phaseType"], p.get("phaseStatus")) for p in final["phases"]],
                         [("SUBMITTED", "SUCCEEDED"), ("DOWNLOAD_BATCHSPEC", "SUCCEEDED"),
                          ("IN_PROGRESS", "FAILED"), ("FAILED", None)])
        self.assertEqual(status_of(g["compile"]), "SUCCEEDED")
        self.assertEqual(status_of(g["unit_tests"]), "FAILED")
        self.assertEqual(status_of(g["lint"]), "FAILED")
        self.assertNotIn("currentBuildSummary", g["package"])  # it never ran
        # the members are real builds
        failed_arn = g["unit_tests"]["currentBuildSummary"]["arn"]
        failed_id = failed_arn.split(":build/")[1]
        b = c.batch_get_builds(ids=[failed_id])["builds"][0]
        self.assertEqual(b["buildBatchArn"], final["arn"])
        self.assertEqual(b["sourceVersion"], "refs/heads/main")
        self.assertIn({"name": "SUITE", "value": "unit", "type": "PLAINTEXT"},
                      b["environment"]["environmentVariables"])
        failed = [p for p in b["phases"] if p.get("phaseStatus") == "FAILED"][0]
        self.assertEqual(failed["contexts"][0]["message"],
                         "Error while executing command: make check. Reason: exit status 1")
        # retry the failed builds: new builds for unit_tests, lint and package; compile keeps its
        r = c.retry_build_batch(id=start["id"], retryType="RETRY_FAILED_BUILDS",
                                idempotencyToken="again")["buildBatch"]
        self.assertEqual(r["id"], start["id"])
        self.assertEqual(r["buildBatchStatus"], "IN_PROGRESS")
        rg = groups(r)
        self.assertEqual(rg["compile"]["currentBuildSummary"],
                         g["compile"]["currentBuildSummary"])
        self.assertEqual(rg["unit_tests"]["priorBuildSummaryList"][0]["arn"], failed_arn)
        self.assertEqual(rg["unit_tests"]["priorBuildSummaryList"][0]["buildStatus"], "FAILED")
        self.assertEqual(rg["package"]["priorBuildSummaryList"], [])  # it had never run
        # the same token again: the same answer, no new builds
        again = c.retry_build_batch(id=start["id"], retryType="RETRY_FAILED_BUILDS",
                                    idempotencyToken="again")["buildBatch"]
        self.assertEqual(groups(again)["unit_tests"]["currentBuildSummary"]["arn"],
                         rg["unit_tests"]["currentBuildSummary"]["arn"])
        final = self.poll(start["id"])[-1]
        fg = groups(final)
        self.assertEqual(final["buildBatchStatus"], "SUCCEEDED")  # lint's failure is ignored
        self.assertEqual(status_of(fg["unit_tests"]), "SUCCEEDED")
        self.assertEqual(status_of(fg["package"]), "SUCCEEDED")
        self.assertEqual(status_of(fg["lint"]), "FAILED")

    def test_retry_all_and_refusals(self):
        c = self.c
        b = c.start_build_batch(projectName="all")["buildBatch"]
        self.assertEqual(list(groups(b)), ["build1", "build2"])  # no batch section
        with self.assertRaises(c.exceptions.InvalidInputException):
            c.retry_build_batch(id=b["id"], retryType="RETRY_ALL_BUILDS")  # still running
        with self.assertRaises(c.exceptions.InvalidInputException):
            c.delete_build_batch(id=b["id"])
        self.poll(b["id"])
        r = c.retry_build_batch(id=b["id"], retryType="RETRY_ALL_BUILDS")["buildBatch"]
        self.assertTrue(all(len(g["priorBuildSummaryList"]) == 1 for g in r["buildGroups"]))
        with self.assertRaises(ClientError) as cm:
            c.start_build_batch(projectName="all", buildspecOverride=(
                "batch:\n  build-graph:\n    - identifier: a\n      depend-on: [b]\n"
                "    - identifier: b\n      depend-on: [a]\n"))
        self.assertIn("cycle", cm.exception.response["Error"]["Message"])
        with self.assertRaises(c.exceptions.InvalidInputException):
            c.stop_build_batch(id="no-project-here")
        # the open world takes an unknown batch as one that was running
        made = c.stop_build_batch(id="all:00000000-0000-4000-8000-000000000000")["buildBatch"]
        self.assertEqual(made["buildBatchStatus"], "STOPPED")
        self.assertEqual(made["id"], "all:00000000-0000-4000-8000-000000000000")

    def test_strict_world(self):
        m = self.start_mock("--world", "strict")
        c = m.boto3(config=NO_RETRY)
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.stop_build_batch(id="all:00000000-0000-4000-8000-000000000000")
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.start_build_batch(projectName="unknown")

    def test_stop_delete_and_list(self):
        c = self.c
        ids = [c.start_build_batch(projectName="lst" if i % 2 else "other")["buildBatch"]["id"]
               for i in range(5)]
        self.m.post("clock", {"advanceSeconds": 45})
        s = c.stop_build_batch(id=ids[0])["buildBatch"]
        self.assertEqual(s["buildBatchStatus"], "STOPPED")
        self.assertTrue(s["complete"])
        self.assertEqual(s["phases"][-1]["phaseType"], "STOPPED")
        for g in s["buildGroups"]:
            if "currentBuildSummary" in g:
                self.assertEqual(status_of(g), "STOPPED")
        # lists: the newest first, a filter, pages of maxResults
        self.assertEqual(c.list_build_batches()["ids"], list(reversed(ids)))
        self.assertEqual(c.list_build_batches(filter={"status": "STOPPED"})["ids"], [ids[0]])
        first = c.list_build_batches_for_project(projectName="lst", maxResults=1,
                                                 sortOrder="ASCENDING")
        self.assertEqual(first["ids"], [ids[1]])
        second = c.list_build_batches_for_project(projectName="lst", maxResults=1,
                                                  sortOrder="ASCENDING",
                                                  nextToken=first["nextToken"])
        self.assertEqual(second["ids"], [ids[3]])
        self.assertNotIn("nextToken", second)
        # delete a complete batch: it and its builds are gone
        members = [g["currentBuildSummary"]["arn"].split(":build/")[1]
                   for g in s["buildGroups"] if "currentBuildSummary" in g]
        d = c.delete_build_batch(id=ids[0])
        self.assertEqual(sorted(d.get("buildsDeleted", [])), sorted(members))
        self.assertEqual(c.batch_get_build_batches(ids=[ids[0]])["buildBatchesNotFound"],
                         [ids[0]])
        if members:
            self.assertEqual(c.batch_get_builds(ids=members)["buildsNotFound"], members)
