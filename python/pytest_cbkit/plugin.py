"""pytest-cbkit: test code that calls AWS CodeBuild against `cbkit mock` (docs/pytest.md).

Fixtures
  cbkit          a mock of its own for each test (`cbkit mock --port 0`): markers apply
  cbkit_shared   the session's mock, reset before each test; marker scenarios are loaded
                 through the admin API and unloaded after the test
  cbkit_session  the session's mock itself (no reset, no markers, no contract check)

Each fixture points SDKs at the mock for the test (AWS_ENDPOINT_URL_CODEBUILD, dummy
credentials, no profile) and gives helpers: client(), load_scenario(), advance_clock(),
journal(), violations(), builds(), state(), reset().

Markers
  @pytest.mark.cbkit_scenario("file.yaml", ...)   scenarios to load (paths relative to the
                                                  test's file)
  @pytest.mark.cbkit_seed(7)                      a seeded mock: deterministic ids, a virtual
                                                  clock at 2025-01-01T00:00:00Z (cbkit only)
  @pytest.mark.cbkit_allow_violations             the test sends invalid requests on purpose
  @pytest.mark.cbkit_cassette(name=None)          record (--cbkit-record) or replay a cassette
                                                  (cbkit only)

A test whose requests broke the contract fails, after it ran, with the operation, the JSON
pointer and the message AWS would have sent, from the mock's journal.

Options: --cbkit-record, --cbkit-binary PATH, --cbkit-upstream URL, --cbkit-cassette-dir DIR;
ini: cbkit_binary, cbkit_cassette_dir, cbkit_args.
"""

import json
import os
import re
import shutil

import pytest

from pytest_cbkit._handle import UNSET_ENV, Cbkit, Violation
from pytest_cbkit._process import CbkitError, Process

HANDLE_ATTR = "_cbkit_handle"


def pytest_addoption(parser):
    group = parser.getgroup("cbkit", "cbkit: the AWS CodeBuild contract mock")
    group.addoption("--cbkit-record", action="store_true", default=False,
                    help="record a cassette per test marked cbkit_cassette through `cbkit "
                         "record` against the real service (credentials from the environment); "
                         "without it those tests replay their cassettes")
    group.addoption("--cbkit-binary", default=None,
                    help="the cbkit command (default: ini cbkit_binary, $CBKIT, then cbkit on "
                         "PATH)")
    group.addoption("--cbkit-upstream", default=None,
                    help="the service --cbkit-record records (default: cbkit record's, "
                         "https://codebuild.REGION.amazonaws.com)")
    group.addoption("--cbkit-cassette-dir", default=None,
                    help="where cassettes are (default: ini cbkit_cassette_dir, else "
                         "'cassettes' beside each test file)")
    parser.addini("cbkit_binary", "the cbkit command", default="")
    parser.addini("cbkit_cassette_dir", "where cassettes are", default="")
    parser.addini("cbkit_args", "more arguments of every `cbkit mock`", type="args", default=[])


def pytest_configure(config):
    for line in (
            "cbkit_scenario(*files): load these scenario files into the test's cbkit mock",
            "cbkit_seed(n): start the test's cbkit mock with --seed n",
            "cbkit_allow_violations: do not fail the test for requests that break the contract",
            "cbkit_cassette(name=None): record (--cbkit-record) or replay this test's cassette"):
        config.addinivalue_line("markers", line)


# ---- configuration -----------------------------------------------------------------------

def _binary(config):
    b = config.getoption("cbkit_binary") or config.getini("cbkit_binary") or \
        os.environ.get("CBKIT") or shutil.which("cbkit")
    if not b:
        pytest.fail("pytest-cbkit: no cbkit command: give --cbkit-binary PATH, ini "
                    "cbkit_binary, or put cbkit on PATH", pytrace=False)
    return b


def _test_dir(node):
    return os.path.dirname(str(node.fspath))


def _cassette_path(item, marker):
    config = item.config
    base = config.getoption("cbkit_cassette_dir") or config.getini("cbkit_cassette_dir")
    if base:
        base = os.path.join(str(config.rootpath), base) if not os.path.isabs(base) else base
    else:
        base = os.path.join(_test_dir(item), "cassettes")
    module = os.path.splitext(os.path.basename(str(item.fspath)))[0]
    name = (marker.args[0] if marker.args else marker.kwargs.get("name")) or item.name
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    return os.path.join(base, module, name + ".yaml")


def _scenario_files(item):
    files = []
    for m in item.iter_markers("cbkit_scenario"):
        for f in m.args:
            files.append(f if os.path.isabs(f) else os.path.join(_test_dir(item), f))
    files.reverse()  # closest marker last: iter_markers yields the function's first
    for f in files:
        if not os.path.exists(f):
            pytest.fail("cbkit_scenario: no file %s" % f, pytrace=False)
    return files


def _point_clients(monkeypatch, handle):
    for k in UNSET_ENV:
        monkeypatch.delenv(k, raising=False)
    for k, v in handle.env().items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    no_proxy = os.environ.get("NO_PROXY", "")
    monkeypatch.setenv("NO_PROXY", ",".join(x for x in (no_proxy, "127.0.0.1", "localhost") if x))


def _stop(process, what):
    rc = process.stop()
    err = process.stderr()
    process.cleanup()
    for marker in ("runtime error", "AddressSanitizer", "LeakSanitizer"):
        if marker in err:
            pytest.fail("%s reported %r:\n%s" % (what, marker, err), pytrace=False)
    return rc, err


# ---- fixtures ----------------------------------------------------------------------------

