"""The container image (issue 12 §5; Dockerfile, docs/ci.md) and the CI examples
(examples/ci/).

Where a container engine answers (`docker info`) and the base image debian:12-slim is there
(or CBK_CONTAINER_PULL=1 lets the engine pull it), the image is built from the checkout and
run as a CI service container would run it: published on a loopback port, configured by
CBKIT_* variables only. It must turn healthy through its HEALTHCHECK (`cbkit health`), run
as a non-root user, answer boto3, keep the admin API behind the token while the health path
stays open, and stop cleanly on SIGTERM. The image size is printed. Where there is no
engine or no base image the tests are skipped with the reason.

The examples are checked everywhere: the GitHub Actions workflow and the compose file are
parsed and must use the image with the health check and the variables the image reads; the
Testcontainers snippet must compile, and runs where the `testcontainers` package and an
engine are there.
"""

import json
import os
import shutil
import subprocess
import time
import unittest
import uuid

import cbkit_e2e as e2e

SOURCE = os.environ.get("CBK_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
EXAMPLES = os.path.join(SOURCE, "examples", "ci")
BASE_IMAGE = "debian:12-slim"
BUILD_TIMEOUT = 1800
HEALTHY_TIMEOUT = 120


def setUpModule():
    e2e.require_debian_python()


def docker(*args, timeout=e2e.CLI_TIMEOUT, check=True):
    r = subprocess.run(["docker"] + list(args), capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if check and r.returncode != 0:
        raise AssertionError("docker %s failed (%d): %s" % (" ".join(args), r.returncode,
                                                              r.stderr.strip()))
    return r


def engine_or_skip():
    """Skip (with the reason) unless an engine answers and the base image can be had."""
    if not shutil.which("docker"):
        raise unittest.SkipTest("no container engine: the docker command is not installed")
    r = docker("info", "--format", "{{.ServerVersion}}", check=False, timeout=60)
    if r.returncode != 0:
        raise unittest.SkipTest("no container engine answers: docker info: %s"
                                % (r.stderr.strip().splitlines() or ["?"])[-1])
    if docker("image", "inspect", BASE_IMAGE, check=False).returncode != 0:
        if os.environ.get("CBK_CONTAINER_PULL") != "1":
            raise unittest.SkipTest("the base image %s is not available locally (pull it, or "
                                    "set CBK_CONTAINER_PULL=1)" % BASE_IMAGE)
        r = docker("pull", BASE_IMAGE, check=False, timeout=BUILD_TIMEOUT)
        if r.returncode != 0:
            raise unittest.SkipTest("cannot pull %s: %s" % (BASE_IMAGE, r.stderr.strip()))


class RemoteMock:
    """The admin helpers of e2e.Mock for a mock this test did not start (in a container)."""
    admin = e2e.Mock.admin
    get = e2e.Mock.get

    def __init__(self, url):
        self.url = url


class Image(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        engine_or_skip()
        cls.tag = "cbkit-test:%s" % uuid.uuid4().hex[:12]
        r = docker("build", "-t", cls.tag, SOURCE, timeout=BUILD_TIMEOUT, check=False)
        if r.returncode != 0:
            raise AssertionError("docker build failed:\n%s\n%s" % (r.stdout[-4000:],
                                                                    r.stderr[-4000:]))
        size = int(docker("image", "inspect", "--format", "{{.Size}}", cls.tag).stdout)
        print("\nimage %s: %.1f MB (%d bytes)" % (cls.tag, size / 1e6, size))

    @classmethod
    def tearDownClass(cls):
        docker("image", "rm", "-f", cls.tag, check=False)

    def run_container(self, *env):
        args = ["run", "-d", "-p", "127.0.0.1::7766"]
        for e in env:
            args += ["-e", e]
        cid = docker(*args, self.tag).stdout.strip()
        self.addCleanup(docker, "rm", "-f", cid, check=False)
        port = docker("port", cid, "7766/tcp").stdout.strip().splitlines()[0].rsplit(":", 1)[1]
        return cid, int(port)

    def wait_healthy(self, cid):
        deadline = time.monotonic() + HEALTHY_TIMEOUT
        while True:
            st = docker("inspect", "--format", "{{json .State.Health}}", cid).stdout
            health = json.loads(st)
            if health and health["Status"] == "healthy":
                return health
            if time.monotonic() > deadline:
                self.fail("not healthy within %d s: %s\nlogs: %s"
                          % (HEALTHY_TIMEOUT, st, docker("logs", cid, check=False).stderr))
            time.sleep(0.5)

    def test_service_container(self):
        token = "container-" + uuid.uuid4().hex
        cid, port = self.run_container("CBKIT_ADMIN_TOKEN=" + token, "CBKIT_SEED=7",
                                       "CBKIT_WORLD=strict")
        health = self.wait_healthy(cid)
        self.assertEqual(health["Log"][-1]["ExitCode"], 0)
        self.assertIn("ok: http://127.0.0.1:7766/__cbkit/health", health["Log"][-1]["Output"])
        # non-root (the image has no `id`: ask the engine for the user of its process)
        uid = docker("inspect", "--format", "{{.Config.User}}", cid).stdout.strip()
        self.assertEqual(uid, "10001:10001")
        top = docker("top", cid, "-o", "uid").stdout.split()
        self.assertIn("10001", top[1:])
        # the admin API through the published port: a remote peer for the mock
        m = RemoteMock("http://127.0.0.1:%d" % port)
        st, doc = m.admin("GET", "health")
        self.assertEqual((st, doc), (200, {"status": "ok"}))
        st, _ = m.admin("GET", "requests")
        self.assertEqual(st, 401)
        doc = m.get("health", token=token)
        self.assertEqual(doc["world"], "strict")
        self.assertTrue(doc["virtualClock"])
        # a real client
        import boto3
        e2e.use_client_env()
        c = boto3.client("codebuild", endpoint_url=m.url, region_name="us-east-1")
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.stop_build(id="container:unknown")
        self.assertEqual(m.get("requests", token=token)["total"], 1)
        # docker stop: SIGTERM to cbkit (PID 1), a clean exit
        docker("stop", "-t", "30", cid, timeout=60)
        code = docker("inspect", "--format", "{{.State.ExitCode}}", cid).stdout.strip()
        self.assertEqual(code, "0")
        logs = docker("logs", cid).stderr
        self.assertIn("cbkit: mock stopped (SIGTERM)", logs)

    def test_testcontainers_snippet(self):
        try:
            import testcontainers  # noqa: F401
        except ImportError:
            self.skipTest("the testcontainers package is not installed")
        r = subprocess.run([e2e.DEBIAN_PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "test_with_testcontainers.py"], cwd=EXAMPLES,
                           env=dict(e2e.client_env(), CBKIT_IMAGE=self.tag),
                           capture_output=True, text=True, timeout=BUILD_TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_bad_variable_stops_the_container(self):
        cid, _ = self.run_container("CBKIT_WORLD=closed")
        docker("wait", cid, timeout=60)
        code = docker("inspect", "--format", "{{.State.ExitCode}}", cid).stdout.strip()
        self.assertEqual(code, "2")
        self.assertIn("CBKIT_WORLD wants open or strict", docker("logs", cid).stderr)


class Examples(unittest.TestCase):

    def load_yaml(self, name):
        try:
            import yaml
        except ImportError:
            self.skipTest("python3-yaml is not installed")
        with open(os.path.join(EXAMPLES, name)) as f:
            return yaml.safe_load(f)

    def test_github_actions_workflow(self):
        wf = self.load_yaml("github-actions.yml")
        jobs = wf["jobs"]
        self.assertTrue(jobs)
        for name, job in jobs.items():
            svc = job["services"]["cbkit"]
            self.assertIn("cbkit", svc["image"])
            self.assertIn("7766:7766", [str(p) for p in svc["ports"]])
            self.assertIn("--health-cmd", svc["options"])
            self.assertIn("cbkit health", svc["options"])
            env = svc["env"]
            self.assertTrue(all(k.startswith("CBKIT_") for k in env), env)
            steps_env = {}
            for step in job["steps"]:
                steps_env.update(step.get("env", {}))
            steps_env.update(job.get("env", {}))
            self.assertEqual(steps_env.get("AWS_ENDPOINT_URL_CODEBUILD"),
                             "http://localhost:7766")

    def test_compose_file(self):
        doc = self.load_yaml("compose.yaml")
        svc = doc["services"]["cbkit"]
        self.assertIn("cbkit health", " ".join(svc["healthcheck"]["test"]))
        self.assertTrue(all(k.startswith("CBKIT_") for k in svc["environment"]))
        tests = doc["services"]["tests"]
        self.assertEqual(tests["depends_on"]["cbkit"]["condition"], "service_healthy")
        self.assertEqual(tests["environment"]["AWS_ENDPOINT_URL_CODEBUILD"], "http://cbkit:7766")
        # where the compose plugin is installed, it must accept the file too
        if shutil.which("docker") and docker("compose", "version", check=False).returncode == 0:
            docker("compose", "-f", os.path.join(EXAMPLES, "compose.yaml"), "config", "--quiet")

    def test_testcontainers_snippet_compiles(self):
        path = os.path.join(EXAMPLES, "test_with_testcontainers.py")
        with open(path) as f:
            compile(f.read(), path, "exec")  # a SyntaxError fails the test


if __name__ == "__main__":
    unittest.main()
