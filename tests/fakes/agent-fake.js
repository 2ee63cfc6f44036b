// Fake coding-agent CLIs for the tests: claude, codex, gemini, opencode.
// Each checks its argv like the real CLI (unknown flag -> the real error and
// exit code), emits that CLI's real event stream, and acts by scenario.
// The scenario interface is documented in tests/fakes/README.md.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { spawn } = require('child_process');

const env = process.env;

function die(msg, code) {
  process.stderr.write(msg + '\n');
  process.exit(code);
}

// ---- argv parsing: spec maps option -> number of values (0 or 1) ----
function parseArgs(argv, spec, unknown) {
  const opts = {}; const pos = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { pos.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('-') && a !== '-') {
      let name = a, val;
      const eq = a.indexOf('=');
      if (a.startsWith('--') && eq > 0) { name = a.slice(0, eq); val = a.slice(eq + 1); }
      if (!(name in spec)) unknown(a);
      const key = spec[name].key || name;
      if (spec[name].n) {
        if (val === undefined) {
          if (i + 1 >= argv.length) unknown(a, true);
          val = argv[++i];
        }
        opts[key] = val;
      } else {
        opts[key] = true;
      }
    } else {
      pos.push(a);
    }
  }
  return { opts, pos };
}

function o(n, key) { return { n, key }; }

// ---- scenario selection ----
function stateDir() { return env.DA_FAKE_STATE_DIR || null; }

function callNumber(cli) {
  const dir = stateDir();
  if (!dir) return 1;
  fs.mkdirSync(dir, { recursive: true });
  const f = path.join(dir, cli + '.count');
  let n = 0;
  try { n = parseInt(fs.readFileSync(f, 'utf8'), 10) || 0; } catch (e) { /* first call */ }
  n++;
  fs.writeFileSync(f, String(n));
  return n;
}

function chooseScenario(cli, prompt) {
  const call = callNumber(cli);
  let writes = env.DA_FAKE_WRITE || '';
  if (env.DA_FAKE_RULES) {
    const lines = fs.readFileSync(env.DA_FAKE_RULES, 'utf8').split('\n');
    for (const line of lines) {
      const m = line.trim().match(/^(\S+)\s+(\S+)(?:\s+(.*))?$/);
      if (!m || line.trim().startsWith('#')) continue;
      if (prompt.includes(m[1])) return { name: m[2], writes: m[3] || writes, call };
    }
  }
  if (env.DA_FAKE_SEQUENCE) {
    const seq = env.DA_FAKE_SEQUENCE.split(',');
    return { name: seq[Math.min(call, seq.length) - 1], writes, call };
  }
  return { name: env['DA_FAKE_SCENARIO_' + cli.toUpperCase()] || env.DA_FAKE_SCENARIO || 'success', writes, call };
}

function applyWrites(writes, prompt, cli) {
  const list = writes ? writes.split(';').filter(Boolean) : [`fake-${cli}.txt=${prompt.split('\n')[0]}`];
  const done = [];
  for (const w of list) {
    const eq = w.indexOf('=');
    const p = eq > 0 ? w.slice(0, eq) : w;
    const content = eq > 0 ? w.slice(eq + 1) : '';
    fs.mkdirSync(path.dirname(path.resolve(p)), { recursive: true });
    fs.writeFileSync(p, content.replace(/\\n/g, '\n') + '\n');
    done.push(p);
  }
  return done;
}

// DA_FAKE_REPLY=FILE[,FILE...]: the final text of a success is FILE's
// content; the Nth call of the CLI takes the Nth file (the last repeats).
function replyText(sc) {
  if (!env.DA_FAKE_REPLY) return null;
  const files = env.DA_FAKE_REPLY.split(',');
  return fs.readFileSync(files[Math.min(sc.call, files.length) - 1], 'utf8');
}

function logCall(cli, argv, prompt, scenario) {
  if (!env.DA_FAKE_LOG) return;
  const rec = { cli, argv, cwd: process.cwd(), scenario: scenario.name, call: scenario.call,
    env: Object.keys(env).sort(), home: env.HOME, prompt,
    stdin_is_tty: process.stdin.isTTY || false,
    // a test compares these with its prompt file: a big prompt arrived whole
    prompt_bytes: Buffer.byteLength(prompt, 'utf8'),
    prompt_sha256: crypto.createHash('sha256').update(prompt, 'utf8').digest('hex'),
    argv_bytes: argv.reduce((n, a) => n + Buffer.byteLength(a, 'utf8') + 1, 0) };
  fs.appendFileSync(env.DA_FAKE_LOG, JSON.stringify(rec) + '\n');
}

function grandchild() {
  if (!env.DA_FAKE_GRANDCHILD) return;
  const c = spawn('sleep', ['1000'], { stdio: 'ignore' });
  fs.writeFileSync(env.DA_FAKE_GRANDCHILD, String(c.pid));
}

function emit(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

function resetAt() {
  return parseInt(env.DA_FAKE_RESET_AT || '', 10) || Math.floor(Date.now() / 1000) + 3600;
}

async function hang() {
  if (env.DA_FAKE_IGNORE_TERM === '1') process.on('SIGTERM', () => {});
  grandchild();
  await sleep(1000 * 1000);
}

async function chatty(tick) {
  // output forever: never hung, only the wall clock stops it
  grandchild();
  for (let i = 0; ; i++) { tick(i); await sleep(100); }
}

function readStdin() {
  try { return fs.readFileSync(0, 'utf8'); } catch (e) { return ''; }
}

// What codex, gemini and opencode do: read stdin to EOF unless it is a
// terminal (null then). A pipe nobody closes blocks, as with the real ones.
function readPipedStdin() {
  return process.stdin.isTTY ? null : readStdin();
}

function uuid() { return crypto.randomUUID(); }

module.exports = { parseArgs, o, die, chooseScenario, applyWrites, replyText, logCall, emit, sleep,
  resetAt, hang, chatty, readStdin, readPipedStdin, uuid, grandchild };

