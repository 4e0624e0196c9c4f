"""A full disk loses nothing (issue 9, section 4; docs/cassettes.md, "Written append-only").

`cbkit record` (and `cbkit mock --record-missing`, which appends through the same writer)
records until the cassette's file system is full: the clients of the exchanges that cannot be
written get 500 InternalFailure, and the file is rolled back to its last complete document.
Then space comes back and one more exchange is recorded. Afterwards:

  - the cassette loads, and a mock replaying it answers every request a client saw succeed,
    with the answer that client got; the requests that got a 500 are not in it;
  - the exchanges are numbered 1..N without a gap or a repeat;
  - `cbkit record --append` takes the file as it is (no cut tail to mark).

Two ways to fill the disk, each a variant of every test:
  - a 64 KiB tmpfs mounted for the test (needs mount rights: root outside a container; the
    variant is skipped, with the reason printed, where mounting fails);
  - the file size limit (RLIMIT_FSIZE, SIGXFSZ ignored), which any user can set: write(2)
    past it writes up to the limit, then fails (EFBIG), as on a full disk; raising it with
    prlimit(2) is the space coming back.
Before the fix, the exchange after the full disk was glued to a partial document and the
cassette no longer loaded (`duplicate key 'exchange'`).
"""

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import unittest
import unittest.mock

import cbkit_e2e as e2e
from cbkit_e2e import MockTestCase

MAX_REQUESTS = 400  # bound of the recording loop: the disk is full long before
FAILED_IN_A_ROW = 3  # after this many 500s in a row the disk is taken as full

HEADER = ("cbkit-cassette: 1\n"
          "cbkit: \"e2e\"\n"
          "spec: \"CodeBuild_20161006 2016-10-06\"\n"
          "created: \"2026-01-01T00:00:00.000Z\"\n"
          "upstream: \"\"\n"
          "...\n")

# Started instead of cbkit: ignore SIGXFSZ, set the soft file size limit, exec cbkit.
LIMITER = """import os, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
soft = int(os.environ["CBK_TEST_FSIZE"])
hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
os.execv(os.environ["CBK_TEST_CBKIT"], [os.environ["CBK_TEST_CBKIT"]] + sys.argv[1:])
"""


def setUpModule():
    e2e.require_debian_python()


class Disk:
    """Where the cassette lives, and how it fills up and gets space back."""

    def __init__(self, test):
        self.test = test
        self.dir = tempfile.mkdtemp(prefix="cbk-full-disk-")
        test.addCleanup(shutil.rmtree, self.dir, True)

    def env(self):
        return e2e.client_env()

    def free(self, server):
        raise NotImplementedError


class Tmpfs(Disk):
    """A 64 KiB tmpfs; 8 KiB of it taken by a filler file that is deleted to free space."""

    def __init__(self, test):
        super().__init__(test)
        try:
            r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs",
                                self.dir], capture_output=True, text=True, timeout=60)
            why = r.stderr.strip() or "exit %d" % r.returncode if r.returncode else None
        except (OSError, subprocess.TimeoutExpired) as e:
            why = str(e)
        if why:
            reason = ("cannot mount a tmpfs here (%s): the tmpfs variant is skipped; the "
                      "file size limit variant covers the same path" % why)
            print("test_cassette_full_disk: " + reason, file=sys.stderr)
            raise unittest.SkipTest(reason)
        test.addCleanup(self._umount)
        self.filler = os.path.join(self.dir, "filler")
        with open(self.filler, "wb") as f:
            f.write(b"x" * 8192)

    def _umount(self):
        r = subprocess.run(["umount", self.dir], capture_output=True)
        if r.returncode != 0:
            subprocess.run(["umount", "-l", self.dir], capture_output=True)

    def free(self, server):
        os.unlink(self.filler)


class FileSizeLimit(Disk):
    """RLIMIT_FSIZE of 24 KiB on the server process, raised again with prlimit(2)."""

    LIMIT = 24 << 10

    def __init__(self, test):
        super().__init__(test)
        self.cbkit = os.path.abspath(e2e.cbkit_path())  # before cbkit_path() names the limiter
        self.script = os.path.join(self.dir, "limit.py")
        with open(self.script, "w") as f:
            f.write("#!%s\n" % e2e.DEBIAN_PYTHON + LIMITER)
        os.chmod(self.script, 0o755)

    def env(self):
        env = e2e.client_env()
        env["CBK_TEST_FSIZE"] = str(self.LIMIT)
        env["CBK_TEST_CBKIT"] = self.cbkit
        return env

    def free(self, server):
        hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
        resource.prlimit(server.pid, resource.RLIMIT_FSIZE, (hard, hard))


