// Fake `claude` (Claude Code 2.1.x headless): argv as the real CLI parses
// it, stream-json events as it prints them. See README.md.
'use strict';
const fs = require('fs');
const path = require('path');
const F = require('./agent-fake.js');

const spec = {
  '-p': F.o(0, 'print'), '--print': F.o(0, 'print'),
  '--output-format': F.o(1), '--input-format': F.o(1), '--verbose': F.o(0),
  '--model': F.o(1), '--max-turns': F.o(1), '--max-budget-usd': F.o(1),
  '--session-id': F.o(1), '-r': F.o(1, '--resume'), '--resume': F.o(1),
  '--append-system-prompt': F.o(1), '--system-prompt': F.o(1),
  '--dangerously-skip-permissions': F.o(0), '--permission-mode': F.o(1),
  '--allowedTools': F.o(1), '--disallowedTools': F.o(1), '--add-dir': F.o(1),
  '--fallback-model': F.o(1), '--settings': F.o(1), '-c': F.o(0, '--continue'),
  '--continue': F.o(0), '--fork-session': F.o(0), '--no-session-persistence': F.o(0),
};

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function sessionFile(id) {
  const dir = process.env.CLAUDE_CONFIG_DIR || path.join(process.env.HOME || '/nonexistent', '.claude');
  return path.join(dir, 'projects', 'fake', id + '.jsonl');
}