@pytest.fixture
def cbkit(request, monkeypatch, tmp_path):
    """A cbkit mock of this test's own, configured by its markers, clients pointed at it."""
    item = request.node
    config = item.config
    binary = _binary(config)
    cassette_marker = item.get_closest_marker("cbkit_cassette")
    record = cassette_marker is not None and config.getoption("cbkit_record")
    drift = None
    env = dict(os.environ)
    if record:
        cassette = _cassette_path(item, cassette_marker)
        os.makedirs(os.path.dirname(cassette), exist_ok=True)
        drift = str(tmp_path / "cbkit-drift.json")
        args = ["--cassette", cassette, "--overwrite", "--drift-report", drift]
        if config.getoption("cbkit_upstream"):
            args += ["--upstream", config.getoption("cbkit_upstream")]
        if item.get_closest_marker("cbkit_scenario") or item.get_closest_marker("cbkit_seed"):
            pytest.fail("cbkit_scenario and cbkit_seed are the mock's: this test records the "
                        "real service (--cbkit-record)", pytrace=False)
        process = Process(binary, "record", args, env=env)  # real credentials: it re-signs
        handle = Cbkit(process, "record", cassette=cassette)
    else:
        args = list(config.getini("cbkit_args"))
        seed = item.get_closest_marker("cbkit_seed")
        if seed:
            if len(seed.args) != 1 or not isinstance(seed.args[0], int) or seed.args[0] < 0:
                pytest.fail("cbkit_seed wants one non-negative integer", pytrace=False)
            args += ["--seed", seed.args[0]]
        for f in _scenario_files(item):
            args += ["--scenario", f]
        cassette = None
        mode = "mock"
        if cassette_marker is not None:
            cassette = _cassette_path(item, cassette_marker)
            if not os.path.exists(cassette):
                pytest.fail("no cassette %s: record it with --cbkit-record" % cassette,
                            pytrace=False)
            args += ["--cassette", cassette]
            mode = "replay"
        try:
            process = Process(binary, "mock", args, env=env)
        except CbkitError as e:
            pytest.fail(str(e), pytrace=False)
        handle = Cbkit(process, mode, cassette=cassette)
    _point_clients(monkeypatch, handle)
    setattr(item, HANDLE_ATTR, handle)
    try:
        yield handle
    finally:
        rc, err = _stop(process, process.name)
        if record:
            handle.recorded_violations = _drift_violations(drift)
        if rc != 0:
            pytest.fail("%s exited with status %s:\n%s" % (process.name, rc, err), pytrace=False)


def _drift_violations(path):
    """The request findings of `cbkit record --drift-report` (no AWS message there: the
    service answered with its own)."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return []
    return [Violation(x["operation"], x["path"], "", x["message"], x["rule"])
            for x in doc.get("findings", [])
            if x.get("direction") == "request" and not x.get("warning")]


@pytest.fixture(scope="session")
def cbkit_session(request):
    """One cbkit mock for the whole session (its clients are not pointed at it: use
    cbkit_shared in tests, or its url)."""
    config = request.config
    binary = _binary(config)
    try:
        process = Process(binary, "mock", list(config.getini("cbkit_args")))
    except CbkitError as e:
        pytest.fail(str(e), pytrace=False)
    handle = Cbkit(process, "mock")
    try:
        yield handle
    finally:
        rc, err = _stop(process, process.name)
        if rc != 0:
            pytest.fail("%s exited with status %s:\n%s" % (process.name, rc, err), pytrace=False)


@pytest.fixture
def cbkit_shared(request, cbkit_session, monkeypatch):
    """The session's mock for this test: journal, builds and scenario state reset first,
    this test's marker scenarios loaded (and unloaded after), clients pointed at it."""
    item = request.node
    if item.get_closest_marker("cbkit_seed") or item.get_closest_marker("cbkit_cassette"):
        pytest.fail("cbkit_seed and cbkit_cassette need a mock of the test's own: use the "
                    "cbkit fixture", pytrace=False)
    handle = cbkit_session
    handle._since = 0
    handle.reset("all")
    handle._mark()
    loaded = [handle.load_scenario(f) for f in _scenario_files(item)]
    _point_clients(monkeypatch, handle)
    setattr(item, HANDLE_ATTR, handle)
    try:
        yield handle
    finally:
        for name in loaded:
            if name:
                handle.unload_scenario(name)
        handle._since = 0


# ---- the contract check ------------------------------------------------------------------

def _format(violations):
    n = len(violations)
    lines = ["cbkit: %d request finding%s broke the AWS CodeBuild contract:"
             % (n, "" if n == 1 else "s")]
    for v in violations:
        lines.append("  %s %s: %s" % (v.operation or "?", v.pointer or "(request)",
                                      v.aws_message or v.message))
    lines.append("(mark the test @pytest.mark.cbkit_allow_violations if it sends them on "
                 "purpose)")
    return "\n".join(lines)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    handle = getattr(item, HANDLE_ATTR, None)
    if handle is None or item.get_closest_marker("cbkit_allow_violations"):
        return
    if rep.when == "call" and handle.mode != "record":
        try:
            found = handle.contract_violations()
        except Exception as e:  # the mock died: say so, do not hide the test's own result
            found = [Violation("", "", "", "cannot read the journal: %s" % e)]
    elif rep.when == "teardown" and handle.mode == "record":
        found = getattr(handle, "recorded_violations", [])
    else:
        return
    if not found:
        return
    text = _format(found)
    if rep.passed:
        rep.outcome = "failed"
        rep.longrepr = text
    else:
        rep.sections.append(("cbkit contract", text))
