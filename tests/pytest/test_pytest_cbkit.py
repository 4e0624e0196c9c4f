"""The pytest plugin python/pytest_cbkit (issue 12 §3; docs/pytest.md), tested with pytest's
pytester: each test writes a small test module, runs pytest on it in a subprocess
(Debian's /usr/bin/python3, its pytest and boto3) and reads the outcome and the report.
The mocks are real `cbkit mock` processes ($CBKIT); record mode records through a real
`cbkit record` in front of a seeded `cbkit mock` standing for the service.
"""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("CBK_SOURCE_DIR") or os.path.join(HERE, "..", "..")
PYTHON_DIR = os.path.join(SOURCE, "python")
sys.path.insert(0, os.path.join(SOURCE, "tests", "e2e"))
import cbkit_e2e as e2e  # noqa: E402  (the e2e helpers: a mock for record mode)

CBKIT = e2e.cbkit_path()
BAD_BATCH = ('c.start_build_batch(projectName="p", buildTimeoutInMinutesOverride=2161)')
AWS_2161 = ("Value '2161' at 'buildTimeoutInMinutesOverride' failed to satisfy constraint: "
            "Member must have value less than or equal to 2160")


@pytest.fixture
def run(pytester, monkeypatch):
    """run(*args, pythonpath=PYTHON_DIR, plugin=True): pytest in a subprocess on the files
    written with pytester; the plugin from the source tree unless told otherwise."""
    monkeypatch.setenv("CBKIT", CBKIT)
    for k, v in e2e.CLIENT_ENV.items():
        monkeypatch.setenv(k, v)
    for k in e2e.CLIENT_ENV_UNSET:
        monkeypatch.delenv(k, raising=False)

    def _run(*args, pythonpath=PYTHON_DIR, plugin=True):
        monkeypatch.setenv("PYTHONPATH", pythonpath)
        extra = ["-p", "pytest_cbkit.plugin"] if plugin else []
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", *extra, *args,
                                             timeout=600)
    return _run


def test_mock_per_test_with_seed_clock_journal_and_builds(pytester, run):
    pytester.makepyfile(test_it="""
        import pytest

        @pytest.mark.cbkit_seed(7)
        def test_seeded(cbkit):
            c = cbkit.client()
            b = c.retry_build(id="my-app:1234")["build"]
            assert [x["id"] for x in cbkit.builds()] == [b["id"]]
            assert cbkit.clock()["virtual"] and cbkit.clock()["now"] == 1735689600
            cbkit.advance_clock(360)
            assert cbkit.clock()["now"] == 1735689600 + 360
            assert [e["operation"] for e in cbkit.journal()] == ["RetryBuild"]
            open("seeded-%s.txt" % b["id"].split(":")[0], "a").write(b["id"] + "\\n")

        @pytest.mark.cbkit_seed(7)
        def test_seeded_again(cbkit):
            b = cbkit.client().retry_build(id="my-app:1234")["build"]
            open("seeded-%s.txt" % b["id"].split(":")[0], "a").write(b["id"] + "\\n")

        def test_own_mock(cbkit):
            assert cbkit.journal() == []       # not the other tests' mock
            assert not cbkit.clock()["virtual"]
    """)
    result = run("-v")
    result.assert_outcomes(passed=3)
    ids = (pytester.path / "seeded-my-app.txt").read_text().split()
    assert len(ids) == 2 and ids[0] == ids[1]  # the same seed, the same ids


def test_clients_are_pointed_at_the_mock(pytester, run):
    pytester.makepyfile(test_env="""
        import os, subprocess

        def test_env(cbkit):
            assert os.environ["AWS_ENDPOINT_URL_CODEBUILD"] == cbkit.url
            assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
            assert "AWS_PROFILE" not in os.environ
            if os.path.exists("/usr/bin/aws"):
                # Debian's AWS CLI (2.9) predates AWS_ENDPOINT_URL_*: the URL is passed on;
                # the credentials and region come from what the fixture set
                r = subprocess.run(["/usr/bin/aws", "codebuild", "stop-build", "--id", "cli:1",
                                    "--endpoint-url", os.environ["AWS_ENDPOINT_URL_CODEBUILD"],
                                    "--output", "json", "--no-cli-pager"],
                                   capture_output=True, text=True, timeout=120)
                assert r.returncode == 0, r.stderr
                assert [e["operation"] for e in cbkit.journal()] == ["StopBuild"]
    """)
    run().assert_outcomes(passed=1)


