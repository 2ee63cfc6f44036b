#!/usr/bin/env node
// Loopback model API that records what a real agent CLI sent, for the
// stdin-prompt contract test (tests/contract/agent-stdin.bats).
// Usage: prompt-recorder.js PORTFILE LOG
// Listens on 127.0.0.1 (port 0), writes the port to PORTFILE, and for every
// request appends one JSON line to LOG: method, url, bytes, and how many
// times the body holds each marker the test's prompt carries. It answers
// every request 400 with a JSON error that each CLI reports as the turn's
// failure ("recorder says no"): the test is about what arrives, not about
// a whole agent loop.
'use strict';
const fs = require('fs');
const http = require('http');

const [portFile, logFile] = process.argv.slice(2);
if (!portFile || !logFile) {
  process.stderr.write('usage: prompt-recorder.js PORTFILE LOG\n');
  process.exit(2);
}

function count(body, word) { return body.split(word).length - 1; }

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    fs.appendFileSync(logFile, JSON.stringify({ method: req.method, url: req.url, bytes: body.length,
      start: count(body, 'CONTRACT-PROMPT-START'), end: count(body, 'CONTRACT-PROMPT-END'),
      lines: count(body, 'contract spec line '), last: count(body, 'contract spec line 03600') }) + '\n');
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 400, type: 'invalid_request_error',
      message: 'recorder says no', status: 'INVALID_ARGUMENT' } }));
  });
});
server.listen(0, '127.0.0.1', () => {
  const tmp = portFile + '.tmp';
  fs.writeFileSync(tmp, String(server.address().port));
  fs.renameSync(tmp, portFile);
});
// a test that forgets to stop it must not leave it running for ever
setTimeout(() => process.exit(0), 10 * 60 * 1000).unref();
