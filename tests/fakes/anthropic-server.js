#!/usr/bin/env node
// A loopback fake of the Anthropic Messages API for the Claude Code
// contract test. POST /v1/messages with stream:true answers in the real
// SSE shape (message_start, content_block_start/delta/stop, message_delta,
// message_stop). The agent loop (a request that offers the Write tool) is
// scripted: 1) Write <dir>/hello.txt, 2) Bash writing <dir>/bash-ran.txt,
// 3) a final text. A review prompt (one asking for a JSON "verdict", as
// da-review's does) is answered with an APPROVE verdict at once. Any other
// request (titles, quota probes) gets a short text. Usage: anthropic-server.js PORTFILE DIR [LOGFILE]
// FAKE_API_MODE=rate_limit answers every agent-loop request with a 429
// rate_limit_error; FAKE_API_MODE=usage_window with a 429 carrying the
// unified rate-limit headers of a used-up subscription window (reset at
// FAKE_API_RESET, seconds since the epoch).
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');

const [portFile, dir, logFile] = process.argv.slice(2);
if (!portFile || !dir) {
  process.stderr.write('usage: anthropic-server.js PORTFILE DIR [LOGFILE]\n');
  process.exit(2);
}
let seq = 0;

function log(rec) {
  if (logFile) fs.appendFileSync(logFile, JSON.stringify(rec) + '\n');
}

// How many tool results the conversation already holds = the script step.
function step(body) {
  let n = 0;
  for (const m of body.messages || [])
    if (Array.isArray(m.content))
      for (const b of m.content) if (b.type === 'tool_result') n++;
  return n;
}

function isAgentLoop(body) {
  return Array.isArray(body.tools) && body.tools.some((t) => t.name === 'Write');
}

// All the text the user side of the conversation holds.
function userText(body) {
  let text = '';
  for (const m of body.messages || []) {
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') text += m.content;
    else for (const b of m.content || []) if (b.type === 'text') text += b.text;
  }
  return text;
}

const VERDICT = '```json\n{"verdict": "APPROVE", "summary": "Looks right.", "findings": []}\n```';

function reply(body) {
  if (!isAgentLoop(body)) return { blocks: [{ type: 'text', text: 'Fake title' }], stop: 'end_turn' };
  if (userText(body).includes('"verdict"')) return { stop: 'end_turn', blocks: [{ type: 'text', text: VERDICT }] };
  switch (step(body)) {
  case 0:
    return { stop: 'tool_use', blocks: [{ type: 'tool_use', name: 'Write',
      input: { file_path: path.join(dir, 'hello.txt'), content: 'hello from the contract test\n' } }] };
  case 1:
    return { stop: 'tool_use', blocks: [{ type: 'tool_use', name: 'Bash',
      input: { command: `echo bash ran > ${path.join(dir, 'bash-ran.txt')}`, description: 'Mark that Bash ran' } }] };
  default:
    return { stop: 'end_turn', blocks: [{ type: 'text', text: 'CONTRACT-DONE: wrote hello.txt and ran Bash.' }] };
  }
}

function usage(inTok) {
  return { input_tokens: inTok, output_tokens: 1, cache_creation_input_tokens: 7, cache_read_input_tokens: 11 };
}

function sse(res, event, data) {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function streamReply(res, body, r) {
  const id = `msg_fake_${++seq}`;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache',
    'request-id': `req_fake_${seq}` });
  sse(res, 'message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant',
    model: body.model, content: [], stop_reason: null, stop_sequence: null, usage: usage(100) } });
  r.blocks.forEach((b, index) => {
    if (b.type === 'text') {
      sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: b.text } });
    } else {
      sse(res, 'content_block_start', { type: 'content_block_start', index,
        content_block: { type: 'tool_use', id: `toolu_fake_${seq}_${index}`, name: b.name, input: {} } });
      const json = JSON.stringify(b.input);
      const half = Math.floor(json.length / 2);	// split like the real API does
      sse(res, 'content_block_delta', { type: 'content_block_delta', index,
        delta: { type: 'input_json_delta', partial_json: json.slice(0, half) } });
      sse(res, 'content_block_delta', { type: 'content_block_delta', index,
        delta: { type: 'input_json_delta', partial_json: json.slice(half) } });
    }
    sse(res, 'content_block_stop', { type: 'content_block_stop', index });
  });
  sse(res, 'message_delta', { type: 'message_delta', delta: { stop_reason: r.stop, stop_sequence: null },
    usage: { output_tokens: 25 } });
  sse(res, 'message_stop', { type: 'message_stop' });
  res.end();
}

function jsonReply(res, body, r) {
  const content = r.blocks.map((b, i) => (b.type === 'text' ? b
    : { type: 'tool_use', id: `toolu_fake_${seq}_${i}`, name: b.name, input: b.input }));
  res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_fake_${++seq}` });
  res.end(JSON.stringify({ id: `msg_fake_${seq}`, type: 'message', role: 'assistant', model: body.model,
    content, stop_reason: r.stop, stop_sequence: null, usage: usage(100) }));
}

function limited(res, mode) {
  const headers = { 'content-type': 'application/json', 'retry-after': '0', 'request-id': `req_fake_${++seq}` };
  if (mode === 'usage_window') {
    const reset = process.env.FAKE_API_RESET || String(Math.floor(Date.now() / 1000) + 3600);
    Object.assign(headers, { 'anthropic-ratelimit-unified-status': 'rejected',
      'anthropic-ratelimit-unified-reset': reset,
      'anthropic-ratelimit-unified-representative-claim': 'five_hour',
      'anthropic-ratelimit-unified-5h-status': 'rejected', 'anthropic-ratelimit-unified-5h-reset': reset });
  }
  res.writeHead(429, headers);
  res.end(JSON.stringify({ type: 'error', error: { type: 'rate_limit_error',
    message: 'This request would exceed the rate limit for your organization' } }));
}

const server = http.createServer((req, res) => {
  let raw = '';
  req.on('data', (d) => { raw += d; });
  req.on('end', () => {
    const url = req.url.split('?')[0];
    let body = {};
    try { body = raw ? JSON.parse(raw) : {}; } catch (e) { body = {}; }
    log({ method: req.method, url, stream: !!body.stream, agent_loop: isAgentLoop(body), step: step(body),
      has_prompt: raw.includes('CONTRACT-PROMPT'), has_resume_prompt: raw.includes('CONTRACT-AGAIN'),
      api_key: req.headers['x-api-key'] ? 'present' : 'absent' });
    if (req.method === 'POST' && url === '/v1/messages/count_tokens') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ input_tokens: 100 }));
    } else if (req.method === 'POST' && url === '/v1/messages' && process.env.FAKE_API_MODE &&
               isAgentLoop(body)) {
      limited(res, process.env.FAKE_API_MODE);
    } else if (req.method === 'POST' && url === '/v1/messages') {
      const r = reply(body);
      if (body.stream) streamReply(res, body, r); else jsonReply(res, body, r);
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'not faked' } }));
    }
  });
});

server.listen(0, '127.0.0.1', () => {
  const tmp = portFile + '.tmp';
  fs.writeFileSync(tmp, String(server.address().port));
  fs.renameSync(tmp, portFile);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
