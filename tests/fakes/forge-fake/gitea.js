'use strict';
// The Gitea API v1 face of the fake forge (served under /api/v1). Gitea's
// swagger is not among the test packages, so each route here declares the
// body fields Gitea's API structs define (required ones marked) and the
// check below holds requests to them.
const crypto = require('crypto');
const gitrepo = require('./gitrepo');
const { State } = require('./state');

const notFound = [404, { message: 'The target couldn\'t be found.', errors: [] }];

function labelJson(l) {
  return { id: l.id, name: l.name, color: l.color.replace(/^#?/, ''), description: l.description || '', exclusive: false };
}

function issueJson(repo, i) {
  return {
    id: i.id, number: i.number, title: i.title, body: i.body, state: i.state, user: { login: i.user },
    html_url: `http://gitea.example/${repo.full_name}/${i.pr ? 'pulls' : 'issues'}/${i.number}`,
    labels: i.labels.map(labelJson), pull_request: i.pr ? { merged: i.pr.merged, draft: i.pr.draft } : null,
  };
}

function prJson(st, repo, i) {
  const p = i.pr;
  const side = (ref, sha, full) => ({ label: ref, ref, sha, repo: { full_name: full } });
  return {
    id: i.id, number: i.number, title: i.title, body: i.body, state: i.state, user: { login: i.user },
    html_url: `http://gitea.example/${repo.full_name}/pulls/${i.number}`, draft: /^WIP:/i.test(i.title),
    merged: p.merged, merged_at: p.merged_at, merge_commit_sha: p.merge_commit_sha,
    head: side(p.head, st.headSha(repo, p), State.headRepo(repo, p)), base: side(p.base, null, repo.full_name),
  };
}

// Gitea pages with ?page & ?limit and sends the same Link header as GitHub.
function page(ctx, list) {
  const per = Math.min(Number(ctx.query.get('limit')) || 30, 50);
  const n = Math.max(Number(ctx.query.get('page')) || 1, 1);
  const last = Math.max(Math.ceil(list.length / per), 1);
  const headers = { 'x-total-count': String(list.length) };
  if (n < last) {
    const q = new URLSearchParams(ctx.query);
    q.set('page', String(n + 1));
    headers.link = `<${ctx.st.origin}${ctx.pathname}?${q}>; rel="next"`;
  }
  return [200, list.slice((n - 1) * per, n * per), headers];
}

const issueOf = (ctx, wantPr) => {
  const i = ctx.repo.issues.get(Number(ctx.params.n));
  return i && (!wantPr || i.pr) ? i : null;
};

const S = 'string';
const routes = [
  ['GET', '/repos/:owner/:repo', (ctx) => [200, {
    id: ctx.repo.id, name: ctx.repo.name, full_name: ctx.repo.full_name, private: ctx.repo.private,
    default_branch: ctx.repo.default_branch, html_url: `http://gitea.example/${ctx.repo.full_name}`,
    clone_url: `http://gitea.example/${ctx.repo.full_name}.git`,
  }]],
  ['GET', '/repos/:owner/:repo/issues/:n', (ctx) => {
    const i = issueOf(ctx, false);
    return i ? [200, issueJson(ctx.repo, i)] : notFound;
  }],
  ['GET', '/repos/:owner/:repo/issues/:n/comments', (ctx) => (issueOf(ctx, false)
    ? [200, ctx.repo.comments.filter((c) => c.number === Number(ctx.params.n))] : notFound)],
  ['POST', '/repos/:owner/:repo/issues/:n/comments', (ctx) => {
    if (!issueOf(ctx, false)) return notFound;
    const c = { id: ctx.st.id(), number: Number(ctx.params.n), body: ctx.body.body, user: { login: ctx.user } };
    c.html_url = `http://gitea.example/${ctx.repo.full_name}/issues/${c.number}#issuecomment-${c.id}`;
    ctx.repo.comments.push(c);
    return [201, c];
  }, { body: [S, true] }],
  ['GET', '/repos/:owner/:repo/labels', (ctx) => page(ctx, ctx.repo.labels.map(labelJson))],
  ['POST', '/repos/:owner/:repo/labels', (ctx) => {
    if (!/^#?[0-9a-fA-F]{6}$/.test(ctx.body.color)) return [422, { message: 'Color: invalid' }];
    const l = ctx.st.ensureLabel(ctx.repo, ctx.body.name, ctx.body.color.replace(/^#/, ''), ctx.body.description);
    return [201, labelJson(l)];
  }, { name: [S, true], color: [S, true], description: [S], exclusive: ['boolean'] }],
  ['POST', '/repos/:owner/:repo/issues/:n/labels', (ctx) => {
    const i = issueOf(ctx, false);
    if (!i) return notFound;
    for (const id of ctx.body.labels) {
      const l = ctx.repo.labels.find((x) => x.id === id);
      if (!l) return [422, { message: `label ${id} does not exist` }];
      if (!i.labels.includes(l)) i.labels.push(l);
    }
    return [200, i.labels.map(labelJson)];
  }, { labels: ['array', true, 'number'] }],
  ['DELETE', '/repos/:owner/:repo/issues/:n/labels/:id', (ctx) => {
    const i = issueOf(ctx, false);
    const l = i && ctx.repo.labels.find((x) => x.id === Number(ctx.params.id));
    if (!l) return notFound;
    i.labels = i.labels.filter((x) => x !== l);
    return [204, null];
  }],
  ['GET', '/repos/:owner/:repo/pulls', (ctx) => {
    const state = ctx.query.get('state') || 'open';
    return page(ctx, [...ctx.repo.issues.values()].filter((i) => i.pr && (state === 'all' || i.state === state))
      .map((i) => prJson(ctx.st, ctx.repo, i)));
  }],
  ['POST', '/repos/:owner/:repo/pulls', (ctx) => {
    const b = ctx.body;
    if (ctx.repo.bare && !gitrepo.revParse(ctx.repo.bare, b.head)) return [404, { message: 'head branch not found' }];
    const dup = [...ctx.repo.issues.values()].find((x) => x.pr && !x.pr.headRepo && x.state === 'open' && x.pr.head === b.head && x.pr.base === b.base);
    if (dup) return [409, { message: `pull request already exists for these targets [id: ${dup.id}]` }];
    const i = ctx.st.addIssue(ctx.repo, { title: b.title, body: b.body || '', user: ctx.user });
    i.pr = { head: b.head, base: b.base, draft: false, merged: false, merged_at: null, merge_commit_sha: null,
      fixedSha: crypto.randomBytes(20).toString('hex') };
    return [201, prJson(ctx.st, ctx.repo, i)];
  }, { title: [S, true], head: [S, true], base: [S, true], body: [S], assignees: ['array'], labels: ['array'] }],
  ['GET', '/repos/:owner/:repo/pulls/:n', (ctx) => {
    const i = issueOf(ctx, true);
    return i ? [200, prJson(ctx.st, ctx.repo, i)] : notFound;
  }],
  ['PATCH', '/repos/:owner/:repo/pulls/:n', (ctx) => {
    const i = issueOf(ctx, true);
    if (!i) return notFound;
    for (const k of ['title', 'body', 'state']) if (ctx.body[k] !== undefined) i[k] = ctx.body[k];
    return [201, prJson(ctx.st, ctx.repo, i)];
  }, { title: [S], body: [S], state: [S], base: [S] }],
  ['GET', '/repos/:owner/:repo/pulls/:n/reviews', (ctx) => (issueOf(ctx, true)
    ? page(ctx, ctx.repo.reviews.filter((r) => r.number === Number(ctx.params.n)).map((r) => ({ ...r, comments: undefined })))
    : notFound)],
  ['POST', '/repos/:owner/:repo/pulls/:n/reviews', (ctx) => {
    const i = issueOf(ctx, true);
    if (!i) return notFound;
    const b = ctx.body;
    if (!['APPROVED', 'REQUEST_CHANGES', 'COMMENT', 'PENDING'].includes(b.event)) return [422, { message: `bad event ${b.event}` }];
    if (b.event !== 'COMMENT' && i.user === ctx.user) return [422, { message: 'reject your own pull is not allowed' }];
    for (const c of b.comments || []) {
      if (typeof c.path !== 'string' || typeof c.body !== 'string' || !Number.isInteger(c.new_position)) {
        return [422, { message: 'comment needs path, body, new_position' }];
      }
    }
    const r = { id: ctx.st.id(), number: i.number, user: { login: ctx.user }, body: b.body || '', state: b.event,
      commit_id: b.commit_id || ctx.st.headSha(ctx.repo, i.pr), comments: b.comments || [] };
    ctx.repo.reviews.push(r);
    return [200, { ...r, comments: undefined }];
  }, { event: [S, true], body: [S], commit_id: [S], comments: ['array'] }],
  ['POST', '/repos/:owner/:repo/pulls/:n/merge', (ctx) => {
    const i = issueOf(ctx, true);
    if (!i) return notFound;
    const p = i.pr;
    if (ctx.body.Do !== 'squash' && ctx.body.Do !== 'merge' && ctx.body.Do !== 'rebase') return [422, { message: 'Do: bad' }];
    if (p.merged || i.state !== 'open' || /^WIP:/i.test(i.title)) return [405, { message: 'Please try again later' }];
    const head = ctx.st.headSha(ctx.repo, p);
    if (ctx.body.head_commit_id && ctx.body.head_commit_id !== head) return [409, { message: 'head out of date' }];
    const title = ctx.body.MergeTitleField || `${i.title} (#${i.number})`;
    const message = ctx.body.MergeMessageField ? `${title}\n\n${ctx.body.MergeMessageField}\n` : `${title}\n`;
    let sha = crypto.randomBytes(20).toString('hex');
    if (ctx.repo.bare) {
      const m = gitrepo.squashMerge(ctx.repo.bare, p.base, p.head, message);
      if (m.conflict) return [409, { message: 'merge conflict' }];
      if (m.error) return [500, { message: m.error }];
      sha = m.sha;
    }
    Object.assign(p, { merged: true, merged_at: new Date().toISOString(), merge_commit_sha: sha });
    i.state = 'closed';
    ctx.repo.merges.push({ number: i.number, sha, method: ctx.body.Do, title, message, user: ctx.user });
    return [200, null];
  }, { Do: [S, true], MergeTitleField: [S], MergeMessageField: [S], head_commit_id: [S],
    delete_branch_after_merge: ['boolean'], force_merge: ['boolean'] }],
  ['GET', '/repos/:owner/:repo/contents/*path', (ctx) => {
    const f = ctx.st.getFile(ctx.repo, ctx.params.path, ctx.query.get('ref'));
    if (!f) return notFound;
    return [200, { type: 'file', encoding: 'base64', size: f.data.length, path: ctx.params.path,
      name: ctx.params.path.split('/').pop(), sha: f.sha, content: f.data.toString('base64') }];
  }],
  ['POST', '/repos/:owner/:repo/contents/*path', (ctx) => writeFile(ctx, false),
    { content: [S, true], message: [S], branch: [S], new_branch: [S] }],
  ['PUT', '/repos/:owner/:repo/contents/*path', (ctx) => writeFile(ctx, true),
    { content: [S, true], sha: [S, true], message: [S], branch: [S], new_branch: [S] }],
  ['PUT', '/repos/:owner/:repo/actions/secrets/:name', (ctx) => {
    const existed = ctx.repo.secrets.has(ctx.params.name);
    ctx.repo.secrets.set(ctx.params.name, { data: ctx.body.data, user: ctx.user });
    return [existed ? 204 : 201, null];
  }, { data: [S, true] }],
];

function writeFile(ctx, update) {
  const path = ctx.params.path;
  const old = ctx.st.getFile(ctx.repo, path, ctx.body.branch);
  if (!update && old) return [422, { message: `repository file already exists [path: ${path}]` }];
  if (update && !old) return notFound;
  if (update && ctx.body.sha !== old.sha) return [422, { message: `sha does not match [given: ${ctx.body.sha}, expected: ${old.sha}]` }];
  const w = ctx.st.putFile(ctx.repo, path, Buffer.from(ctx.body.content, 'base64'), ctx.body.message || 'update', ctx.body.branch, ctx.user);
  if (w.error) return [500, { message: w.error }];
  return [update ? 200 : 201, { content: { path, sha: w.sha }, commit: { sha: w.commit } }];
}

function typeOk(want, v) {
  if (want === 'array') return Array.isArray(v);
  if (want === 'number') return Number.isInteger(v);
  return typeof v === want;
}

// Required fields present, every field known and of its type.
function check(route, body, hasBody) {
  const spec = route.handler && routes.find((r) => r[2] === route.handler)[3];
  if (!spec) return hasBody ? [`${route.method} takes no body`] : [];
  if (!body || typeof body !== 'object') return ['body must be a JSON object'];
  const p = [];
  for (const [k, [type, required, itemType]] of Object.entries(spec)) {
    if (required && !(k in body)) p.push(`missing required '${k}'`);
    if (k in body && !typeOk(type, body[k])) p.push(`'${k}' should be ${type}`);
    if (itemType && Array.isArray(body[k]) && !body[k].every((x) => typeOk(itemType, x))) p.push(`'${k}' items should be ${itemType}`);
  }
  for (const k of Object.keys(body)) if (!(k in spec)) p.push(`'${k}' is not a field Gitea reads here`);
  return p;
}

module.exports = { routes, check, notFound };
