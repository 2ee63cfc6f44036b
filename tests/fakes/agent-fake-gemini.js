// Fake `gemini -p … -o stream-json` (gemini-cli 0.6x): the prompt from stdin
// and/or -p, yargs-style argv errors, stream-json events, the documented
// exit codes. See README.md.
'use strict';
const fs = require('fs');
const path = require('path');
const F = require('./agent-fake.js');

const spec = {
  '-p': F.o(1, '--prompt'), '--prompt': F.o(1), '-o': F.o(1, '--output-format'), '--output-format': F.o(1),
  '-y': F.o(0, '--yolo'), '--yolo': F.o(0), '--skip-trust': F.o(0), '-m': F.o(1, '--model'), '--model': F.o(1),
  '-r': F.o(1, '--resume'), '--resume': F.o(1), '--session-id': F.o(1), '--approval-mode': F.o(1),
  '-s': F.o(0, '--sandbox'), '--sandbox': F.o(0), '-d': F.o(0, '--debug'), '--debug': F.o(0),
  '--include-directories': F.o(1),
};

function home() { return path.join(process.env.GEMINI_CLI_HOME || process.env.HOME || '/nonexistent', '.gemini'); }

module.exports = async function gemini(argv) {
  const env = process.env;
  const { opts, pos } = F.parseArgs(argv, spec, (a) =>
    F.die(`Unknown argument: ${a.replace(/^-+/, '').split('=')[0]}\nUsage: gemini [options] [command]`, 1));
  if (opts['--prompt'] && pos.length)
    F.die('Cannot use both a positional prompt and the --prompt (-p) flag together', 1);
  // headless when -p is given or stdin is not a terminal; a non-terminal
  // stdin (at most 8 MiB) comes first, then "\n\n" and -p's text ("Appended
  // to input on stdin (if any)")
  const piped = F.readPipedStdin();
  if (opts['--prompt'] === undefined && piped === null && !pos.length)
    F.die('fake gemini: interactive mode is not faked; pass -p', 42);
  const stdinText = (piped || '').slice(0, 8 * 1024 * 1024);
  let prompt = opts['--prompt'] || pos.join(' ');
  if (stdinText) prompt = prompt ? `${stdinText}\n\n${prompt}` : stdinText;
  if (!prompt)
    F.die('No input provided via stdin. Input can be provided by piping data into gemini or using the --prompt option.', 42);
  if (!opts['--skip-trust'])
    F.die('Gemini CLI is not running in a trusted directory. To proceed, pass --skip-trust or trust this folder.', 55);
  if (opts['--output-format'] !== 'stream-json') F.die('fake gemini: only -o stream-json is faked', 42);
  const sc = F.chooseScenario('gemini', prompt);
  F.logCall('gemini', argv, prompt, sc);
  const authed = env.GEMINI_API_KEY || env.GOOGLE_API_KEY || fs.existsSync(path.join(home(), 'oauth_creds.json'));
  const now = () => new Date().toISOString();
  let sid = opts['--session-id'] || F.uuid();
  const sdir = path.join(home(), 'tmp', 'sessions');
  if (opts['--resume']) {
    if (!fs.existsSync(path.join(sdir, opts['--resume'])))
      F.die(`Invalid session identifier "${opts['--resume']}". Use --list-sessions to see available sessions.`, 42);
    sid = opts['--resume'];
  }
  const stats = { total_tokens: 4000, input_tokens: 3000, output_tokens: 500, cached: 500, input: 2500,
    duration_ms: 900, tool_calls: 1, models: {} };
  const fail = (type, message, code) => {
    F.emit({ type: 'result', timestamp: now(), status: 'error', error: { type, message }, stats });
    process.exit(code);
  };
  if (!authed) fail('FatalAuthenticationError', 'Please set an Auth method in your settings.json or GEMINI_API_KEY', 41);
  fs.mkdirSync(sdir, { recursive: true });
  fs.writeFileSync(path.join(sdir, sid), prompt);
  F.emit({ type: 'init', timestamp: now(), session_id: sid, model: opts['--model'] || 'gemini-2.5-pro' });
  F.emit({ type: 'message', timestamp: now(), role: 'user', content: prompt });
  switch (sc.name) {
  case 'success': case 'resume': {
    F.emit({ type: 'message', timestamp: now(), role: 'assistant', content: 'Looking', delta: true });
    F.emit({ type: 'tool_use', timestamp: now(), tool_name: 'write_file', tool_id: 't1', parameters: {} });
    const files = F.applyWrites(sc.writes, prompt, 'gemini');
    F.emit({ type: 'tool_result', timestamp: now(), tool_id: 't1', status: 'success', output: 'ok' });
    F.emit({ type: 'message', timestamp: now(), role: 'assistant', content: 'Wrote ', delta: true });
    F.emit({ type: 'message', timestamp: now(), role: 'assistant', content: files.join(', ') + '.', delta: true });
    F.emit({ type: 'result', timestamp: now(), status: 'success', stats });
    return;
  }
  case 'is_error': fail('FatalAuthenticationError', 'Authentication failed', 41); return;
  case 'max_turns': fail('FatalTurnLimitedError', 'Reached max session turns for this session.', 53); return;
  case 'rate_limit': fail('Error', '[API Error: 429 Too Many Requests: Resource has been exhausted, rate limit]', 1); return;
  case 'usage_window':
    fail('Error', `You have exhausted your daily quota on this model. Quota exceeded, resets_at ${F.resetAt()}`, 1);
    return;
  case 'budget':
    for (let i = 1; i <= 100000; i++) {
      F.emit({ type: 'message', timestamp: now(), role: 'assistant', content: 'again', delta: true });
      F.emit({ type: 'tool_use', timestamp: now(), tool_name: 'run_shell_command', tool_id: 't' + i, parameters: {} });
      await F.sleep(20);
    }
    return;
  case 'hang': await F.hang(); return;
  case 'chatty':
    await F.chatty(() => F.emit({ type: 'message', timestamp: now(), role: 'assistant', content: '.', delta: true }));
    return;
  case 'malformed': process.stdout.write('not json\n'); return;
  case 'crash': F.die('Error: fake crash', 1); return;
  default: F.die('fake gemini: unknown scenario ' + sc.name, 3);
  }
};
