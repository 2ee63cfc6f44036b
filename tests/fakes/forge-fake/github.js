'use strict';
// The GitHub REST v3 face of the fake forge: the routes dev-agents uses,
// answering with GitHub's status codes and the fields of its objects.
const crypto = require('crypto');
const gitrepo = require('./gitrepo');
const { State } = require('./state');

function labelJson(st, repo, l) {
  return {
    id: l.id, node_id: `LA_${l.id}`, url: `${st.origin}/repos/${repo.full_name}/labels/${encodeURIComponent(l.name)}`,
    name: l.name, color: l.color, description: l.description, default: l.default,
  };
}

function issueJson(st, repo, i) {
  const j = {
    id: i.id, node_id: `I_${i.id}`, number: i.number, title: i.title, body: i.body, state: i.state,
    url: `${st.origin}/repos/${repo.full_name}/issues/${i.number}`,
    html_url: `https://github.example/${repo.full_name}/${i.pr ? 'pull' : 'issues'}/${i.number}`,
    user: { login: i.user }, labels: i.labels.map((l) => labelJson(st, repo, l)),
  };
  if (i.pr) j.pull_request = { url: `${st.origin}/repos/${repo.full_name}/pulls/${i.number}` };
  return j;
}

function prJson(st, repo, i) {
  const p = i.pr;
  const side = (ref, sha, full) => ({ label: `${full.split('/')[0]}:${ref}`, ref, sha, repo: { full_name: full } });
  return {
    id: i.id, node_id: p.node_id, number: i.number, title: i.title, body: i.body, state: i.state,
    url: `${st.origin}/repos/${repo.full_name}/pulls/${i.number}`,
    html_url: `https://github.example/${repo.full_name}/pull/${i.number}`,
    user: { login: i.user }, draft: p.draft, merged: p.merged, merged_at: p.merged_at,
    merge_commit_sha: p.merge_commit_sha, labels: i.labels.map((l) => labelJson(st, repo, l)),
    head: side(p.head, st.headSha(repo, p), State.headRepo(repo, p)),
    base: side(p.base, repo.bare ? gitrepo.revParse(repo.bare, p.base) : null, repo.full_name),
  };
}

function page(ctx, list) {
  const per = Math.min(Number(ctx.query.get('per_page')) || 30, 100);
  const n = Math.max(Number(ctx.query.get('page')) || 1, 1);
  const last = Math.max(Math.ceil(list.length / per), 1);
  const headers = {};
  if (n < last) {
    const q = new URLSearchParams(ctx.query);
    q.set('page', String(n + 1));
    const next = `${ctx.st.origin}${ctx.pathname}?${q}`;
    q.set('page', String(last));
    headers.link = `<${next}>; rel="next", <${ctx.st.origin}${ctx.pathname}?${q}>; rel="last"`;
  }
  return [200, list.slice((n - 1) * per, n * per), headers];
}

const notFound = [404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }];
const invalid = (message, errors = []) => [422, { message, errors }];

function issueOf(ctx, wantPr) {
  const i = ctx.repo.issues.get(Number(ctx.params.n));
  if (!i || (wantPr && !i.pr)) return null;
  return i;
}

