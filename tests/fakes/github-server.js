#!/usr/bin/env node
'use strict';
// A fake GitHub (or, with --gitea, Gitea) for the tests: loopback only,
// state in memory, every GitHub request checked against the published
// OpenAPI description. See tests/fakes/README-github.md.
//
//   github-server.js --port-file F [--parent PID] [--gitea] [--tokens tok=login,...]
const http = require('http');
const fs = require('fs');
const { State } = require('./forge-fake/state');
const openapi = require('./forge-fake/openapi-check');
const github = require('./forge-fake/github');
const gitea = require('./forge-fake/gitea');

function parseArgs(argv) {
  const o = { portFile: null, parent: process.ppid, gitea: false, tokens: process.env.FAKE_FORGE_TOKENS || '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port-file') o.portFile = argv[++i];
    else if (a === '--parent') o.parent = Number(argv[++i]);
    else if (a === '--gitea') o.gitea = true;
    else if (a === '--tokens') o.tokens = argv[++i];
    else { process.stderr.write(`github-server: unknown argument ${a}\n`); process.exit(2); }
  }
  o.users = new Map(o.tokens.split(',').filter(Boolean).map((kv) => kv.split('=')));
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const st = new State('');
const face = opts.gitea ? gitea : github;

// "/repos/:owner/:repo/contents/*path" -> matcher
const compiled = face.routes.map(([method, pattern, handler]) => {
  const names = [];
  const re = new RegExp('^' + pattern.split('/').map((seg) => {
    if (seg.startsWith(':')) { names.push(seg.slice(1)); return '([^/]+)'; }
    if (seg.startsWith('*')) { names.push(seg.slice(1)); return '(.+)'; }
    return seg;
  }).join('/') + '$');
  return { method, re, names, handler };
});

