// all_operations.mjs - send requests to a cbkit mock through the AWS SDK for JavaScript v3 and
// print what the SDK made of each answer. Driven by tests/e2e/test_js_all_operations.py.
//
// stdin: {"endpoint": "http://127.0.0.1:PORT", "region": "us-east-1",
//         "client": "codebuild" | "logs", "requests": [{"op": "StartBuild", "input": {...}}]}
// stdout: one JSON object per request, in order:
//   {"op", "ok": true, "status": 200, "output": {...}} - output with Dates as epoch seconds
//   (millisecond precision) and byte arrays as base64, $metadata removed; or
//   {"op", "ok": false, "status": N, "name": "...", "message": "..."} for an SDK error.
// Exit status 0 when every request was sent (whatever the answers), 2 on bad input.
import * as codebuild from "@aws-sdk/client-codebuild";
import * as logs from "@aws-sdk/client-cloudwatch-logs";

const CLIENTS = {
  codebuild: [codebuild, "CodeBuildClient"],
  logs: [logs, "CloudWatchLogsClient"],
};

function plain(v) {
  if (v instanceof Date) return Math.round(v.getTime()) / 1000;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") {
    const o = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = plain(x);
    return o;
  }
  return v;
}

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

const job = await readStdin();
const entry = CLIENTS[job.client];
if (!entry) {
  process.stderr.write(`unknown client ${job.client}\n`);
  process.exit(2);
}
const [mod, clientName] = entry;
const client = new mod[clientName]({
  endpoint: job.endpoint,
  region: job.region,
  credentials: { accessKeyId: job.accessKeyId, secretAccessKey: job.secretAccessKey },
  maxAttempts: 1,
});
for (const { op, input } of job.requests) {
  const Command = mod[`${op}Command`];
  if (!Command) {
    process.stdout.write(JSON.stringify({ op, ok: false, status: 0, name: "NoSuchCommand",
                                          message: `${op}Command is not in the SDK` }) + "\n");
    continue;
  }
  try {
    const out = await client.send(new Command(input));
    const status = out.$metadata.httpStatusCode;
    delete out.$metadata;
    process.stdout.write(JSON.stringify({ op, ok: true, status, output: plain(out) }) + "\n");
  } catch (e) {
    process.stdout.write(JSON.stringify({ op, ok: false, status: e.$metadata?.httpStatusCode ?? 0,
                                          name: e.name, message: String(e.message) }) + "\n");
  }
}
client.destroy();
