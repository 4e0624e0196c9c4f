"""An inventory walk as audit tools do it (ListProjects -> BatchGetProjects in hundreds ->
ListBuildsForProject -> BatchGetBuilds in hundreds) over 150 projects and 250 builds, through
Debian's boto3 paginators and the AWS CLI v2's automatic paging: every project and build is
seen exactly once, in the documented orders, pages of 100 with nextToken.
"""

import json

import cbkit_e2e as e2e
from cbkit_e2e import MockTestCase

e2e.use_client_env()

NPROJECTS = 150
NBUILDS = 250


def setUpModule():
    e2e.require_debian_python()


def chunks(xs, n):
    return [xs[i:i + n] for i in range(0, len(xs), n)]


class Inventory(MockTestCase):
    @classmethod
    def setUpClass(cls):
        e2e.require_debian_python()
        cls.m = e2e.Mock("--clock", "2026-01-01T00:00:00Z", "--world", "strict")
        cls.c = cls.m.boto3()
        cls.names = ["inv-%03d" % i for i in range(NPROJECTS)]
        for i, n in enumerate(cls.names):
            cls.c.create_project(name=n, source={"type": "NO_SOURCE", "buildspec": "x"},
                                 artifacts={"type": "NO_ARTIFACTS"},
                                 serviceRole="arn:aws:iam::123456789012:role/r",
                                 environment={"type": "LINUX_CONTAINER", "image": "i",
                                              "computeType": "BUILD_GENERAL1_SMALL"})
            cls.m.post("clock", {"advanceSeconds": 1})
        # 250 builds: most in the first two projects (more than a page each), one in others
        cls.builds = {}
        for i in range(NBUILDS):
            p = cls.names[0] if i < 120 else cls.names[1] if i < 230 else cls.names[i - 228]
            b = cls.c.start_build(projectName=p)["build"]
            cls.builds[b["id"]] = (p, b["buildNumber"])

    @classmethod
    def tearDownClass(cls):
        try:
            cls.m.stop()
        finally:
            cls.m.cleanup()

    def test_boto3_paginators(self):
        c = self.c
        pages = list(c.get_paginator("list_projects").paginate())
        self.assertEqual([len(p["projects"]) for p in pages], [100, 50])
        self.assertIn("nextToken", pages[0])
        names = [n for p in pages for n in p["projects"]]
        self.assertEqual(names, sorted(self.names))  # by name, ascending
        by_time = [n for p in c.get_paginator("list_projects").paginate(
            sortBy="CREATED_TIME", sortOrder="DESCENDING") for n in p["projects"]]
        self.assertEqual(by_time, list(reversed(self.names)))
        projects = [p for chunk in chunks(names, 100)
                    for p in c.batch_get_projects(names=chunk)["projects"]]
        self.assertEqual([p["name"] for p in projects], names)

        seen = []
        for n in names:
            ids = [i for p in c.get_paginator("list_builds_for_project").paginate(projectName=n)
                   for i in p["ids"]]
            numbers = [self.builds[i][1] for i in ids]
            self.assertEqual(numbers, sorted(numbers, reverse=True))  # descending by number
            self.assertTrue(all(self.builds[i][0] == n for i in ids))
            for chunk in chunks(ids, 100):
                r = c.batch_get_builds(ids=chunk)
                self.assertEqual([b["id"] for b in r["builds"]], chunk)
                self.assertNotIn("buildsNotFound", r)
            seen += ids
        self.assertEqual(sorted(seen), sorted(self.builds))
        self.assertEqual(len(seen), NBUILDS)

        pages = list(c.get_paginator("list_builds").paginate())
        self.assertEqual([len(p["ids"]) for p in pages], [100, 100, 50])
        newest_first = [i for p in pages for i in p["ids"]]
        self.assertEqual(newest_first, list(reversed(list(self.builds))))
        oldest_first = [i for p in c.get_paginator("list_builds").paginate(sortOrder="ASCENDING")
                        for i in p["ids"]]
        self.assertEqual(oldest_first, list(self.builds))
        asc = [i for p in c.get_paginator("list_builds_for_project").paginate(
            projectName=self.names[0], sortOrder="ASCENDING") for i in p["ids"]]
        self.assertEqual([self.builds[i][1] for i in asc], list(range(1, 121)))

    def test_cli_auto_paging(self):
        r = self.m.aws("codebuild", "list-projects")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["projects"], sorted(self.names))
        r = self.m.aws("codebuild", "list-builds")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(json.loads(r.stdout)["ids"]), sorted(self.builds))
        r = self.m.aws("codebuild", "list-builds-for-project", "--project-name", self.names[1])
        self.assertEqual(r.returncode, 0, r.stderr)
        ids = json.loads(r.stdout)["ids"]
        self.assertEqual(len(ids), 110)
        self.assertEqual([self.builds[i][1] for i in ids], list(range(110, 0, -1)))
        # a page at a time, as --no-paginate shows it
        r = self.m.aws("codebuild", "list-projects", "--no-paginate")
        doc = json.loads(r.stdout)
        self.assertEqual(len(doc["projects"]), 100)
        self.assertIn("nextToken", doc)
        r = self.m.aws("codebuild", "list-projects", "--no-paginate",
                       "--next-token", doc["nextToken"])
        self.assertEqual(json.loads(r.stdout)["projects"], sorted(self.names)[100:])

    def test_bad_token(self):
        from botocore.exceptions import ClientError
        with self.assertRaises(ClientError) as cm:
            self.c.list_builds(nextToken="not-ours")
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidInputException")
