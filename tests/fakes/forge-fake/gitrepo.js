'use strict';
// The fake forge's view of a repository's bare git directory: branch tips
// and a real squash merge (merge-tree, commit-tree, update-ref), so tests
// can look at the default branch after "merging" a PR.
const { spawnSync } = require('child_process');

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'fake-forge', GIT_AUTHOR_EMAIL: 'fake-forge@localhost',
  GIT_COMMITTER_NAME: 'fake-forge', GIT_COMMITTER_EMAIL: 'fake-forge@localhost',
};

function git(bare, args, input, extraEnv = {}) {
  const r = spawnSync('git', ['--git-dir', bare, ...args], { env: { ...ENV, ...extraEnv }, input, encoding: 'utf8' });
  return { status: r.status, out: (r.stdout || '').trim(), err: (r.stderr || '').trim() };
}

// A file on a branch: { data: Buffer, sha } or null.
function readFile(bare, ref, path) {
  const spec = `refs/heads/${ref}:${path}`;
  if (git(bare, ['cat-file', '-t', spec]).out !== 'blob') return null;
  const sha = git(bare, ['rev-parse', spec]).out;
  const r = spawnSync('git', ['--git-dir', bare, 'cat-file', 'blob', sha], { env: ENV });
  return { data: r.stdout, sha };
}

// One commit on branch putting data at path (as the contents API does).
// -> { commit, blob } | { error }
function writeFile(bare, branch, path, data, message) {
  const parent = revParse(bare, branch);
  const index = `${bare}/fake-forge-index-${process.pid}`;
  const env = { GIT_INDEX_FILE: index };
  try {
    const blob = git(bare, ['hash-object', '-w', '--stdin'], data).out;
    if (parent && git(bare, ['read-tree', parent], null, env).status !== 0) return { error: 'read-tree' };
    if (!parent) git(bare, ['read-tree', '--empty'], null, env);
    const ui = git(bare, ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], null, env);
    if (ui.status !== 0) return { error: ui.err };
    const tree = git(bare, ['write-tree'], null, env).out;
    const ct = git(bare, ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-F', '-'], message);
    if (ct.status !== 0) return { error: ct.err };
    const ur = git(bare, ['update-ref', `refs/heads/${branch}`, ct.out, ...(parent ? [parent] : [])]);
    if (ur.status !== 0) return { error: ur.err };
    return { commit: ct.out, blob };
  } finally {
    require('fs').rmSync(index, { force: true });
  }
}

function revParse(bare, ref) {
  const r = git(bare, ['rev-parse', '--verify', '--quiet', `refs/heads/${ref}^{commit}`]);
  return r.status === 0 ? r.out : null;
}

// -> { sha } | { conflict: true } | { error }
function squashMerge(bare, base, head, message) {
  const baseSha = revParse(bare, base);
  const headSha = revParse(bare, head);
  if (!baseSha || !headSha) return { error: `missing branch ${baseSha ? head : base}` };
  const mt = git(bare, ['merge-tree', '--write-tree', baseSha, headSha]);
  if (mt.status === 1) return { conflict: true };
  if (mt.status !== 0) return { error: mt.err };
  const tree = mt.out.split('\n')[0];
  const ct = git(bare, ['commit-tree', tree, '-p', baseSha, '-F', '-'], message);
  if (ct.status !== 0) return { error: ct.err };
  const ur = git(bare, ['update-ref', `refs/heads/${base}`, ct.out, baseSha]);
  if (ur.status !== 0) return { conflict: true };	// base moved under us
  return { sha: ct.out };
}

// Lines of the new side a review may comment on: per file, the ranges of
// the diff's hunks (added and context lines), as GitHub allows.
function diffLines(bare, base, head) {
  const d = git(bare, ['diff', '-U3', `refs/heads/${base}...refs/heads/${head}`]);
  const files = new Map();
  let cur = null;
  for (const line of d.out.split('\n')) {
    const f = /^\+\+\+ b\/(.*)$/.exec(line);
    if (f) { cur = []; files.set(f[1], cur); continue; }
    const h = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (h && cur) cur.push([Number(h[1]), Number(h[1]) + (h[2] === undefined ? 1 : Number(h[2])) - 1]);
  }
  return files;
}

module.exports = { revParse, squashMerge, readFile, writeFile, diffLines };