const routes = [
  ['GET', '/repos/:owner/:repo', (ctx) => [200, {
    id: ctx.repo.id, node_id: `R_${ctx.repo.id}`, name: ctx.repo.name, full_name: ctx.repo.full_name,
    owner: { login: ctx.repo.owner }, private: ctx.repo.private, default_branch: ctx.repo.default_branch,
    html_url: `https://github.example/${ctx.repo.full_name}`, clone_url: `https://github.example/${ctx.repo.full_name}.git`,
  }]],
  ['GET', '/repos/:owner/:repo/issues/:n', (ctx) => {
    const i = issueOf(ctx, false);
    return i ? [200, issueJson(ctx.st, ctx.repo, i)] : notFound;
  }],
  ['GET', '/repos/:owner/:repo/issues/:n/comments', (ctx) =>
    page(ctx, ctx.repo.comments.filter((c) => c.number === Number(ctx.params.n)))],
  ['POST', '/repos/:owner/:repo/issues/:n/comments', (ctx) => {
    if (!issueOf(ctx, false)) return notFound;
    const c = {
      id: ctx.st.id(), number: Number(ctx.params.n), body: ctx.body.body, user: { login: ctx.user },
      html_url: `https://github.example/${ctx.repo.full_name}/issues/${ctx.params.n}#issuecomment-${ctx.st.nextId}`,
    };
    ctx.repo.comments.push(c);
    return [201, c];
  }],
  ['GET', '/repos/:owner/:repo/labels', (ctx) => page(ctx, ctx.repo.labels.map((l) => labelJson(ctx.st, ctx.repo, l)))],
  ['POST', '/repos/:owner/:repo/labels', (ctx) => {
    if (ctx.st.findLabel(ctx.repo, ctx.body.name)) {
      return invalid('Validation Failed', [{ resource: 'Label', code: 'already_exists', field: 'name' }]);
    }
    const l = ctx.st.ensureLabel(ctx.repo, ctx.body.name, ctx.body.color || 'ededed', ctx.body.description || null);
    return [201, labelJson(ctx.st, ctx.repo, l)];
  }],
  ['POST', '/repos/:owner/:repo/issues/:n/labels', (ctx) => {
    const i = issueOf(ctx, false);
    if (!i) return notFound;
    const names = (ctx.body.labels || []).map((l) => (typeof l === 'string' ? l : l.name));
    for (const name of names) {	// GitHub creates labels it does not know
      const l = ctx.st.ensureLabel(ctx.repo, name);
      if (!i.labels.includes(l)) i.labels.push(l);
    }
    return [200, i.labels.map((l) => labelJson(ctx.st, ctx.repo, l))];
  }],
  ['DELETE', '/repos/:owner/:repo/issues/:n/labels/:name', (ctx) => {
    const i = issueOf(ctx, false);
    const l = i && i.labels.find((x) => x.name.toLowerCase() === ctx.params.name.toLowerCase());
    if (!l) return [404, { message: 'Label does not exist', documentation_url: 'https://docs.github.com/rest' }];
    i.labels = i.labels.filter((x) => x !== l);
    return [200, i.labels.map((x) => labelJson(ctx.st, ctx.repo, x))];
  }],
  ['GET', '/repos/:owner/:repo/pulls', (ctx) => {
    const state = ctx.query.get('state') || 'open';
    const head = ctx.query.get('head');
    const list = [...ctx.repo.issues.values()].filter((i) => i.pr &&
      (state === 'all' || i.state === state) &&
      (!head || head === `${State.headOwner(ctx.repo, i.pr)}:${i.pr.head}`));
    return page(ctx, list.map((i) => prJson(ctx.st, ctx.repo, i)));
  }],
  ['POST', '/repos/:owner/:repo/pulls', (ctx) => createPr(ctx)],
  ['GET', '/repos/:owner/:repo/pulls/:n', (ctx) => {
    const i = issueOf(ctx, true);
    return i ? [200, prJson(ctx.st, ctx.repo, i)] : notFound;
  }],
  ['PATCH', '/repos/:owner/:repo/pulls/:n', (ctx) => {
    const i = issueOf(ctx, true);
    if (!i) return notFound;
    for (const k of ['title', 'body', 'state']) if (ctx.body[k] !== undefined) i[k] = ctx.body[k];
    return [200, prJson(ctx.st, ctx.repo, i)];
  }],
  ['GET', '/repos/:owner/:repo/pulls/:n/reviews', (ctx) =>
    page(ctx, ctx.repo.reviews.filter((r) => r.number === Number(ctx.params.n)))],
  ['POST', '/repos/:owner/:repo/pulls/:n/reviews', (ctx) => createReview(ctx)],
  ['PUT', '/repos/:owner/:repo/pulls/:n/merge', (ctx) => merge(ctx)],
  ['GET', '/repos/:owner/:repo/contents/*path', (ctx) => {
    const f = ctx.st.getFile(ctx.repo, ctx.params.path, ctx.query.get('ref'));
    if (!f) return notFound;
    return [200, {
      type: 'file', encoding: 'base64', size: f.data.length, name: ctx.params.path.split('/').pop(),
      path: ctx.params.path, sha: f.sha, content: f.data.toString('base64').replace(/(.{60})/g, '$1\n'),
    }];
  }],
  ['PUT', '/repos/:owner/:repo/contents/*path', (ctx) => putFile(ctx)],
  ['GET', '/repos/:owner/:repo/actions/secrets/public-key', (ctx) =>
    [200, { key_id: ctx.st.secretKeys.key_id, key: ctx.st.secretKeys.public_key }]],
  ['PUT', '/repos/:owner/:repo/actions/secrets/:name', (ctx) => {
    if (ctx.body.key_id !== ctx.st.secretKeys.key_id) return invalid('key_id does not match the repository key');
    const existed = ctx.repo.secrets.has(ctx.params.name);
    ctx.repo.secrets.set(ctx.params.name, { encrypted_value: ctx.body.encrypted_value, key_id: ctx.body.key_id, user: ctx.user });
    return [existed ? 204 : 201, existed ? null : {}];
  }],
];