def test_scenario_marker(pytester, run):
    pytester.makefile(".yaml", throttle="""
        scenario: throttle-retry
        rules:
          - match: {operation: RetryBuild}
            respond: {error: ThrottlingException, message: Rate exceeded}
    """)
    pytester.makepyfile(test_scen="""
        import botocore.config, botocore.exceptions, pytest

        @pytest.mark.cbkit_scenario("throttle.yaml")
        def test_throttled(cbkit):
            c = cbkit.client(config=botocore.config.Config(retries={"max_attempts": 1}))
            with pytest.raises(botocore.exceptions.ClientError) as e:
                c.retry_build(id="p:1")
            assert e.value.response["Error"]["Code"] == "ThrottlingException"
            assert [s["name"] for s in cbkit.scenarios()] == ["throttle-retry"]

        def test_not_throttled(cbkit):
            assert cbkit.client().retry_build(id="p:1")["build"]["projectName"] == "p"

        @pytest.mark.cbkit_scenario("missing.yaml")
        def test_missing_file(cbkit):
            pass
    """)
    result = run("-rA")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*cbkit_scenario: no file *missing.yaml*"])


def test_a_violation_fails_the_test_naming_operation_pointer_and_aws_message(pytester, run):
    pytester.makepyfile(test_bad="""
        import botocore.exceptions, pytest

        def test_sends_a_bad_request(cbkit):
            c = cbkit.client()
            try:
                %s
            except botocore.exceptions.ClientError:
                pass  # the code under test swallows the error: the plugin still sees it

        @pytest.mark.cbkit_allow_violations
        def test_on_purpose(cbkit):
            c = cbkit.client()
            with pytest.raises(botocore.exceptions.ClientError):
                %s
            assert cbkit.contract_violations()[0].pointer == "/buildTimeoutInMinutesOverride"

        def test_fails_anyway(cbkit):
            c = cbkit.client()
            with pytest.raises(botocore.exceptions.ClientError):
                %s
            assert 1 == 2, "its own failure"

        def test_valid(cbkit):
            cbkit.client().start_build_batch(projectName="p", buildTimeoutInMinutesOverride=60)
    """ % (BAD_BATCH, BAD_BATCH, BAD_BATCH))
    result = run("-rA")
    result.assert_outcomes(passed=2, failed=2)
    out = result.stdout.str()
    # the failing test's report: operation, JSON pointer, AWS's message
    result.stdout.fnmatch_lines([
        "*_ test_sends_a_bad_request _*",
        "cbkit: 1 request finding broke the AWS CodeBuild contract:",
        "  StartBuildBatch /buildTimeoutInMinutesOverride: " + AWS_2161,
    ])
    assert "FAILED test_bad.py::test_sends_a_bad_request" in out
    # a test failing for its own reason keeps it, with the violations beside
    result.stdout.fnmatch_lines(["*AssertionError: its own failure*"])
    result.stdout.fnmatch_lines(["*cbkit contract*", "*StartBuildBatch /buildTimeout*"])
    assert "PASSED test_bad.py::test_on_purpose" in out
    assert "PASSED test_bad.py::test_valid" in out


def test_rejected_request_fails_too(pytester, run):
    pytester.makepyfile(test_rej="""
        import urllib.request

        def test_malformed(cbkit):
            req = urllib.request.Request(cbkit.url + "/", data=b"{not json", method="POST",
                                         headers={"X-Amz-Target": "CodeBuild_20161006.StopBuild",
                                                  "Content-Type": "application/x-amz-json-1.1"})
            try:
                urllib.request.urlopen(req, timeout=60)
            except urllib.error.HTTPError as e:
                assert e.code == 400
    """)
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*StopBuild*rejected: SerializationException (status 400)*"])


