"""Projects and their satellites as infrastructure-as-code tools use them, through Debian's
boto3 and the AWS CLI v2: create (with the defaults AWS fills in), read back with
BatchGetProjects, update, change the visibility, webhooks, delete; the name rules and the
second create; source credentials whose token is never echoed, kept or journaled.
"""

import json

import cbkit_e2e as e2e
from cbkit_e2e import MockTestCase

e2e.use_client_env()

import botocore.config  # noqa: E402
from botocore.exceptions import ClientError, ParamValidationError  # noqa: E402

NO_RETRY = botocore.config.Config(retries={"total_max_attempts": 1}, parameter_validation=False)
ARN = "arn:aws:codebuild:us-east-1:123456789012:project/"
TOKEN = "ghp_0123456789abcdefTOKENVALUE"


def setUpModule():
    e2e.require_debian_python()


def project_args(name, **kw):
    a = {"name": name,
         "source": {"type": "GITHUB", "location": "https://github.com/octo/%s.git" % name},
         "artifacts": {"type": "S3", "location": "artifact-bucket", "name": name + ".zip"},
         "environment": {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                         "computeType": "BUILD_GENERAL1_SMALL"},
         "serviceRole": "arn:aws:iam::123456789012:role/codebuild-" + name}
    a.update(kw)
    return a


class Projects(MockTestCase):
    def setUp(self):
        self.m = self.start_mock("--clock", "2026-01-01T00:00:00Z", "--world", "strict")
        self.c = self.m.boto3(config=NO_RETRY)

    def test_create_read_update_delete(self):
        c, m = self.c, self.m
        p = c.create_project(**project_args("infra", description="made by a tool",
                                            tags=[{"key": "team", "value": "ci"}]))["project"]
        self.assertEqual(p["name"], "infra")
        self.assertEqual(p["arn"], ARN + "infra")
        self.assertEqual(p["description"], "made by a tool")
        # what AWS fills in
        self.assertEqual(p["environment"]["environmentVariables"], [])
        self.assertIs(p["environment"]["privilegedMode"], False)
        self.assertEqual(p["environment"]["imagePullCredentialsType"], "CODEBUILD")
        self.assertEqual(p["artifacts"]["packaging"], "NONE")
        self.assertEqual(p["cache"], {"type": "NO_CACHE"})
        self.assertEqual(p["timeoutInMinutes"], 60)
        self.assertEqual(p["queuedTimeoutInMinutes"], 480)
        self.assertEqual(p["encryptionKey"], "arn:aws:kms:us-east-1:123456789012:alias/aws/s3")
        self.assertEqual(p["badge"], {"badgeEnabled": False})
        self.assertEqual(p["tags"], [{"key": "team", "value": "ci"}])
        self.assertEqual(p["created"], p["lastModified"])
        # read back as Terraform does
        got = c.batch_get_projects(names=["infra", ARN + "infra", "missing"])
        self.assertEqual([x["name"] for x in got["projects"]], ["infra", "infra"])
        self.assertEqual(got["projects"][0], p)
        self.assertEqual(got["projectsNotFound"], ["missing"])
        # a second create of the name
        with self.assertRaises(c.exceptions.ResourceAlreadyExistsException) as cm:
            c.create_project(**project_args("infra"))
        self.assertEqual(cm.exception.response["Error"]["Message"],
                         "Project already exists: " + ARN + "infra")
        # update: the members given replace the old ones; lastModified moves
        m.post("clock", {"advanceSeconds": 60})
        u = c.update_project(name="infra", timeoutInMinutes=90, badgeEnabled=True,
                             environment={"type": "LINUX_CONTAINER", "image": "other:2",
                                          "computeType": "BUILD_GENERAL1_MEDIUM",
                                          "environmentVariables": [
                                              {"name": "STAGE", "value": "prod"}]})["project"]
        self.assertEqual(u["timeoutInMinutes"], 90)
        self.assertEqual(u["environment"]["image"], "other:2")
        self.assertEqual(u["environment"]["environmentVariables"],
                         [{"name": "STAGE", "value": "prod", "type": "PLAINTEXT"}])
        self.assertIs(u["badge"]["badgeEnabled"], True)
        self.assertIn("badgeRequestUrl", u["badge"])
        self.assertEqual(u["description"], "made by a tool")
        self.assertEqual((u["lastModified"] - u["created"]).total_seconds(), 60)
        # builds use the new members
        b = c.start_build(projectName="infra")["build"]
        self.assertEqual(b["environment"]["image"], "other:2")
        self.assertEqual(b["timeoutInMinutes"], 90)
        # visibility
        v = c.update_project_visibility(projectArn=ARN + "infra", projectVisibility="PUBLIC_READ")
        self.assertEqual(v["projectArn"], ARN + "infra")
        self.assertEqual(v["projectVisibility"], "PUBLIC_READ")
        self.assertTrue(v["publicProjectAlias"])
        back = c.batch_get_projects(names=["infra"])["projects"][0]
        self.assertEqual(back["projectVisibility"], "PUBLIC_READ")
        self.assertEqual(back["publicProjectAlias"], v["publicProjectAlias"])
        c.invalidate_project_cache(projectName="infra")
        # delete: gone, its builds stay; deleting again is fine
        c.delete_project(name="infra")
        self.assertEqual(c.batch_get_projects(names=["infra"])["projectsNotFound"], ["infra"])
        c.delete_project(name="infra")
        self.assertEqual(c.batch_get_builds(ids=[b["id"]])["builds"][0]["id"], b["id"])
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.update_project(name="infra", timeoutInMinutes=30)
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.invalidate_project_cache(projectName="infra")

    def test_name_rules(self):
        for bad in ("x", "-starts-with-dash", "has space", "a" * 151):
            with self.subTest(name=bad):
                with self.assertRaises(ClientError) as cm:
                    self.c.create_project(**project_args(bad))
                self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidInputException")
                self.assertIn("'name'", cm.exception.response["Error"]["Message"])
        self.assertEqual(self.c.create_project(**project_args("ok_name-2"))["project"]["name"],
                         "ok_name-2")

    def test_webhooks(self):
        c = self.c
        c.create_project(**project_args("hooked"))
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.create_webhook(projectName="nope")
        h = c.create_webhook(projectName="hooked", buildType="BUILD",
                             filterGroups=[[{"type": "EVENT", "pattern": "PUSH"},
                                            {"type": "HEAD_REF", "pattern": "^refs/heads/main$"}]]
                             )["webhook"]
        self.assertRegex(h["url"], r"^https://api\.github\.com/repos/octo/hooked/hooks/\d+$")
        self.assertRegex(h["payloadUrl"], r"^https://codebuild\.us-east-1\.amazonaws\.com/webhooks")
        self.assertEqual(h["filterGroups"][0][0], {"type": "EVENT", "pattern": "PUSH"})
        self.assertNotIn("secret", h)
        with self.assertRaises(c.exceptions.ResourceAlreadyExistsException):
            c.create_webhook(projectName="hooked")
        p = c.batch_get_projects(names=["hooked"])["projects"][0]
        self.assertEqual(p["webhook"]["url"], h["url"])
        u = c.update_webhook(projectName="hooked", branchFilter="^main$")["webhook"]
        self.assertEqual(u["branchFilter"], "^main$")
        self.assertEqual(u["url"], h["url"])
        c.delete_webhook(projectName="hooked")
        self.assertNotIn("webhook", c.batch_get_projects(names=["hooked"])["projects"][0])
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.delete_webhook(projectName="hooked")
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.update_webhook(projectName="hooked")

    def test_source_credentials_never_show_the_token(self):
        c, m = self.c, self.m
        r = c.import_source_credentials(token=TOKEN, serverType="GITHUB",
                                        authType="PERSONAL_ACCESS_TOKEN")
        arn = "arn:aws:codebuild:us-east-1:123456789012:token/github"
        self.assertEqual(r["arn"], arn)
        with self.assertRaises(c.exceptions.ResourceAlreadyExistsException):
            c.import_source_credentials(token=TOKEN, serverType="GITHUB",
                                        authType="PERSONAL_ACCESS_TOKEN", shouldOverwrite=False)
        c.import_source_credentials(token="bb-" + TOKEN, serverType="BITBUCKET",
                                    authType="BASIC_AUTH", username="me")
        infos = c.list_source_credentials()["sourceCredentialsInfos"]
        self.assertEqual([(i["serverType"], i["authType"]) for i in infos],
                         [("BITBUCKET", "BASIC_AUTH"), ("GITHUB", "PERSONAL_ACCESS_TOKEN")])
        self.assertEqual(c.delete_source_credentials(arn=arn)["arn"], arn)
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.delete_source_credentials(arn=arn)
        # nothing the mock shows holds the token: journal, violations, state, report
        journal = json.dumps(m.get("requests"))
        self.assertIn("ImportSourceCredentials", journal)
        self.assertNotIn(TOKEN, journal)
        self.assertIn("[REDACTED]", journal)
        self.assertNotIn(TOKEN, json.dumps(m.get("state")))
        self.assertNotIn(TOKEN, json.dumps(m.get("violations")))


