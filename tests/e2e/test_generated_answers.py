"""Generated answers are realistic (issue 10, section 5; docs/mock.md "Generated from the spec"):
values of the request echoed where the answer carries them, ARNs with --region and the
request's account, ids `owner:uuid`, timestamps from the mock clock, the same bytes under the
same seed, and listings that page by the spec's paginators: a finite, seeded number of items,
pages of at most the page size or the request's limit, nextToken until the last page, and
InvalidInputException for a token no answer gave. Through Debian's boto3 (its paginators
included) and raw HTTP.
"""

import json
import re
import unittest

import allops
import cbkit_e2e as e2e
from cbkit_e2e import UUID_RE

e2e.use_client_env()

import boto3  # noqa: E402  (after the environment is set)
import botocore.config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

CLOCK = "2026-03-04T05:06:07Z"
CLOCK_EPOCH = 1772600767
REGION = "eu-west-3"
ACCOUNT = "111122223333"


def setUpModule():
    e2e.require_debian_python()


def client(m, access_key=None):
    session = boto3.session.Session(
        aws_access_key_id=access_key or e2e.CLIENT_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=e2e.CLIENT_ENV["AWS_SECRET_ACCESS_KEY"])
    c = session.client("codebuild", endpoint_url=m.url, region_name=REGION,
                       config=botocore.config.Config(retries={"total_max_attempts": 1}))
    m._clients.append(c)
    return c


PROJECT = dict(name="my-app", source={"type": "NO_SOURCE", "buildspec": "version: 0.2"},
               artifacts={"type": "NO_ARTIFACTS"},
               environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                            "computeType": "BUILD_GENERAL1_SMALL"},
               serviceRole="arn:aws:iam::111122223333:role/build")


class Realistic(e2e.MockTestCase):
    def setUp(self):
        self.m = self.start_mock("--seed", "7", "--clock", CLOCK, "--region", REGION,
                                 "--account", ACCOUNT)
        self.c = client(self.m)

    def test_create_project_echoes_the_request(self):
        p = self.c.create_project(**PROJECT)["project"]
        self.assertEqual(p["name"], "my-app")
        self.assertEqual(p["arn"], "arn:aws:codebuild:%s:%s:project/my-app" % (REGION, ACCOUNT))
        self.assertEqual(p["source"], PROJECT["source"])
        self.assertEqual(p["artifacts"], PROJECT["artifacts"])
        self.assertEqual(p["environment"], PROJECT["environment"])
        self.assertEqual(p["serviceRole"], PROJECT["serviceRole"])
        self.assertEqual(p["created"].timestamp(), CLOCK_EPOCH)
        self.assertEqual(p["lastModified"].timestamp(), CLOCK_EPOCH)

    def test_the_account_of_the_request(self):
        # a 12-digit access key id is the account (as LocalStack and moto do)
        c = client(self.m, access_key="444455556666")
        p = c.create_project(**PROJECT)["project"]
        self.assertEqual(p["arn"], "arn:aws:codebuild:%s:444455556666:project/my-app" % REGION)

    def test_start_build_names_its_project(self):
        b = self.c.start_build(projectName="my-app")["build"]
        self.assertEqual(b["projectName"], "my-app")
        self.assertRegex(b["id"], "^my-app:%s$" % UUID_RE)
        self.assertEqual(b["arn"], "arn:aws:codebuild:%s:%s:build/%s" % (REGION, ACCOUNT, b["id"]))
        self.assertEqual(b["startTime"].timestamp(), CLOCK_EPOCH)

    def test_batch_get_answers_for_each_name_and_id(self):
        out = self.c.batch_get_projects(names=["web", "api", "worker"])
        self.assertEqual([p["name"] for p in out["projects"]], ["web", "api", "worker"])
        self.assertEqual(out.get("projectsNotFound", []), [])
        self.assertEqual(out["projects"][1]["arn"],
                         "arn:aws:codebuild:%s:%s:project/api" % (REGION, ACCOUNT))
        ids = ["web:0f0e0d0c-0000-4000-8000-000000000001", "api:0f0e0d0c-0000-4000-8000-00000000000a"]
        out = self.c.batch_get_builds(ids=ids)
        self.assertEqual([b["id"] for b in out["builds"]], ids)
        self.assertEqual([b["projectName"] for b in out["builds"]], ["web", "api"])
        self.assertEqual(out.get("buildsNotFound", []), [])
        arns = ["arn:aws:codebuild:%s:%s:report-group/unit" % (REGION, ACCOUNT)]
        out = self.c.batch_get_report_groups(reportGroupArns=arns)
        self.assertEqual([g["arn"] for g in out["reportGroups"]], arns)
        self.assertEqual(out["reportGroups"][0]["name"], "unit")
        out = self.c.batch_delete_builds(ids=ids)
        self.assertEqual(out["buildsDeleted"], ids)
        self.assertEqual(out.get("buildsNotDeleted", []), [])

    def test_lists_of_an_owner(self):
        ids = self.c.list_builds_for_project(projectName="my-app")["ids"]
        self.assertTrue(ids)
        for i in ids:
            self.assertRegex(i, "^my-app:%s$" % UUID_RE)

    def test_same_seed_same_bytes(self):
        other = self.start_mock("--seed", "7", "--clock", CLOCK, "--region", REGION,
                                "--account", ACCOUNT)
        third = self.start_mock("--seed", "8", "--clock", CLOCK, "--region", REGION,
                                "--account", ACCOUNT)
        spec = allops.Spec(allops.load_spec(allops.bundled_spec_path()))
        differ = 0
        for name in ("CreateProject", "BatchGetBuilds", "ListProjects", "DescribeTestCases",
                     "CreateWebhook", "ListFleets"):
            body = json.dumps(spec.request(name))
            a = self.m.raw(body, target=name)
            b = other.raw(body, target=name)
            c = third.raw(body, target=name)
            self.assertEqual(a[0], 200, a[2][:300])
            self.assertEqual(a[2], b[2], name)
            differ += a[2] != c[2]
        self.assertGreater(differ, 0)


