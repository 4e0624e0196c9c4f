// tests/js/wait_loop.mjs - the wait loop of the aws-codebuild-run-build GitHub action, ported to
// the AWS SDK for JavaScript v3 (@aws-sdk/client-codebuild and @aws-sdk/client-cloudwatch-logs,
// pinned in package.json), against a `cbkit mock` started here that serves CodeBuild and
// CloudWatch Logs: StartBuild with the action's overrides, poll BatchGetBuilds and tail the
// build's log with GetLogEvents and nextForwardToken until the build has an endTime and two
// reads brought nothing new, back off on "Rate exceeded", StopBuild on cancel. Every outcome a
// scenario chooses is reached (scenarios/examples/build-outcomes.yaml), every poll is checked
// to be a consistent build that does not rewrite what an earlier poll showed, and the log read
// to tell the same phases (banners, the scenario's output lines, the failed phase's context).
// The clock is virtual: the loop's 30-second waits move it through the admin API, nothing
// sleeps.
//
// Run by ctest as e2e.js_wait_loop (tests/e2e/e2e.cmake): node tests/js/wait_loop.mjs, with
// CBKIT naming the binary. Exit status 0 when every case passed, 1 when one failed, 77 (skipped)
// when the SDK is not installed (npm ci in tests/js).
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
let sdk, logsSdk;
try {
  sdk = require("@aws-sdk/client-codebuild");
  logsSdk = require("@aws-sdk/client-cloudwatch-logs");
} catch (e) {
  console.log("SKIP: the AWS SDK clients are not installed (run npm ci in tests/js)");
  process.exit(77);
}
const { CodeBuildClient, StartBuildCommand, BatchGetBuildsCommand, StopBuildCommand } = sdk;
const { CloudWatchLogsClient, GetLogEventsCommand, FilterLogEventsCommand } = logsSdk;

const source = process.env.CBK_SOURCE_DIR || path.join(here, "..", "..");
const cbkit = process.env.CBKIT || path.join(source, "build", "cbkit");
const outcomes = path.join(source, "scenarios", "examples", "build-outcomes.yaml");
const logsSpec = path.join(source, "spec", "logs", "2014-03-28.yaml");
const PHASES = ["SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD",
  "BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED"];
const FINAL = ["SUCCEEDED", "FAILED", "FAULT", "TIMED_OUT", "STOPPED"];

// ---- the mock ------------------------------------------------------------------------------