module.exports = async function claude(argv) {
  const env = process.env;
  const { opts, pos } = F.parseArgs(argv, spec, (a, missing) =>
    F.die(missing ? `error: option '${a}' argument missing` : `error: unknown option '${a}'`, 1));
  if (!opts.print) F.die('fake claude: interactive mode is not faked; pass -p', 1);
  if (opts['--output-format'] !== 'stream-json')
    F.die('fake claude: only --output-format stream-json is faked', 1);
  if (!opts['--verbose'])
    F.die('Error: When using --print, --output-format=stream-json requires --verbose', 1);
  if (opts['--dangerously-skip-permissions'] && process.getuid && process.getuid() === 0 &&
      env.IS_SANDBOX !== '1')
    F.die('--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons', 1);
  if (opts['--session-id'] && !UUID_RE.test(opts['--session-id']))
    F.die('Error: Invalid session ID. Must be a valid UUID.', 1);
  if (opts['--max-turns'] && !/^\d+$/.test(opts['--max-turns']))
    F.die(`error: option '--max-turns <turns>' argument '${opts['--max-turns']}' is invalid.`, 1);
  const prompt = pos.length ? pos.join(' ') : F.readStdin();
  if (!prompt.trim())
    F.die('Error: Input must be provided either through stdin or as a prompt argument when using --print', 1);
  const sc = F.chooseScenario('claude', prompt);
  F.logCall('claude', argv, prompt, sc);

  let sid = opts['--session-id'] || F.uuid();
  if (opts['--resume']) {
    if (!fs.existsSync(sessionFile(opts['--resume'])))
      F.die(`No conversation found with session ID: ${opts['--resume']}`, 1);
    sid = opts['--resume'];
  }
  const model = opts['--model'] || 'claude-sonnet-4-5';
  const maxTurns = parseInt(opts['--max-turns'] || '0', 10);
  const maxBudget = parseFloat(opts['--max-budget-usd'] || '0');
  const usage = { input_tokens: 1200, output_tokens: 340, cache_read_input_tokens: 5000,
    cache_creation_input_tokens: 800 };
  const result = (extra) => F.emit(Object.assign({ type: 'result', subtype: 'success',
    is_error: false, duration_ms: 1234, duration_api_ms: 1000, num_turns: 2,
    result: 'Done.', session_id: sid, total_cost_usd: 0.0421, usage,
    permission_denials: [], uuid: F.uuid() }, extra));
  const authed = env.CLAUDE_CODE_OAUTH_TOKEN || env.ANTHROPIC_API_KEY ||
    fs.existsSync(path.join(env.CLAUDE_CONFIG_DIR || '/nonexistent', '.credentials.json'));

  F.emit({ type: 'system', subtype: 'init', cwd: process.cwd(), session_id: sid, tools: ['Bash', 'Edit', 'Write', 'Read'],
    mcp_servers: [], model, permissionMode: opts['--dangerously-skip-permissions'] ? 'bypassPermissions' : 'default',
    apiKeySource: env.ANTHROPIC_API_KEY ? 'ANTHROPIC_API_KEY' : 'none', uuid: F.uuid() });
  fs.mkdirSync(path.dirname(sessionFile(sid)), { recursive: true });
  fs.appendFileSync(sessionFile(sid), JSON.stringify({ prompt }) + '\n');
  const assistant = (i, content) => F.emit({ type: 'assistant', session_id: sid, parent_tool_use_id: null,
    uuid: F.uuid(), message: { id: 'msg_' + i + '_' + sid.slice(0, 8), type: 'message', role: 'assistant',
      model, content, stop_reason: null, usage: { input_tokens: 10, output_tokens: 5 } } });

  switch (authed ? sc.name : 'not_logged_in') {
  case 'not_logged_in':
  case 'is_error':
    // the trap: subtype success, is_error true
    result({ is_error: true, num_turns: 1, total_cost_usd: 0, result: 'Invalid API key · Please run /login' });
    return;
  case 'success': case 'resume': {
    const turns = parseInt(env.DA_FAKE_TURNS || '2', 10);
    for (let i = 1; i < turns; i++) {
      assistant(i, [{ type: 'tool_use', id: 'toolu_' + i, name: 'Write', input: { file_path: 'x' } }]);
      F.emit({ type: 'user', session_id: sid, parent_tool_use_id: null, uuid: F.uuid(),
        message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_' + i, content: 'ok' }] } });
    }
    // a scripted reply (a reviewer's answer) writes only the files asked for
    // a review prompt (it asks for a JSON "verdict") with no scripted
    // reply is answered as asked, like the real CLI would: approve
    const reply = F.replyText(sc) ?? (prompt.includes('"verdict"')
      ? '{"verdict": "APPROVE", "summary": "fake review: nothing found", "findings": []}' : null);
    const files = reply === null || sc.writes ? F.applyWrites(sc.writes, prompt, 'claude') : [];
    const text = reply === null ? `Wrote ${files.join(', ')}.` : reply;
    assistant(turns, [{ type: 'text', text }]);
    result({ num_turns: turns, result: text });
    return;
  }
  case 'max_turns':
    for (let i = 1; i <= (maxTurns || 3); i++)
      assistant(i, [{ type: 'tool_use', id: 'toolu_' + i, name: 'Bash', input: { command: 'ls' } }]);
    result({ subtype: 'error_max_turns', is_error: false, num_turns: (maxTurns || 3) + 1, result: undefined });
    return;
  case 'rate_limit':
    result({ is_error: true, num_turns: 1, total_cost_usd: 0.001,
      result: 'API Error: 429 {"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}' });
    return;
  case 'usage_window': {
    const at = F.resetAt();
    F.emit({ type: 'rate_limit_event', rate_limit_info: { status: 'rejected', resetsAt: at,
      rateLimitType: 'five_hour', isUsingOverage: false }, uuid: F.uuid(), session_id: sid });
    // as claude 2.1 prints it (older versions: "Claude AI usage limit reached|<epoch>")
    result({ is_error: true, num_turns: 1, total_cost_usd: 0, api_error_status: 429, terminal_reason: 'api_error',
      result: `You've hit your 5-hour limit · resets ${new Date(at * 1000).toUTCString()}` });
    return;
  }
  case 'budget': {
    // a runaway loop: turn after turn, cost growing
    let cost = 0;
    for (let i = 1; i <= 100000; i++) {
      cost += 0.5;
      assistant(i, [{ type: 'tool_use', id: 'toolu_' + i, name: 'Bash', input: { command: 'make' } }]);
      if (maxBudget > 0 && cost >= maxBudget) {
        result({ subtype: 'error_max_budget_usd', is_error: false, num_turns: i, total_cost_usd: cost, result: undefined });
        return;
      }
      await F.sleep(20);
    }
    return;
  }
  case 'error_during_execution':
    result({ subtype: 'error_during_execution', is_error: true, num_turns: 1, result: undefined,
      errors: ['Tool execution failed: ENOSPC'] });
    return;
  case 'hang':
    await F.hang();
    return;
  case 'chatty':
    await F.chatty((i) => assistant(i, [{ type: 'text', text: 'thinking ' + i }]));
    return;
  case 'malformed':
    process.stdout.write('this is not json\n');
    return;
  case 'crash':
    F.die('Error: fake crash', 1);
    return;
  default:
    F.die('fake claude: unknown scenario ' + sc.name, 3);
  }
};