def test_shared_mock_is_reset_between_tests(pytester, run):
    pytester.makefile(".yaml", deny="""
        scenario: deny-stop
        rules:
          - match: {operation: StopBuild}
            respond: {error: AccessDeniedException}
    """)
    pytester.makepyfile(test_shared="""
        import os, botocore.config, botocore.exceptions, pytest

        def test_first(cbkit_shared):
            cbkit_shared.client().retry_build(id="a:1")
            assert len(cbkit_shared.builds()) == 1
            open("pids.txt", "a").write(cbkit_shared.url + "\\n")

        @pytest.mark.cbkit_scenario("deny.yaml")
        def test_second(cbkit_shared):
            assert cbkit_shared.builds() == [] and cbkit_shared.journal() == []
            c = cbkit_shared.client(config=botocore.config.Config(retries={"max_attempts": 1}))
            with pytest.raises(botocore.exceptions.ClientError):
                c.stop_build(id="a:1")
            open("pids.txt", "a").write(cbkit_shared.url + "\\n")

        def test_third(cbkit_shared):
            assert cbkit_shared.scenarios() == []  # unloaded after test_second
            cbkit_shared.client().stop_build(id="a:1")
            open("pids.txt", "a").write(cbkit_shared.url + "\\n")

        def test_bad_on_shared(cbkit_shared):
            try:
                %s
            except Exception:
                pass
            c = None

        @pytest.mark.cbkit_seed(3)
        def test_seed_needs_own_mock(cbkit_shared):
            pass
    """ % BAD_BATCH.replace("c.", "cbkit_shared.client()."))
    result = run("-rA")
    result.assert_outcomes(passed=3, failed=1, errors=1)
    urls = (pytester.path / "pids.txt").read_text().split()
    assert len(urls) == 3 and len(set(urls)) == 1  # one mock for the session
    result.stdout.fnmatch_lines(["*StartBuildBatch /buildTimeoutInMinutesOverride: " + AWS_2161])
    result.stdout.fnmatch_lines(["*cbkit_seed and cbkit_cassette need a mock of the test's own*"])


def test_record_then_replay(pytester, run, monkeypatch):
    # the "service": a seeded cbkit mock (an AWS endpoint over real sockets)
    upstream = e2e.Mock("--seed", "11")
    try:
        pytester.makepyfile(test_rec="""
            import json, pytest

            @pytest.mark.cbkit_cassette
            def test_stop(cbkit):
                b = cbkit.client().stop_build(id="rec:1")["build"]
                with open("answer-%s.json" % cbkit.mode, "w") as f:
                    json.dump(b, f, sort_keys=True, default=str)

            @pytest.mark.cbkit_cassette("never-recorded")
            def test_unrecorded(cbkit):
                pass
        """)
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        rec = run("-rA", "--cbkit-record", "--cbkit-upstream", upstream.url, "-k", "test_stop")
        rec.assert_outcomes(passed=1)
        cassette = pytester.path / "cassettes" / "test_rec" / "test_stop.yaml"
        assert cassette.exists()
        assert "StopBuild" in cassette.read_text()
        assert [e["operation"] for e in upstream.requests()["requests"]] == ["StopBuild"]
    finally:
        upstream.stop()
        upstream.cleanup()
    # replay: the service is gone, the cassette answers
    rep = run("-rA")
    rep.assert_outcomes(passed=1, errors=1)
    recorded = json.loads((pytester.path / "answer-record.json").read_text())
    replayed = json.loads((pytester.path / "answer-replay.json").read_text())
    assert replayed == recorded
    rep.stdout.fnmatch_lines(["*no cassette *never-recorded.yaml: record it with --cbkit-record*"])


def test_no_cbkit_command(pytester, run, monkeypatch):
    pytester.makepyfile(test_none="""
        def test_x(cbkit):
            pass
    """)
    monkeypatch.setenv("CBKIT", "")
    monkeypatch.setenv("PATH", "/nonexistent")
    result = run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*pytest-cbkit: no cbkit command: give --cbkit-binary PATH*"])


def test_installed_from_the_repository_path(pytester, run, tmp_path):
    """`pip install ./python` (here into a target directory): pytest finds the plugin through
    its entry point, no -p needed."""
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True)
    if r.returncode != 0:
        pytest.skip("pip is not installed for %s (Debian: python3-pip)" % sys.executable)
    build = tmp_path / "src"
    # a copy: pip's build leaves files (build/, *.egg-info) beside the sources
    subprocess.run(["cp", "-r", PYTHON_DIR, str(build)], check=True)
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index",
                        "--no-deps", "--no-build-isolation", "--target", str(target), str(build)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert list(target.glob("pytest_cbkit-*.dist-info"))
    pytester.makepyfile(test_inst="""
        def test_x(cbkit):
            assert cbkit.client().stop_build(id="i:1")["build"]["id"] == "i:1"
    """)
    result = run("-v", pythonpath=str(target), plugin=False)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*plugins:*cbkit*"])