function startMock(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cbkit, ["mock", "--port", "0", ...args],
      { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error("no first line")); },
      60000);
    child.stderr.on("data", (d) => { err += d; });
    child.stdout.on("data", (d) => {
      out += d;
      const m = /^listening on http:\/\/127\.0\.0\.1:(\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${m[1]}`, stderr: () => err });
      }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`mock exited ${code}: ${err}`)); });
  });
}

async function stopMock(mock) {
  const done = new Promise((resolve) => mock.child.on("exit", (code, sig) => resolve(code ?? sig)));
  mock.child.kill("SIGTERM"); // our own child, by its PID
  const code = await done;
  assert.equal(code, 0, `the mock exited with ${code}: ${mock.stderr()}`);
  for (const marker of ["AddressSanitizer", "runtime error", "LeakSanitizer"])
    assert.ok(!mock.stderr().includes(marker), mock.stderr());
}

async function admin(mock, method, route, body) {
  const r = await fetch(`${mock.url}/__cbkit/${route}`, {
    method, headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : (typeof body === "string" ? body : JSON.stringify(body)),
  });
  const text = await r.text();
  assert.equal(r.status, 200, `${method} ${route}: ${text}`);
  return JSON.parse(text);
}

// ---- the action's loop ---------------------------------------------------------------------

function startParams(project, { sha = "0".repeat(40), env = {}, ...extra } = {}) {
  const vars = { GITHUB_REPOSITORY: "octo/app", GITHUB_SHA: sha, ...env };
  return {
    projectName: project, sourceVersion: sha, sourceTypeOverride: "GITHUB",
    sourceLocationOverride: "https://github.com/octo/app.git",
    environmentVariablesOverride: Object.entries(vars).sort()
      .map(([name, value]) => ({ name, value, type: "PLAINTEXT" })),
    ...extra,
  };
}

// The action's logName(): group and stream from a build's logs.cloudWatchLogsArn.
function logName(arn) {
  if (!arn) return {};
  const [logGroupName, logStreamName] = arn.split(":log-group:").pop().split(":log-stream:");
  return logGroupName !== "null" && logStreamName !== "null" ? { logGroupName, logStreamName } : {};
}

// The action's waitForBuildEndTime(): BatchGetBuilds and GetLogEvents (from the head, with the
// last nextForwardToken) together each round; it ends once the build has an endTime and two
// reads in a row brought nothing new (counted once the log has begun or the build has ended).
// 'tail' collects the messages and every call (token sent, token back, events).
async function waitForBuild(client, logs, first, sleep, { cancelWhen, throttled = [] } = {}) {
  const seen = [], tail = { events: [], calls: [] };
  let wait = 30, cancelled = false, named = first, token, seqEmpty = 0, total = 0;
  for (let i = 0; i < 2000; i++) {
    let batch, cloudWatch = {};
    const { logGroupName, logStreamName } = logName(named.logs && named.logs.cloudWatchLogsArn);
    try {
      [batch, cloudWatch = {}] = await Promise.all([
        client.send(new BatchGetBuildsCommand({ ids: [first.id] })),
        logGroupName && logs.send(new GetLogEventsCommand({
          logGroupName, logStreamName, startFromHead: true, nextToken: token })),
      ]);
    } catch (err) {
      if (!err.message || err.message.search("Rate exceeded") === -1) throw err;
      throttled.push(err.name);
      wait += 15;
      await sleep(wait);
      continue;
    }
    const [current] = batch.builds;
    const { nextForwardToken, events = [] } = cloudWatch;
    if (logGroupName) tail.calls.push([token, nextForwardToken, events.length]);
    seqEmpty = events.length === 0 && (total > 0 || current.endTime) ? seqEmpty + 1 : 0;
    total += events.length;
    tail.events.push(...events.map((e) => e.message));
    token = nextForwardToken || token;
    seen.push(current);
    named = current;
    if (current.endTime && seqEmpty >= 2) return { seen, tail };
    if (cancelWhen && !cancelled && cancelWhen(current)) {
      cancelled = true;
      seen.push((await client.send(new StopBuildCommand({ id: first.id }))).build);
      continue;
    }
    await sleep(current.endTime && throttled.length === 0 ? wait / 2 : wait);
  }
  throw new Error(`build ${first.id} did not end`);
}

// ---- checks --------------------------------------------------------------------------------

function checkBuild(b) {
  const ph = b.phases;
  assert.equal(ph[0].phaseType, "SUBMITTED");
  const order = ph.map((p) => PHASES.indexOf(p.phaseType));
  assert.deepEqual(order, [...new Set(order)].sort((x, y) => x - y), `phases out of order`);
  for (let i = 0; i + 1 < ph.length; i++) {
    const p = ph[i];
    assert.ok(FINAL.includes(p.phaseStatus), JSON.stringify(p));
    assert.equal(p.endTime.getTime(), ph[i + 1].startTime.getTime());
    assert.equal(p.durationInSeconds,
      Math.trunc((p.endTime.getTime() - p.startTime.getTime()) / 1000));
  }
  const last = ph[ph.length - 1];
  assert.equal(last.endTime, undefined);
  assert.equal(b.currentPhase, last.phaseType);
  if (b.buildComplete) {
    assert.equal(last.phaseType, "COMPLETED");
    assert.ok(FINAL.includes(b.buildStatus));
    assert.equal(b.endTime.getTime(), last.startTime.getTime());
  } else {
    assert.equal(b.endTime, undefined);
    assert.ok(["IN_PROGRESS", "STOPPED"].includes(b.buildStatus), b.buildStatus);
  }
}

function checkHistory(seen) {
  seen.forEach(checkBuild);
  for (let i = 0; i + 1 < seen.length; i++) {
    const a = seen[i].phases, b = seen[i + 1].phases;
    assert.ok(b.length >= a.length);
    for (let k = 0; k + 1 < a.length; k++) assert.deepEqual(b[k], a[k]);
    assert.equal(b[a.length - 1].startTime.getTime(), a[a.length - 1].startTime.getTime());
  }
}

const failedPhase = (b) => b.phases.find((p) => p.phaseStatus && p.phaseStatus !== "SUCCEEDED");

const indexOf = (lines, text, from = 0) => {
  for (let i = Math.max(from, 0); i < lines.length; i++) if (lines[i].includes(text)) return i;
  return -1;
};

// The log tells the phases of 'final' as CodeBuild's agent writes them, and was read as a tail:
// each call sent the token the one before gave back; a read that brought nothing gave back the
// token it was sent.
function checkLog(tail, final) {
  const lines = tail.events;
  assert.ok(lines.length > 0, "the build's log is empty");
  assert.ok(lines[0].includes("Running on CodeBuild On-demand"), lines[0]);
  let pos = -1;
  for (const p of final.phases) {
    if (!["INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS"].includes(p.phaseType))
      continue;
    const entering = indexOf(lines, `Entering phase ${p.phaseType}`, pos + 1);
    assert.ok(entering > pos, `no banner of ${p.phaseType}`);
    const done = indexOf(lines, `Phase complete: ${p.phaseType} State: ${p.phaseStatus}`, entering);
    assert.ok(done > entering, `${p.phaseType} does not complete ${p.phaseStatus} in the log`);
    pos = done;
  }
  assert.ok(indexOf(lines, "Phase complete: FINALIZING State: SUCCEEDED", pos + 1) > pos);
  for (let i = 0; i + 1 < tail.calls.length; i++)
    assert.equal(tail.calls[i + 1][0], tail.calls[i][1]);
  const empties = tail.calls.filter(([sent, , n]) => n === 0 && sent);
  assert.ok(empties.length > 0, "the loop never read an empty page");
  for (const [sent, back] of empties) assert.equal(back, sent);
}

// What the scenario's failing tests print (scenarios/examples/build-outcomes.yaml)
const TEST_OUTPUT = ["go test ./...", "--- FAIL: TestCheckout (0.02s)",
  "    checkout_test.go:41: got 3 items, want 2", "FAIL", "FAIL\texample.com/app\t0.214s",
  "make: *** [Makefile:7: test] Error 1"];

// ---- the cases -----------------------------------------------------------------------------

const cases = {
  async succeeded(ctx) {
    const { final, tail } = await ctx.run(startParams("my-app", { sha: "a".repeat(40) }));
    assert.equal(final.buildStatus, "SUCCEEDED");
    assert.deepEqual(final.phases.map((p) => p.phaseType), PHASES);
    assert.equal(final.sourceVersion, "a".repeat(40));
    assert.ok(tail.events.some((e) => e.endsWith("Running command make test")));
    assert.ok(!tail.events.some((e) => TEST_OUTPUT.includes(e)));
  },
  async failed(ctx) {
    const { final, tail } = await ctx.run(startParams("my-app", { env: { RUN_TESTS: "1" } }));
    assert.equal(final.buildStatus, "FAILED");
    const f = failedPhase(final);
    assert.equal(f.phaseType, "BUILD");
    assert.deepEqual(f.contexts, [{ statusCode: "COMMAND_EXECUTION_ERROR",
      message: "Error while executing command: make test. Reason: exit status 2" }]);
    assert.deepEqual(final.phases.slice(6).map((p) => p.phaseType),
      ["BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED"]);
    const ev = tail.events;
    const at = TEST_OUTPUT.map((line) => ev.indexOf(line));
    assert.deepEqual(at, [...at].sort((x, y) => x - y));
    assert.ok(at[0] > indexOf(ev, "Entering phase BUILD"));
    const done = indexOf(ev, "Phase complete: BUILD State: FAILED");
    assert.ok(done > at[at.length - 1]);
    assert.ok(ev[done + 1].endsWith("Phase context status code: COMMAND_EXECUTION_ERROR " +
      "Message: Error while executing command: make test. Reason: exit status 2"), ev[done + 1]);
    const found = await ctx.logs.send(new FilterLogEventsCommand({
      logGroupName: "/aws/codebuild/my-app", filterPattern: "TestCheckout" }));
    assert.deepEqual(found.events.map((e) => e.message), ["--- FAIL: TestCheckout (0.02s)"]);
    assert.equal(found.events[0].logStreamName, final.logs.streamName);
  },
  async fault(ctx) {
    const { final } = await ctx.run(startParams("my-app", { sha: "refs/heads/fault/x" }));
    assert.equal(final.buildStatus, "FAULT");
    assert.equal(failedPhase(final).phaseType, "PROVISIONING");
  },
  async timedOut(ctx) {
    const { final, tail } = await ctx.run(startParams("my-app",
      { sha: "refs/heads/slow/x", timeoutInMinutesOverride: 10 }));
    assert.equal(final.buildStatus, "TIMED_OUT");
    assert.equal(failedPhase(final).contexts[0].statusCode, "BUILD_TIMED_OUT");
    assert.ok(tail.events.some((e) => e.endsWith(
      "Phase context status code: BUILD_TIMED_OUT Message: Build has timed out. ")));
  },
  async stoppedOnCancel(ctx) {
    const { final, tail } = await ctx.run(startParams("my-app"),
      // BUILD lasts 30 s or more: one of the 30-second polls sees it
      { cancelWhen: (b) => b.currentPhase === "BUILD" });
    assert.equal(final.buildStatus, "STOPPED");
    assert.deepEqual(final.phases.slice(-3).map((p) => [p.phaseType, p.phaseStatus]),
      [["BUILD", "STOPPED"], ["FINALIZING", "SUCCEEDED"], ["COMPLETED", undefined]]);
    assert.ok(indexOf(tail.events, "Phase complete: BUILD State: STOPPED") >
      indexOf(tail.events, "Entering phase BUILD"));
    assert.equal(indexOf(tail.events, "POST_BUILD"), -1);
  },
  async rateExceeded(ctx) {
    await admin(ctx.mock, "POST", "scenarios",
      "scenario: throttled\nrules:\n  - match: {operation: BatchGetBuilds}\n    when: {nth: [2]}\n" +
      "    respond: {error: ThrottlingException, message: Rate exceeded}\n");
    const throttled = [];
    const { final } = await ctx.run(startParams("my-app"), { throttled });
    assert.deepEqual(throttled, ["ThrottlingException"]);
    assert.equal(final.buildStatus, "SUCCEEDED");
  },
};

let failures = 0;
for (const [name, fn] of Object.entries(cases)) {
  const mock = await startMock(["--spec", "bundled", "--spec", logsSpec,
    "--clock", "2026-01-01T00:00:00Z", "--scenario", outcomes]);
  const config = {
    endpoint: mock.url, region: "us-east-1", maxAttempts: 1,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  };
  const client = new CodeBuildClient(config);
  const logs = new CloudWatchLogsClient(config);
  const sleep = (s) => admin(mock, "POST", "clock", { advanceSeconds: s });
  const ctx = {
    mock,
    logs,
    async run(params, opts) {
      const { build } = await client.send(new StartBuildCommand(params));
      assert.equal(build.currentPhase, "QUEUED");
      const { seen, tail } = await waitForBuild(client, logs, build, sleep, opts);
      checkHistory([build, ...seen]);
      const final = seen[seen.length - 1];
      checkLog(tail, final);
      return { final, tail };
    },
  };
  try {
    await fn(ctx);
    console.log(`ok ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${e.stack || e}`);
  } finally {
    client.destroy();
    logs.destroy();
    await stopMock(mock);
  }
}
console.log(failures ? `${failures} case(s) failed` : "all cases passed");
process.exit(failures ? 1 : 0);