function send(res, status, body, headers = {}) {
  const text = body === null || body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

function control(req, res, pathname, body) {
  switch (`${req.method} ${pathname}`) {
    case 'POST /__repo': st.addRepo(body); return send(res, 201, { ok: true });
    case 'POST /__issue': {
      const repo = st.repos.get(String(body.repo).toLowerCase());
      if (!repo) return send(res, 404, { message: 'no such repo' });
      return send(res, 201, { number: st.addIssue(repo, body).number });
    }
    case 'POST /__pr': {	// a PR from a fork: head_repo is the fork's full name
      const repo = st.repos.get(String(body.repo).toLowerCase());
      if (!repo) return send(res, 404, { message: 'no such repo' });
      return send(res, 201, { number: st.addForkPr(repo, body).number });
    }
    case 'POST /__label': {
      const repo = st.repos.get(String(body.repo).toLowerCase());
      if (!repo) return send(res, 404, { message: 'no such repo' });
      for (const name of body.names || [body.name]) st.ensureLabel(repo, name, body.color, body.description);
      return send(res, 201, { ok: true });
    }
    case 'POST /__inject':
      st.injections.push({ count: 1, ...body });
      return send(res, 201, { ok: true });
    case 'GET /__violations': return send(res, 200, st.violations);
    case 'GET /__state': return send(res, 200, st.snapshot());
    case 'GET /__requests': return send(res, 200, st.requests);
    case 'GET /__secret-keys': return send(res, 200, st.secretKeys);
    case 'POST /__shutdown':
      res.on('finish', () => process.exit(0));
      return send(res, 200, { ok: true });
    default: return send(res, 404, { message: `no control endpoint ${pathname}` });
  }
}

// Headers every GitHub client must send (GitHub rejects a missing UA).
function headerProblems(req) {
  const p = [];
  if (!req.headers['user-agent']) p.push('no User-Agent header');
  if (!opts.gitea) {
    if (!/application\/vnd\.github\+json/.test(req.headers.accept || '')) p.push(`Accept is '${req.headers.accept}'`);
    if (req.headers['x-github-api-version'] !== '2022-11-28') p.push('no X-GitHub-Api-Version: 2022-11-28');
  }
  return p;
}

function authUser(req) {
  const m = /^(Bearer|token) (.+)$/.exec(req.headers.authorization || '');
  if (!m || (opts.gitea && m[1] !== 'token')) return null;
  return opts.users.size ? opts.users.get(m[2]) || null : 'anonymous-bot';
}

async function api(req, res, url, body, hasBody) {
  let pathname = url.pathname;
  if (opts.gitea) {
    if (!pathname.startsWith('/api/v1/')) {
      st.violation(req, [`not under /api/v1: ${pathname}`]);
      return send(res, 404, { message: 'not found' });
    }
    pathname = pathname.slice(7);
  }
  const user = authUser(req);
  const record = { method: req.method, path: url.pathname + url.search, user, status: 0 };
  st.requests.push(record);
  const reply = (status, b, h) => { record.status = status; send(res, status, b, h); };
  const hp = headerProblems(req);
  if (hp.length) st.violation(req, hp);
  if (!user) return reply(401, { message: 'Bad credentials' });
  const inj = st.takeInjection(req.method, pathname);
  if (inj && inj.delay_ms) await new Promise((r) => setTimeout(r, inj.delay_ms));
  if (inj && inj.status) {
    const h = { ...(inj.headers || {}) };
    if (inj.retry_after !== undefined) h['retry-after'] = String(inj.retry_after);
    return reply(inj.status, inj.body || { message: `injected ${inj.status}` }, h);
  }
  if (!opts.gitea && pathname === '/graphql' && req.method === 'POST') {
    const [s, b] = github.graphql(st, body, user);
    return reply(s, b);
  }
  const problems = opts.gitea ? [] : openapi.check(req.method, pathname, url.searchParams, body, hasBody).problems;
  const route = compiled.find((r) => r.method === req.method && r.re.test(pathname));
  if (!route) {
    if (opts.gitea) problems.push(`no ${req.method} ${pathname} in the fake's Gitea routes`);
    else if (!problems.length) problems.push(`fake forge does not implement ${req.method} ${pathname}`);
  } else if (opts.gitea) {
    problems.push(...gitea.check(route, body, hasBody));
  }
  if (problems.length) {
    st.violation(req, problems);
    return reply(route ? 422 : 404, { message: 'Validation Failed (fake forge)', errors: problems });
  }
  const m = route.re.exec(pathname);
  const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
  const repo = st.repo(params.owner, params.repo);
  if (!repo) return reply(404, { message: 'Not Found' });
  const ctx = { st, repo, params, query: url.searchParams, pathname: url.pathname, body: body || {}, user };
  const [status, out, headers] = route.handler(ctx);
  // done, but the answer is late: a client killed meanwhile never learns
  if (inj && inj.hold_ms) await new Promise((r) => setTimeout(r, inj.hold_ms));
  return reply(status, out, headers);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    let body;
    try { body = raw ? JSON.parse(raw) : undefined; } catch (e) { body = undefined; }
    const url = new URL(req.url, st.origin);
    const p = url.pathname.startsWith('/__') ? control(req, res, url.pathname, body || {})
      : api(req, res, url, body, raw.length > 0);
    Promise.resolve(p).catch((e) => {
      st.violations.push({ method: req.method, path: req.url, problem: `fake crashed: ${e.stack}` });
      send(res, 500, { message: String(e) });
    });
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  st.origin = `http://127.0.0.1:${port}`;
  if (opts.portFile) {
    fs.writeFileSync(`${opts.portFile}.tmp`, `${port}\n`);
    fs.renameSync(`${opts.portFile}.tmp`, opts.portFile);
  } else {
    process.stdout.write(`${port}\n`);
  }
});

// Never outlive the test that started us.
setInterval(() => {
  try { process.kill(opts.parent, 0); } catch (e) { process.exit(0); }
}, 300).unref();