class Recorder(e2e.Server):
    def __init__(self, *args, env=None):
        super().__init__("record", *args, env=env)


class FullDiskBase:
    """The scenario of issue 9, section 4, for one kind of full disk (disk_class)."""

    disk_class = None

    def setUp(self):
        self.disk = self.disk_class(self)
        self.cassette = os.path.join(self.disk.dir, "c.yaml")
        self.upstream = self.start_mock("--seed", "9")

    # ---- servers --------------------------------------------------------------------------

    def _start(self, make):
        if isinstance(self.disk, FileSizeLimit):
            with unittest.mock.patch.object(e2e, "cbkit_path", lambda: self.disk.script):
                server = make()
        else:
            server = make()
        self.addCleanup(server.cleanup)
        return server

    def start_recorder(self):
        return self._start(lambda: Recorder("--upstream", self.upstream.url, "--cassette",
                                            self.cassette, "--region", "us-east-1",
                                            env=self.disk.env()))

    def start_record_missing(self):
        with open(self.cassette, "w") as f:
            f.write(HEADER)
        return self._start(lambda: e2e.Mock("--cassette", self.cassette, "--record-missing",
                                            "--upstream", self.upstream.url,
                                            env=self.disk.env()))

    # ---- the scenario ---------------------------------------------------------------------

    def request(self, port, n):
        body = json.dumps({"id": "full-disk:%d" % n})
        return e2e.raw_request(port, body=body, target="StopBuild")

    def record_until_full(self, server):
        """Send StopBuild requests until FAILED_IN_A_ROW answers in a row are 500: returns
        ({n: answer body} of the 200s, [n of the 500s])."""
        ok, failed = {}, []
        in_a_row = 0
        for n in range(1, MAX_REQUESTS + 1):
            status, headers, body = self.request(server.port, n)
            if status == 200:
                self.assertEqual(in_a_row, 0, "a 200 after the disk was full")
                ok[n] = body
                continue
            self.assertEqual(status, 500, body)
            doc = json.loads(body)
            self.assertEqual(doc["__type"], "InternalFailure")
            self.assertIn("cannot write the cassette", doc["message"])
            self.assertIn("the exchange was not recorded; the cassette is as it was before",
                          doc["message"])
            failed.append(n)
            in_a_row += 1
            if in_a_row == FAILED_IN_A_ROW:
                return ok, failed
        self.fail("the cassette's disk never filled up in %d requests" % MAX_REQUESTS)

    def check_cassette(self, ok, failed):
        with open(self.cassette, encoding="utf-8") as f:
            text = f.read()
        numbers = [int(x) for x in re.findall(r"(?m)^exchange: (\d+)$", text)]
        self.assertEqual(numbers, list(range(1, len(ok) + 1)), "numbers 1..N, no gap or repeat")
        self.assertNotIn("incomplete and ignored", text)
        # every exchange a client saw succeed is answered from the cassette, as it was
        replay = self.start_mock("--cassette", self.cassette, "--replay-once")
        for n, body in sorted(ok.items()):
            status, _, got = self.request(replay.port, n)
            self.assertEqual(status, 200, got)
            self.assertEqual(json.loads(got), json.loads(body))
        for n in failed:
            status, _, got = self.request(replay.port, n)
            self.assertEqual(status, 404, got)
            self.assertEqual(json.loads(got)["__type"], "UnmatchedRequestException")
        replay.stop()
        # and --append takes the file as it is: no cut tail to mark, no warning
        again = Recorder("--upstream", self.upstream.url, "--cassette", self.cassette,
                         "--append", "--region", "us-east-1")
        self.addCleanup(again.cleanup)
        again.stop()
        self.assertNotIn("warning", again.stderr())
        with open(self.cassette, encoding="utf-8") as f:
            self.assertEqual(f.read(), text)

    def run_scenario(self, server):
        ok, failed = self.record_until_full(server)
        self.assertGreater(len(ok), 2, "a few exchanges fit before the disk is full")
        self.disk.free(server)
        n = max(failed) + 1
        status, _, body = self.request(server.port, n)
        self.assertEqual(status, 200, body)
        ok[n] = body
        server.stop(expect=None)
        server.assert_clean_stderr()
        self.check_cassette(ok, failed)

    def test_record(self):
        self.run_scenario(self.start_recorder())

    def test_mock_record_missing(self):
        self.run_scenario(self.start_record_missing())


class TmpfsTest(FullDiskBase, MockTestCase):
    disk_class = Tmpfs


class FileSizeLimitTest(FullDiskBase, MockTestCase):
    disk_class = FileSizeLimit


if __name__ == "__main__":
    unittest.main()
