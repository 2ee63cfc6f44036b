// Fake `codex exec --json` (codex-cli 0.16x): clap-style argv errors, the
// exec JSONL events. See README.md.
'use strict';
const fs = require('fs');
const path = require('path');
const F = require('./agent-fake.js');

const common = {
  '--json': F.o(0), '--dangerously-bypass-approvals-and-sandbox': F.o(0),
  '--skip-git-repo-check': F.o(0), '-m': F.o(1, '--model'), '--model': F.o(1),
  '-c': F.o(1, '--config'), '--config': F.o(1), '-o': F.o(1, '--output-last-message'),
  '--output-last-message': F.o(1), '--ephemeral': F.o(0), '--color': F.o(1),
};
const execOnly = { '-s': F.o(1, '--sandbox'), '--sandbox': F.o(1), '-C': F.o(1, '--cd'), '--cd': F.o(1),
  '--full-auto': F.o(0), '--oss': F.o(0), '--add-dir': F.o(1) };

function clapError(a) {
  // clap gives the tip only for what looks like an option
  const tip = a.startsWith('-') ? `  tip: to pass '${a}' as a value, use '-- ${a}'\n\n` : '';
  F.die(`error: unexpected argument '${a}' found\n\n${tip}` +
    'Usage: codex exec [OPTIONS] [PROMPT]\n       codex exec [OPTIONS] <COMMAND> [ARGS]\n\n' +
    "For more information, try '--help'.", 2);
}

function sessionDir() {
  return path.join(process.env.CODEX_HOME || path.join(process.env.HOME || '/nonexistent', '.codex'), 'sessions');
}

module.exports = async function codex(argv) {
  const env = process.env;
  if (argv[0] !== 'exec') F.die('fake codex: only `codex exec` is faked', 2);
  let rest = argv.slice(1), resume = null;
  const resumeAt = rest.indexOf('resume');
  let parsed;
  if (resumeAt >= 0 && !rest.slice(0, resumeAt).includes('--')) {
    const before = F.parseArgs(rest.slice(0, resumeAt), Object.assign({}, common, execOnly), clapError);
    parsed = F.parseArgs(rest.slice(resumeAt + 1), common, clapError);
    Object.assign(parsed.opts, before.opts);
    resume = parsed.pos.shift();
    if (!resume) F.die('error: a session id is required', 2);
  } else {
    parsed = F.parseArgs(rest, Object.assign({}, common, execOnly), clapError);
  }
  const { opts, pos } = parsed;
  // `exec --help`: "If not provided as an argument (or if `-` is used),
  // instructions are read from stdin. If stdin is piped and a prompt is also
  // provided, stdin is appended as a `<stdin>` block". Read to EOF: an
  // inherited pipe that never closes blocks it forever.
  if (pos.length > 1) clapError(pos[1]);
  let prompt = pos.length ? pos[0] : '';
  if (!prompt || prompt === '-') {
    const piped = prompt === '-' ? F.readStdin() : F.readPipedStdin();
    if (piped === null)
      F.die('No prompt provided. Either specify one as an argument or pipe the prompt into stdin.', 1);
    if (!piped.trim()) F.die('No prompt provided via stdin.', 1);
    prompt = piped;
  } else if (!process.stdin.isTTY) {
    const more = F.readStdin();
    if (more) prompt += '\n<stdin>\n' + more;
  }
  if (!opts['--json']) F.die('fake codex: only --json output is faked', 2);
  const sc = F.chooseScenario('codex', prompt);
  F.logCall('codex', argv, prompt, sc);
  const authed = env.OPENAI_API_KEY || env.CODEX_API_KEY ||
    fs.existsSync(path.join(env.CODEX_HOME || '/nonexistent', 'auth.json'));

  let tid = F.uuid();
  if (resume) {
    if (!fs.existsSync(path.join(sessionDir(), resume))) {
      F.emit({ type: 'error', message: `thread/session not found: ${resume}` });
      process.exit(1);
    }
    tid = resume;
  }
  fs.mkdirSync(sessionDir(), { recursive: true });
  fs.writeFileSync(path.join(sessionDir(), tid), prompt);
  F.emit({ type: 'thread.started', thread_id: tid });
  F.emit({ type: 'turn.started' });
  const usage = { input_tokens: 2400, cached_input_tokens: 1200, output_tokens: 310 };
  const failed = (message) => { F.emit({ type: 'error', message });
    F.emit({ type: 'turn.failed', error: { message } }); process.exit(1); };
  switch (authed ? sc.name : 'is_error') {
  case 'success': case 'resume': {
    // the real CLI reports transient trouble it recovers from as errors
    F.emit({ type: 'error', message: 'Reconnecting... 1/5 (stream disconnected before completion)' });
    F.emit({ type: 'item.completed', item: { id: 'item_w', type: 'error',
      message: 'Model metadata for `m1` not found. Defaulting to fallback metadata.' } });
    F.emit({ type: 'item.started', item: { id: 'item_0', type: 'command_execution', command: 'bash -lc ls',
      aggregated_output: '', exit_code: null, status: 'in_progress' } });
    F.emit({ type: 'item.completed', item: { id: 'item_0', type: 'command_execution', command: 'bash -lc ls',
      aggregated_output: '', exit_code: 0, status: 'completed' } });
    const files = F.applyWrites(sc.writes, prompt, 'codex');
    F.emit({ type: 'item.completed', item: { id: 'item_1', type: 'file_change',
      changes: files.map((p) => ({ path: p, kind: 'add' })), status: 'completed' } });
    F.emit({ type: 'item.completed', item: { id: 'item_2', type: 'agent_message', text: `Wrote ${files.join(', ')}.` } });
    F.emit({ type: 'turn.completed', usage });
    return;
  }
  case 'is_error':
    failed('unexpected status 401 Unauthorized: Missing bearer or basic authentication in header');
    return;
  case 'max_turns':
    failed('turn aborted: context window exceeded');
    return;
  case 'rate_limit':
    failed('exceeded retry limit, last status: 429 Too Many Requests');
    return;
  case 'usage_window':
    failed(`You've hit your usage limit. Try again later. {"type":"usage_limit_reached","resets_at":${F.resetAt()}}`);
    return;
  case 'budget':
    for (let i = 1; i <= 100000; i++) {
      F.emit({ type: 'turn.completed', usage });
      F.emit({ type: 'turn.started' });
      await F.sleep(20);
    }
    return;
  case 'hang': await F.hang(); return;
  case 'chatty':
    await F.chatty((i) => F.emit({ type: 'item.updated', item: { id: 'item_' + i, type: 'reasoning', text: '...' } }));
    return;
  case 'malformed': process.stdout.write('not json\n'); return;
  case 'crash': F.die('Error: fake crash', 1); return;
  default: F.die('fake codex: unknown scenario ' + sc.name, 3);
  }
};
