"""What CI runners do with a build, for the end-to-end tests: a port of the wait loop of the
aws-codebuild-run-build GitHub action (StartBuild with the action's overrides, poll
BatchGetBuilds until the build has an endTime, tail the build's CloudWatch Logs stream with
GetLogEvents and nextForwardToken meanwhile, back off on "Rate exceeded", StopBuild on cancel)
for Debian's boto3, and the checks that every answer of the loop is a consistent build, that no
poll rewrites what an earlier one showed, and that the log tells the phases the polls saw.

The action sleeps 30 s between polls (15 s once the build has ended). Here the caller gives the
sleep: under a virtual clock it moves the mock's clock (nothing sleeps), under the real clock
it sleeps a little.
"""

import datetime

PHASES = ("SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD",
          "BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED")
FINAL = ("SUCCEEDED", "FAILED", "FAULT", "TIMED_OUT", "STOPPED")
WAIT_SECONDS = 30      # the action's default wait between polls
BACKOFF_SECONDS = 15   # what it adds after "Rate exceeded"
MAX_POLLS = 2000       # a loop that never ends is a failure, not a hang


def start_params(project, owner="octo", repo="app", sha="0" * 40, env=None, buildspec=None,
                 **extra):
    """StartBuild's parameters as the action makes them (inputs2Parameters): the commit, a
    GitHub source override, the GITHUB_* variables as PLAINTEXT; no idempotency token."""
    variables = dict({"GITHUB_REPOSITORY": "%s/%s" % (owner, repo), "GITHUB_SHA": sha},
                     **(env or {}))
    p = {"projectName": project, "sourceVersion": sha, "sourceTypeOverride": "GITHUB",
         "sourceLocationOverride": "https://github.com/%s/%s.git" % (owner, repo),
         "environmentVariablesOverride": [{"name": k, "value": v, "type": "PLAINTEXT"}
                                          for k, v in sorted(variables.items())]}
    if buildspec is not None:
        p["buildspecOverride"] = buildspec
    p.update(extra)
    return p


def log_name(arn):
    """The action's logName(): group and stream from a build's logs.cloudWatchLogsArn, or
    (None, None) when the build names none."""
    if not arn:
        return None, None
    group, _, stream = arn.split(":log-group:")[-1].partition(":log-stream:")
    if group == "null" or stream == "null" or not stream:
        return None, None
    return group, stream


class Tail:
    """The log half of the action's loop: GetLogEvents from the head of the build's stream,
    each call with the nextForwardToken of the one before. 'events' are the messages read,
    'calls' (token sent, token back, number of events) every call made."""

    def __init__(self, logs):
        self.logs, self.token, self.events, self.calls = logs, None, [], []

    def poll(self, build):
        group, stream = log_name(build.get("logs", {}).get("cloudWatchLogsArn"))
        if group is None:
            return None
        kw = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        if self.token:
            kw["nextToken"] = self.token
        r = self.logs.get_log_events(**kw)
        self.calls.append((self.token, r["nextForwardToken"], len(r["events"])))
        self.events.extend(e["message"] for e in r["events"])
        self.token = r["nextForwardToken"]
        return r["events"]