class Paging(e2e.MockTestCase):
    def setUp(self):
        self.m = self.start_mock("--seed", "3")
        self.c = client(self.m)

    def walk(self, op, key, **kw):
        pages = list(self.c.get_paginator(op).paginate(**kw))
        return pages, [x for p in pages for x in p[key]]

    def test_list_projects_pages_of_100(self):
        pages, items = self.walk("list_projects", "projects")
        self.assertGreaterEqual(len(pages), 2)
        self.assertLessEqual(len(pages), 3)
        for p in pages[:-1]:
            self.assertEqual(len(p["projects"]), 100)
            self.assertIn("nextToken", p)
        self.assertNotIn("nextToken", pages[-1])
        self.assertGreaterEqual(len(pages[-1]["projects"]), 1)
        self.assertEqual(len(set(items)), len(items))
        for name in items:
            self.assertRegex(name, r"^[A-Za-z0-9][A-Za-z0-9\-_]{1,149}$")
        # the listing is the same every time in a run
        self.assertEqual(self.walk("list_projects", "projects")[1], items)

    def test_the_request_limit(self):
        pages, items = self.walk("list_build_batches", "ids", PaginationConfig={"PageSize": 7})
        self.assertGreater(len(pages), 14)
        self.assertTrue(all(len(p["ids"]) <= 7 for p in pages))
        self.assertTrue(all(len(p["ids"]) == 7 for p in pages[:-1]))
        _, all_at_once = self.walk("list_build_batches", "ids")
        self.assertEqual(items, all_at_once)

    def test_every_paginated_operation(self):
        spec = allops.Spec(allops.load_spec(allops.bundled_spec_path()))
        paginators = spec.spec["paginators"]
        self.assertGreaterEqual(len(paginators), 15)
        for op, pg in paginators.items():
            with self.subTest(operation=op):
                req = spec.request(op)
                limit = None
                if "limitKey" in pg:
                    limit = 40
                    req[pg["limitKey"]] = limit
                total, pages, token = 0, 0, None
                while True:
                    if token is not None:
                        req[pg["inputToken"]] = token
                    status, _, data = self.m.raw(json.dumps(req), target=op)
                    self.assertEqual(status, 200, data[:300])
                    doc = json.loads(data)
                    n = len(doc[pg["resultKeys"][0]])
                    self.assertGreaterEqual(n, 1)
                    self.assertLessEqual(n, limit or 100)
                    total += n
                    pages += 1
                    token = doc.get(pg["outputToken"])
                    if token is None:
                        break
                    self.assertEqual(n, limit or 100)
                    self.assertLess(pages, 20)
                self.assertGreater(total, limit or 100)

    def test_tokens_no_answer_gave(self):
        first = self.c.list_projects()
        good = first["nextToken"]
        for bad in ("bogus", good[:-1] + ("0" if good[-1] != "0" else "1"), good + "0"):
            with self.subTest(token=bad):
                with self.assertRaises(ClientError) as cm:
                    self.c.list_projects(nextToken=bad)
                err = cm.exception.response["Error"]
                self.assertEqual(err["Code"], "InvalidInputException")
                self.assertIn("nextToken", err["Message"])
        # a token of another listing, or of another run
        with self.assertRaises(ClientError) as cm:
            self.c.list_builds(nextToken=good)
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidInputException")
        other = self.start_mock("--seed", "4")
        with self.assertRaises(ClientError):
            client(other).list_projects(nextToken=good)
        # the good token still works
        self.assertTrue(self.c.list_projects(nextToken=good)["projects"])


if __name__ == "__main__":
    unittest.main()
