// Fake `opencode run --format json` (opencode 1.x): yargs-style argv
// errors, the run JSON events with per-step cost. See README.md.
'use strict';
const fs = require('fs');
const path = require('path');
const F = require('./agent-fake.js');

const spec = {
  '--format': F.o(1), '--auto': F.o(0), '-m': F.o(1, '--model'), '--model': F.o(1),
  '-s': F.o(1, '--session'), '--session': F.o(1), '-c': F.o(0, '--continue'), '--continue': F.o(0),
  '--agent': F.o(1), '--title': F.o(1), '--dir': F.o(1), '--print-logs': F.o(0), '--log-level': F.o(1),
  '--pure': F.o(0), '--variant': F.o(1),
};

module.exports = async function opencode(argv) {
  const env = process.env;
  if (argv[0] !== 'run') F.die('fake opencode: only `opencode run` is faked', 1);
  const { opts, pos } = F.parseArgs(argv.slice(1), spec, (a) =>
    F.die(`opencode run [message..]\n\nrun opencode with a message\n\nUnknown argument: ${a.replace(/^-+/, '')}`, 1));
  // the real `run` quotes a message argument holding a space, joins them
  // with spaces, and adds a non-terminal stdin read to EOF after a newline
  // (stdin alone when there is no message)
  const message = pos.map((m) => (m.includes(' ') ? `"${m.replace(/"/g, '\\"')}"` : m)).join(' ');
  const piped = F.readPipedStdin();
  const prompt = !piped ? message : !message ? piped : `${message}\n${piped}`;
  if (!prompt.trim()) F.die('Error: You must provide a message or a command', 1);
  if (opts['--format'] !== 'json') F.die('fake opencode: only --format json is faked', 1);
  const sc = F.chooseScenario('opencode', prompt);
  F.logCall('opencode', argv, prompt, sc);
  const sdir = path.join(env.XDG_DATA_HOME || path.join(env.HOME || '/nonexistent', '.local/share'), 'opencode', 'sessions');
  let sid = 'ses_' + F.uuid().replace(/-/g, '').slice(0, 24);
  if (opts['--session']) {
    if (!fs.existsSync(path.join(sdir, opts['--session']))) {
      F.emit({ type: 'error', timestamp: Date.now(), sessionID: opts['--session'],
        error: { name: 'NotFoundError', data: { message: `Session not found: ${opts['--session']}` } } });
      process.exit(1);
    }
    sid = opts['--session'];
  }
  fs.mkdirSync(sdir, { recursive: true });
  fs.writeFileSync(path.join(sdir, sid), prompt);
  const ev = (type, part) => F.emit({ type, timestamp: Date.now(), sessionID: sid, part: Object.assign({ sessionID: sid }, part) });
  const step = (reason, cost) => ev('step_finish', { type: 'step-finish', reason, cost,
    tokens: { input: 1000, output: 200, reasoning: 50, cache: { read: 300, write: 100 } } });
  const error = (name, message) => { F.emit({ type: 'error', timestamp: Date.now(), sessionID: sid,
    error: { name, data: { message } } }); process.exit(1); };
  ev('step_start', { type: 'step-start' });
  switch (sc.name) {
  case 'success': case 'resume': {
    const files = F.applyWrites(sc.writes, prompt, 'opencode');
    ev('tool_use', { type: 'tool', tool: 'write', callID: 'c1', state: { status: 'completed', input: {}, output: 'ok' } });
    step('tool-calls', 0.01);
    ev('step_start', { type: 'step-start' });
    ev('text', { type: 'text', text: `Wrote ${files.join(', ')}.` });
    step('stop', 0.02);
    return;
  }
  case 'is_error': error('ProviderAuthError', 'Invalid API key for provider anthropic'); return;
  case 'max_turns': error('UnknownError', 'maximum steps reached'); return;
  case 'rate_limit': error('APIError', 'Rate limit exceeded: 429 Too Many Requests'); return;
  case 'usage_window': error('APIError', `usage limit reached, resets_at ${F.resetAt()}`); return;
  case 'budget':
    for (let i = 1; i <= 100000; i++) {
      step('tool-calls', 0.5);
      ev('step_start', { type: 'step-start' });
      await F.sleep(20);
    }
    return;
  case 'hang': await F.hang(); return;
  case 'chatty': await F.chatty(() => ev('text', { type: 'text', text: '...' })); return;
  case 'malformed': process.stdout.write('not json\n'); return;
  case 'crash': F.die('Error: fake crash', 1); return;
  default: F.die('fake opencode: unknown scenario ' + sc.name, 3);
  }
};