def wait_for_build(client, build, sleep, cancel_when=None, throttled=None, tail=None):
    """Poll BatchGetBuilds for 'build' until it has an endTime, as the action does. 'sleep(s)'
    waits s seconds; 'cancel_when(current)' true makes the loop call StopBuild once (the
    action's SIGINT handler); 'throttled' (a list) collects the "Rate exceeded" errors backed
    off from. With 'tail' (a Tail), every poll also reads the log from the stream the last
    build seen names, and the loop ends, as the action's does, once the build has an endTime and
    two reads in a row brought nothing new. Returns the list of builds seen, the last one
    complete."""
    from botocore.exceptions import ClientError
    seen, wait, cancelled = [], WAIT_SECONDS, False
    named, empty, total, nthrottled = build, 0, 0, 0
    for _ in range(MAX_POLLS):
        try:
            r = client.batch_get_builds(ids=[build["id"]])
            events = tail.poll(named) if tail else None
        except ClientError as e:
            if "Rate exceeded" not in str(e):
                raise
            if throttled is not None:
                throttled.append(e.response["Error"]["Code"])
            nthrottled += 1
            wait += BACKOFF_SECONDS
            sleep(wait)
            continue
        assert r.get("buildsNotFound", []) == [], r
        current = r["builds"][0]
        seen.append(current)
        named = current
        if tail is None:
            if current.get("endTime"):
                return seen
        else:
            # empty reads count once the log has begun or the build has ended
            if not events and (total or current.get("endTime")):
                empty += 1
            else:
                empty = 0
            total += len(events or [])
            if current.get("endTime") and empty >= 2:
                return seen
        if cancel_when and not cancelled and cancel_when(current):
            cancelled = True
            stopped = client.stop_build(id=build["id"])["build"]
            seen.append(stopped)
            if stopped.get("endTime"):
                continue  # poll once more, as the action does after its stop
        # once the build has ended the action waits half as long, unless it was throttled
        sleep(wait // 2 if current.get("endTime") and not nthrottled else wait)
    raise AssertionError("build %s did not end within %d polls" % (build["id"], MAX_POLLS))


def _ts(v):
    """A timestamp as boto3 gives it (datetime) or as JSON has it (epoch seconds)."""
    if isinstance(v, datetime.datetime):
        return v.timestamp()
    return float(v)


def check_build(tc, b):
    """Assert that 'b' is a build CodeBuild could have sent: phases in order, each ended one
    with its end, duration, status and (from PROVISIONING on) contexts, the current one with a
    start only, and currentPhase, buildStatus, buildComplete and endTime agreeing."""
    phases = b["phases"]
    tc.assertGreaterEqual(len(phases), 1, b)
    tc.assertEqual(phases[0]["phaseType"], "SUBMITTED")
    order = [PHASES.index(p["phaseType"]) for p in phases]
    tc.assertEqual(order, sorted(set(order)), "phases out of order: %r" % order)
    for prev, p in zip(phases, phases[1:]):
        tc.assertIn("endTime", prev, prev)
        tc.assertAlmostEqual(_ts(prev["endTime"]), _ts(p["startTime"]), places=3)
    for p in phases[:-1]:
        tc.assertIn(p["phaseStatus"], FINAL, p)
        tc.assertEqual(p["durationInSeconds"], int(_ts(p["endTime"]) - _ts(p["startTime"])), p)
        if PHASES.index("PROVISIONING") <= PHASES.index(p["phaseType"]) <= PHASES.index("FINALIZING"):
            tc.assertEqual(len(p["contexts"]), 1, p)
            if p["phaseStatus"] == "SUCCEEDED":
                tc.assertEqual(p["contexts"][0], {"statusCode": "", "message": ""}, p)
        elif p["phaseStatus"] == "SUCCEEDED":
            tc.assertNotIn("contexts", p)
        else:  # a build timed out while queued: QUEUED says why
            tc.assertEqual(len(p["contexts"]), 1, p)
    last = phases[-1]
    tc.assertNotIn("endTime", last)
    tc.assertNotIn("phaseStatus", last)
    tc.assertEqual(b["currentPhase"], last["phaseType"])
    if b["buildComplete"]:
        tc.assertEqual(last["phaseType"], "COMPLETED")
        tc.assertIn(b["buildStatus"], FINAL)
        tc.assertAlmostEqual(_ts(b["endTime"]), _ts(last["startTime"]), places=3)
    else:
        tc.assertNotEqual(last["phaseType"], "COMPLETED")
        tc.assertNotIn("endTime", b)
        tc.assertIn(b["buildStatus"], ("IN_PROGRESS", "STOPPED"))
    tc.assertEqual(b["arn"].split(":build/")[1], b["id"])
    tc.assertEqual(b["id"].split(":")[0], b["projectName"])


def check_history(tc, seen):
    """Every poll consistent, and no poll rewriting the past: the phases an earlier poll showed
    ended are shown the same later, and the phase it showed running starts at the same time."""
    for b in seen:
        check_build(tc, b)
    for a, b in zip(seen, seen[1:]):
        pa, pb = a["phases"], b["phases"]
        tc.assertGreaterEqual(len(pb), len(pa))
        for x, y in zip(pa[:-1], pb):
            tc.assertEqual(x, y)
        tc.assertEqual(pa[-1]["phaseType"], pb[len(pa) - 1]["phaseType"])
        tc.assertEqual(pa[-1]["startTime"], pb[len(pa) - 1]["startTime"])


def failed_phase(b):
    """The phase whose status is the build's outcome (None for SUCCEEDED)."""
    for p in b["phases"]:
        if p.get("phaseStatus") not in (None, "SUCCEEDED"):
            return p
    return None


BANNERS = ("Entering phase INSTALL", "Entering phase PRE_BUILD", "Entering phase BUILD",
           "Entering phase POST_BUILD", "Entering phase UPLOAD_ARTIFACTS")


def check_log(tc, tail, final):
    """Assert that the log 'tail' read tells the phases of 'final' as CodeBuild's agent writes
    them: the container's lines in order, an "Entering phase" banner and a "Phase complete"
    line for every phase from INSTALL to UPLOAD_ARTIFACTS the build ran, in the build's order,
    with the phase's status, then FINALIZING; and that the loop's reads were a tail: each call
    sent the token the one before gave back, and a read that brought nothing gave back the
    token it was sent."""
    lines = tail.events
    tc.assertTrue(lines, "the build's log is empty")
    tc.assertIn("Running on CodeBuild On-demand", lines[0])
    ran = [p for p in final["phases"]
           if p["phaseType"] in ("INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD",
                                 "UPLOAD_ARTIFACTS")]
    pos = -1
    for p in ran:
        entering = index_of(lines, "Entering phase %s" % p["phaseType"], pos + 1)
        tc.assertGreater(entering, pos, "no banner of %s after line %d" % (p["phaseType"], pos))
        done = index_of(lines, "Phase complete: %s State: %s" % (p["phaseType"],
                                                                   p["phaseStatus"]), entering)
        tc.assertGreater(done, entering, "%s does not complete %s in the log"
                         % (p["phaseType"], p["phaseStatus"]))
        pos = done
    tc.assertGreater(index_of(lines, "Phase complete: FINALIZING State: SUCCEEDED", pos + 1), pos)
    # every line of the agent is "[Container] YYYY/MM/DD HH:MM:SS.ffffff text"
    for m in lines:
        if m.startswith("[Container]"):
            tc.assertRegex(m, r"^\[Container\] \d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\.\d{6} ")
    # a tail: the token sent is the one the call before gave; nothing new, the same token back
    for (sent, back, n), (next_sent, _, _) in zip(tail.calls, tail.calls[1:]):
        tc.assertEqual(next_sent, back)
    empties = [(sent, back) for sent, back, n in tail.calls if n == 0 and sent]
    tc.assertTrue(empties, "the loop never read an empty page")
    for sent, back in empties:
        tc.assertEqual(back, sent)


def index_of(lines, text, start=0):
    """The index of the first line from 'start' on that contains 'text', or -1."""
    for i in range(max(start, 0), len(lines)):
        if text in lines[i]:
            return i
    return -1
