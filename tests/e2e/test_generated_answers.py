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


# The operations below are ones no behaviour of cbkit answers (reports, fleets, sandboxes,
# webhooks): their answers are generated, whatever CodeBuild's model grows to answer. The journal
# says so (answeredBy "generated"), and each test checks it.
REPORT_GROUP = dict(name="unit", type="TEST", exportConfig={"exportConfigType": "NO_EXPORT"})


def generated(testcase, m, n):
    """The last n journal entries were answered by the generator."""
    entries = m.settled_requests(limit=n)["requests"]
    testcase.assertEqual([e["answeredBy"] for e in entries], ["generated"] * n)


class Realistic(e2e.MockTestCase):
    def setUp(self):
        self.m = self.start_mock("--seed", "7", "--clock", CLOCK, "--region", REGION,
                                 "--account", ACCOUNT)
        self.c = client(self.m)

    def raw(self, op, body):
        status, _, data = self.m.raw(json.dumps(body), target=op)
        self.assertEqual(status, 200, data[:300])
        return json.loads(data)

    def test_create_echoes_the_request(self):
        g = self.c.create_report_group(**REPORT_GROUP)["reportGroup"]
        self.assertEqual(g["name"], "unit")
        self.assertEqual(g["type"], "TEST")
        self.assertEqual(g["arn"], "arn:aws:codebuild:%s:%s:report-group/unit" % (REGION, ACCOUNT))
        self.assertEqual(g["exportConfig"], REPORT_GROUP["exportConfig"])
        self.assertEqual(g["created"].timestamp(), CLOCK_EPOCH)
        self.assertEqual(g["lastModified"].timestamp(), CLOCK_EPOCH)
        generated(self, self.m, 1)

    def test_the_account_of_the_request(self):
        # a 12-digit access key id is the account (as LocalStack and moto do)
        c = client(self.m, access_key="444455556666")
        g = c.create_report_group(**REPORT_GROUP)["reportGroup"]
        self.assertEqual(g["arn"], "arn:aws:codebuild:%s:444455556666:report-group/unit" % REGION)

    def test_ids_of_an_owner(self):
        sb = self.raw("StartSandbox", {"projectName": "my-app"})["sandbox"]
        self.assertEqual(sb["projectName"], "my-app")
        self.assertRegex(sb["id"], "^my-app:%s$" % UUID_RE)
        self.assertEqual(sb["arn"], "arn:aws:codebuild:%s:%s:sandbox/%s" % (REGION, ACCOUNT, sb["id"]))
        self.assertEqual(sb["requestTime"], CLOCK_EPOCH)
        ids = self.raw("ListSandboxesForProject", {"projectName": "my-app"})["ids"]
        self.assertTrue(ids)
        for i in ids:
            self.assertRegex(i, "^my-app:%s$" % UUID_RE)
        # an id asked for names its owner
        asked = ["web:0f0e0d0c-0000-4000-8000-000000000001", "api:0f0e0d0c-0000-4000-8000-00000000000a"]
        out = self.raw("BatchGetSandboxes", {"ids": asked})
        self.assertEqual([s["id"] for s in out["sandboxes"]], asked)
        self.assertEqual([s["projectName"] for s in out["sandboxes"]], ["web", "api"])
        self.assertEqual(out.get("sandboxesNotFound", []), [])
        generated(self, self.m, 3)

    def test_batch_get_answers_for_each_name_and_arn(self):
        arns = ["arn:aws:codebuild:%s:%s:report-group/unit" % (REGION, ACCOUNT),
                "arn:aws:codebuild:%s:%s:report-group/lint" % (REGION, ACCOUNT)]
        out = self.c.batch_get_report_groups(reportGroupArns=arns)
        self.assertEqual([g["arn"] for g in out["reportGroups"]], arns)
        self.assertEqual([g["name"] for g in out["reportGroups"]], ["unit", "lint"])
        self.assertEqual(out.get("reportGroupsNotFound", []), [])
        reports = ["arn:aws:codebuild:%s:%s:report/unit:0f0e0d0c-0000-4000-8000-000000000003"
                   % (REGION, ACCOUNT)]
        out = self.c.batch_get_reports(reportArns=reports)
        self.assertEqual([r["arn"] for r in out["reports"]], reports)
        self.assertEqual(out.get("reportsNotFound", []), [])
        out = self.raw("BatchGetFleets", {"names": ["small", "large"]})
        self.assertEqual([f["name"] for f in out["fleets"]], ["small", "large"])
        for f in out["fleets"]:
            self.assertEqual(f["arn"], "arn:aws:codebuild:%s:%s:fleet/%s" % (REGION, ACCOUNT, f["id"]))
        generated(self, self.m, 3)

    def test_list_items_say_what_they_are(self):
        groups = self.c.list_report_groups()["reportGroups"]
        prefix = "arn:aws:codebuild:%s:%s:report-group/" % (REGION, ACCOUNT)
        self.assertTrue(groups)
        self.assertTrue(all(g.startswith(prefix) for g in groups), groups[:3])
        self.assertEqual(len(set(groups)), len(groups))

    def test_same_seed_same_bytes(self):
        other = self.start_mock("--seed", "7", "--clock", CLOCK, "--region", REGION,
                                "--account", ACCOUNT)
        third = self.start_mock("--seed", "8", "--clock", CLOCK, "--region", REGION,
                                "--account", ACCOUNT)
        spec = allops.Spec(allops.load_spec(allops.bundled_spec_path()))
        differ = 0
        ops = ("CreateReportGroup", "BatchGetFleets", "ListReportGroups", "DescribeTestCases",
               "CreateWebhook", "ListFleets")
        for name in ops:
            body = json.dumps(spec.request(name))
            a = self.m.raw(body, target=name)
            b = other.raw(body, target=name)
            c = third.raw(body, target=name)
            self.assertEqual(a[0], 200, a[2][:300])
            self.assertEqual(a[2], b[2], name)
            differ += a[2] != c[2]
        self.assertGreater(differ, 0)
        generated(self, self.m, len(ops))


