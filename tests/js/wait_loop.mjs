// tests/js/wait_loop.mjs - the wait loop of the aws-codebuild-run-build GitHub action, ported to
// the AWS SDK for JavaScript v3 (@aws-sdk/client-codebuild, pinned in package.json), against a
// `cbkit mock` started here: StartBuild with the action's overrides, poll BatchGetBuilds until
// the build has an endTime, back off on "Rate exceeded", StopBuild on cancel. Every outcome a
// scenario chooses is reached (scenarios/examples/build-outcomes.yaml), every poll is checked
// to be a consistent build that does not rewrite what an earlier poll showed. The clock is
// virtual: the loop's 30-second waits move it through the admin API, nothing sleeps.
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
let sdk;
try {
  sdk = require("@aws-sdk/client-codebuild");
} catch (e) {
  console.log("SKIP: @aws-sdk/client-codebuild is not installed (run npm ci in tests/js)");
  process.exit(77);
}
const { CodeBuildClient, StartBuildCommand, BatchGetBuildsCommand, StopBuildCommand } = sdk;

const source = process.env.CBK_SOURCE_DIR || path.join(here, "..", "..");
const cbkit = process.env.CBKIT || path.join(source, "build", "cbkit");
const outcomes = path.join(source, "scenarios", "examples", "build-outcomes.yaml");
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

async function waitForBuild(client, id, sleep, { cancelWhen, throttled = [] } = {}) {
  const seen = [];
  let wait = 30, cancelled = false;
  for (let i = 0; i < 2000; i++) {
    let batch;
    try {
      batch = await client.send(new BatchGetBuildsCommand({ ids: [id] }));
    } catch (err) {
      if (!err.message || err.message.search("Rate exceeded") === -1) throw err;
      throttled.push(err.name);
      wait += 15;
      await sleep(wait);
      continue;
    }
    const [current] = batch.builds;
    seen.push(current);
    if (current.endTime) return seen;
    if (cancelWhen && !cancelled && cancelWhen(current)) {
      cancelled = true;
      seen.push((await client.send(new StopBuildCommand({ id }))).build);
      continue;
    }
    await sleep(wait);
  }
  throw new Error(`build ${id} did not end`);
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

// ---- the cases -----------------------------------------------------------------------------

const cases = {
  async succeeded(ctx) {
    const final = await ctx.run(startParams("my-app", { sha: "a".repeat(40) }));
    assert.equal(final.buildStatus, "SUCCEEDED");
    assert.deepEqual(final.phases.map((p) => p.phaseType), PHASES);
    assert.equal(final.sourceVersion, "a".repeat(40));
  },
  async failed(ctx) {
    const final = await ctx.run(startParams("my-app", { env: { RUN_TESTS: "1" } }));
    assert.equal(final.buildStatus, "FAILED");
    const f = failedPhase(final);
    assert.equal(f.phaseType, "BUILD");
    assert.deepEqual(f.contexts, [{ statusCode: "COMMAND_EXECUTION_ERROR",
      message: "Error while executing command: make test. Reason: exit status 2" }]);
    assert.deepEqual(final.phases.slice(6).map((p) => p.phaseType),
      ["BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED"]);
  },
  async fault(ctx) {
    const final = await ctx.run(startParams("my-app", { sha: "refs/heads/fault/x" }));
    assert.equal(final.buildStatus, "FAULT");
    assert.equal(failedPhase(final).phaseType, "PROVISIONING");
  },
  async timedOut(ctx) {
    const final = await ctx.run(startParams("my-app",
      { sha: "refs/heads/slow/x", timeoutInMinutesOverride: 10 }));
    assert.equal(final.buildStatus, "TIMED_OUT");
    assert.equal(failedPhase(final).contexts[0].statusCode, "BUILD_TIMED_OUT");
  },
  async stoppedOnCancel(ctx) {
    const final = await ctx.run(startParams("my-app"),
      // BUILD lasts 30 s or more: one of the 30-second polls sees it
      { cancelWhen: (b) => b.currentPhase === "BUILD" });
    assert.equal(final.buildStatus, "STOPPED");
    assert.deepEqual(final.phases.slice(-3).map((p) => [p.phaseType, p.phaseStatus]),
      [["BUILD", "STOPPED"], ["FINALIZING", "SUCCEEDED"], ["COMPLETED", undefined]]);
  },
  async rateExceeded(ctx) {
    await admin(ctx.mock, "POST", "scenarios",
      "scenario: throttled\nrules:\n  - match: {operation: BatchGetBuilds}\n    when: {nth: [2]}\n" +
      "    respond: {error: ThrottlingException, message: Rate exceeded}\n");
    const throttled = [];
    const final = await ctx.run(startParams("my-app"), { throttled });
    assert.deepEqual(throttled, ["ThrottlingException"]);
    assert.equal(final.buildStatus, "SUCCEEDED");
  },
};

let failures = 0;
for (const [name, fn] of Object.entries(cases)) {
  const mock = await startMock(["--clock", "2026-01-01T00:00:00Z", "--scenario", outcomes]);
  const client = new CodeBuildClient({
    endpoint: mock.url, region: "us-east-1", maxAttempts: 1,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  });
  const sleep = (s) => admin(mock, "POST", "clock", { advanceSeconds: s });
  const ctx = {
    mock,
    async run(params, opts) {
      const { build } = await client.send(new StartBuildCommand(params));
      assert.equal(build.currentPhase, "QUEUED");
      const seen = await waitForBuild(client, build.id, sleep, opts);
      checkHistory([build, ...seen]);
      return seen[seen.length - 1];
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
    await stopMock(mock);
  }
}
console.log(failures ? `${failures} case(s) failed` : "all cases passed");
process.exit(failures ? 1 : 0);