class ProjectsCli(MockTestCase):
    def test_cli_create_get_delete(self):
        m = self.start_mock("--clock", "2026-01-01T00:00:00Z")
        r = m.aws("codebuild", "create-project", "--name", "cli-proj",
                  "--source", "type=NO_SOURCE,buildspec=version: 0.2",
                  "--artifacts", "type=NO_ARTIFACTS",
                  "--environment", "type=LINUX_CONTAINER,image=i,computeType=BUILD_GENERAL1_SMALL",
                  "--service-role", "arn:aws:iam::123456789012:role/r")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["project"]["arn"], ARN + "cli-proj")
        r = m.aws("codebuild", "create-project", "--name", "cli-proj",
                  "--source", "type=NO_SOURCE", "--artifacts", "type=NO_ARTIFACTS",
                  "--environment", "type=LINUX_CONTAINER,image=i,computeType=BUILD_GENERAL1_SMALL",
                  "--service-role", "arn:aws:iam::123456789012:role/r")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ResourceAlreadyExistsException", r.stderr)
        r = m.aws("codebuild", "batch-get-projects", "--names", "cli-proj", "gone")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["projects"][0]["name"], "cli-proj")
        self.assertEqual(doc["projectsNotFound"], ["gone"])
        r = m.aws("codebuild", "delete-project", "--name", "cli-proj")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = m.aws("codebuild", "list-projects")
        self.assertEqual(json.loads(r.stdout)["projects"], [])