function createPr(ctx) {
  const b = ctx.body;
  const repo = ctx.repo;
  if (repo.bare && !gitrepo.revParse(repo.bare, b.head)) {
    return invalid('Validation Failed', [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
  }
  const dup = [...repo.issues.values()].find((i) => i.pr && !i.pr.headRepo && i.state === 'open' && i.pr.head === b.head);
  if (dup) {
    return invalid('Validation Failed', [{ resource: 'PullRequest', code: 'custom',
      message: `A pull request already exists for ${repo.owner}:${b.head}.` }]);
  }
  const i = ctx.st.addIssue(repo, { title: b.title, body: b.body || '', user: ctx.user });
  i.pr = {
    head: b.head, base: b.base, draft: !!b.draft, merged: false, merged_at: null, merge_commit_sha: null,
    node_id: `PR_kw${i.id}`, fixedSha: crypto.randomBytes(20).toString('hex'),
  };
  return [201, prJson(ctx.st, repo, i)];
}

function createReview(ctx) {
  const i = issueOf(ctx, true);
  if (!i) return notFound;
  const b = ctx.body;
  if (['APPROVE', 'REQUEST_CHANGES'].includes(b.event) && i.user === ctx.user) {
    return invalid(`Unprocessable Entity: Can not ${b.event === 'APPROVE' ? 'approve' : 'request changes on'} your own pull request`);
  }
  if (b.event === 'REQUEST_CHANGES' && !b.body) return invalid('Review body is required for REQUEST_CHANGES');
  if (ctx.repo.bare && (b.comments || []).length) {
    // GitHub refuses the whole review when one comment is off the diff
    const lines = gitrepo.diffLines(ctx.repo.bare, i.pr.base, i.pr.head);
    for (const c of b.comments) {
      const ranges = lines.get(c.path) || [];
      if (!ranges.some(([lo, hi]) => c.line >= lo && c.line <= hi)) {
        return invalid('Unprocessable Entity', ['Pull request review thread line must be part of the diff']);
      }
    }
  }
  const r = {
    id: ctx.st.id(), number: i.number, user: { login: ctx.user }, body: b.body || '',
    state: { APPROVE: 'APPROVED', REQUEST_CHANGES: 'CHANGES_REQUESTED', COMMENT: 'COMMENTED' }[b.event] || 'PENDING',
    commit_id: b.commit_id || ctx.st.headSha(ctx.repo, i.pr), comments: b.comments || [],
  };
  ctx.repo.reviews.push(r);
  return [200, { ...r, comments: undefined, html_url: `https://github.example/${ctx.repo.full_name}/pull/${i.number}#pullrequestreview-${r.id}` }];
}

function merge(ctx) {
  const i = issueOf(ctx, true);
  if (!i) return notFound;
  const p = i.pr;
  const repo = ctx.repo;
  if (p.merged || i.state !== 'open') return [405, { message: 'Pull Request is not mergeable' }];
  if (p.draft) return [405, { message: 'Pull Request is still a draft' }];
  const head = ctx.st.headSha(repo, p);
  if (ctx.body.sha && ctx.body.sha !== head) return [409, { message: 'Head branch was modified. Review and try the merge again.' }];
  const title = ctx.body.commit_title || `${i.title} (#${i.number})`;
  const message = ctx.body.commit_message ? `${title}\n\n${ctx.body.commit_message}\n` : `${title}\n`;
  let sha = crypto.randomBytes(20).toString('hex');
  if (repo.bare) {
    const m = gitrepo.squashMerge(repo.bare, p.base, p.head, message);
    if (m.conflict) return [405, { message: 'Pull Request is not mergeable' }];
    if (m.error) return [500, { message: m.error }];
    sha = m.sha;
  }
  Object.assign(p, { merged: true, merged_at: new Date().toISOString(), merge_commit_sha: sha });
  i.state = 'closed';
  repo.merges.push({ number: i.number, sha, method: ctx.body.merge_method || 'merge', title, message, user: ctx.user });
  return [200, { sha, merged: true, message: 'Pull Request successfully merged' }];
}

function putFile(ctx) {
  const repo = ctx.repo;
  const path = ctx.params.path;
  const old = ctx.st.getFile(repo, path, ctx.body.branch);
  if (old && !ctx.body.sha) return invalid('Invalid request.\n\n"sha" wasn\'t supplied.');
  if (old && ctx.body.sha !== old.sha) return [409, { message: `${path} does not match ${ctx.body.sha}` }];
  if (!old && ctx.body.sha) return notFound;
  const w = ctx.st.putFile(repo, path, Buffer.from(ctx.body.content, 'base64'), ctx.body.message, ctx.body.branch, ctx.user);
  if (w.error) return [500, { message: w.error }];
  return [old ? 200 : 201, { content: { name: path.split('/').pop(), path, sha: w.sha }, commit: { sha: w.commit, message: ctx.body.message } }];
}

// GraphQL: only the two draft mutations dev-agents sends.
function graphql(st, body, user) {
  const q = (body && body.query) || '';
  const id = body && body.variables && body.variables.id;
  const m = /(markPullRequestReadyForReview|convertPullRequestToDraft)/.exec(q);
  if (!m || !id) return [200, { errors: [{ message: 'fake forge: unsupported GraphQL query' }] }];
  for (const repo of st.repos.values()) {
    for (const i of repo.issues.values()) {
      if (i.pr && i.pr.node_id === id) {
        i.pr.draft = m[1] === 'convertPullRequestToDraft';
        return [200, { data: { [m[1]]: { pullRequest: { isDraft: i.pr.draft } } } }];
      }
    }
  }
  return [200, { errors: [{ type: 'NOT_FOUND', message: `Could not resolve to a node with the global id of '${id}'` }] }];
}

module.exports = { routes, graphql, notFound };