class Paging(e2e.MockTestCase):
    def setUp(self):
        self.m = self.start_mock("--seed", "3")
        self.c = client(self.m)

    def walk(self, op, key, **kw):
        pages = list(self.c.get_paginator(op).paginate(**kw))
        return pages, [x for p in pages for x in p[key]]

    def test_pages_of_100(self):
        pages, items = self.walk("list_report_groups", "reportGroups")
        self.assertGreaterEqual(len(pages), 2)
        self.assertLessEqual(len(pages), 3)
        for p in pages[:-1]:
            self.assertEqual(len(p["reportGroups"]), 100)
            self.assertIn("nextToken", p)
        self.assertNotIn("nextToken", pages[-1])
        self.assertGreaterEqual(len(pages[-1]["reportGroups"]), 1)
        self.assertEqual(len(set(items)), len(items))
        # the listing is the same every time in a run
        self.assertEqual(self.walk("list_report_groups", "reportGroups")[1], items)
        generated(self, self.m, 2 * len(pages))

    def test_the_request_limit(self):
        pages, items = self.walk("list_reports", "reports", PaginationConfig={"PageSize": 7})
        self.assertGreater(len(pages), 14)
        self.assertTrue(all(len(p["reports"]) <= 7 for p in pages))
        self.assertTrue(all(len(p["reports"]) == 7 for p in pages[:-1]))
        _, all_at_once = self.walk("list_reports", "reports")
        self.assertEqual(items, all_at_once)

    def test_every_paginated_operation(self):
        spec = allops.Spec(allops.load_spec(allops.bundled_spec_path()))
        paginators = spec.spec["paginators"]
        self.assertGreaterEqual(len(paginators), 15)
        checked = 0
        for op, pg in paginators.items():
            with self.subTest(operation=op):
                req = spec.request(op)
                limit = None
                if "limitKey" in pg:
                    limit = 40
                    req[pg["limitKey"]] = limit
                status, _, data = self.m.raw(json.dumps(req), target=op)
                self.assertEqual(status, 200, data[:300])
                entry = self.m.settled_requests(limit=1)["requests"][0]
                if entry["answeredBy"] != "generated":
                    continue  # a behaviour answers it: its listing is its own
                checked += 1
                total, pages = 0, 0
                while True:
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
                    req[pg["inputToken"]] = token
                    status, _, data = self.m.raw(json.dumps(req), target=op)
                    self.assertEqual(status, 200, data[:300])
                self.assertGreater(total, limit or 100)
        # the operations of reports, test cases, coverage, shared items and sandboxes at least
        self.assertGreaterEqual(checked, 9)

    def test_tokens_no_answer_gave(self):
        first = self.c.list_report_groups()
        good = first["nextToken"]
        for bad in ("bogus", good[:-1] + ("0" if good[-1] != "0" else "1"), good + "0"):
            with self.subTest(token=bad):
                with self.assertRaises(ClientError) as cm:
                    self.c.list_report_groups(nextToken=bad)
                err = cm.exception.response["Error"]
                self.assertEqual(err["Code"], "InvalidInputException")
                self.assertEqual(err["Message"], "Invalid nextToken provided")
        # a token of another listing, or of another run
        with self.assertRaises(ClientError) as cm:
            self.c.list_reports(nextToken=good)
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidInputException")
        other = self.start_mock("--seed", "4")
        with self.assertRaises(ClientError):
            client(other).list_report_groups(nextToken=good)
        # the good token still works
        self.assertTrue(self.c.list_report_groups(nextToken=good)["reportGroups"])


if __name__ == "__main__":
    unittest.main()
