'use strict';
// What the fake forge remembers, shared by its GitHub and Gitea faces.
// Issues and pull requests share one number sequence per repository, as
// on both real forges.
const crypto = require('crypto');
const gitrepo = require('./gitrepo');

class State {
  constructor(origin) {
    this.origin = origin;	// "http://127.0.0.1:port", set once listening
    this.repos = new Map();
    this.nextId = 1000;
    this.violations = [];
    this.requests = [];
    this.injections = [];
    // The Actions key pair: a real X25519 pair, so a test can open what a
    // client sealed with crypto_box_seal (libsodium's raw 32-byte keys are
    // JWK "x" and "d").
    const { publicKey, privateKey } = crypto.generateKeyPairSync('x25519');
    const jwk = privateKey.export({ format: 'jwk' });
    this.secretKeys = {
      key_id: '568250167242549743',
      public_key: Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url').toString('base64'),
      private_key: Buffer.from(jwk.d, 'base64url').toString('base64'),
    };
  }

  id() { return this.nextId++; }

  addRepo({ full_name, default_branch = 'main', bare = null, private: priv = false }) {
    const [owner, name] = full_name.split('/');
    const repo = {
      id: this.id(), full_name, owner, name, default_branch, bare, private: priv,
      labels: [], issues: new Map(), nextNumber: 1, comments: [], reviews: [], merges: [],
      contents: new Map(), commits: [], secrets: new Map(),
    };
    this.repos.set(full_name.toLowerCase(), repo);
    return repo;
  }

  repo(owner, name) { return this.repos.get(`${owner}/${name}`.toLowerCase()) || null; }

  addIssue(repo, { title, body = '', labels = [], number, user = 'octocat' }) {
    const n = number || repo.nextNumber;
    repo.nextNumber = Math.max(repo.nextNumber, n + 1);
    const issue = {
      id: this.id(), number: n, title, body, state: 'open', user,
      labels: labels.map((l) => this.ensureLabel(repo, l)), pr: null,
    };
    repo.issues.set(n, issue);
    return issue;
  }

  findLabel(repo, name) {
    return repo.labels.find((l) => l.name.toLowerCase() === String(name).toLowerCase()) || null;
  }

  ensureLabel(repo, name, color = 'ededed', description = null) {
    let label = this.findLabel(repo, name);
    if (!label) {
      label = { id: this.id(), name, color, description, default: false };
      repo.labels.push(label);
    }
    return label;
  }

  // A fork's branch is not in our bare repo, whatever its name.
  headSha(repo, pr) {
    return (repo.bare && !pr.headRepo && gitrepo.revParse(repo.bare, pr.head)) || pr.fixedSha;
  }

  // The repository the PR's head lives in, and its owner.
  static headRepo(repo, pr) { return pr.headRepo || repo.full_name; }
  static headOwner(repo, pr) { return State.headRepo(repo, pr).split('/')[0]; }

  addForkPr(repo, { title, body = '', head, base, head_repo, user = 'mallory' }) {
    const i = this.addIssue(repo, { title, body, user });
    i.pr = {
      head, base: base || repo.default_branch, headRepo: head_repo, draft: false, merged: false,
      merged_at: null, merge_commit_sha: null, node_id: `PR_kw${i.id}`,
      fixedSha: crypto.randomBytes(20).toString('hex'),
    };
    return i;
  }

  // A file of the repo: from its bare repository when it has one (so a
  // test sees real commits on the branch), else from memory.
  getFile(repo, path, ref) {
    if (repo.bare) return gitrepo.readFile(repo.bare, ref || repo.default_branch, path);
    return repo.contents.get(path) || null;
  }

  // -> { sha, commit } | { error }
  putFile(repo, path, data, message, branch, user) {
    const br = branch || repo.default_branch;
    let commit;
    let sha = State.blobSha(data);
    if (repo.bare) {
      const w = gitrepo.writeFile(repo.bare, br, path, data, `${message}\n`);
      if (w.error) return w;
      commit = w.commit;
      sha = w.blob;
    } else {
      commit = crypto.randomBytes(20).toString('hex');
    }
    repo.contents.set(path, { data, sha });
    repo.commits.push({ sha: commit, message, path, branch: br, user });
    return { sha, commit };
  }

  // The blob sha git would give these bytes: what GitHub calls a file's sha.
  static blobSha(buf) {
    return crypto.createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex');
  }

  violation(req, problems) {
    for (const p of problems) this.violations.push({ method: req.method, path: req.url, problem: p });
  }

  // The first injection matching this request, consumed.
  takeInjection(method, pathname) {
    const i = this.injections.findIndex((x) => new RegExp(x.path).test(pathname) &&
      (!x.method || x.method.toUpperCase() === method));
    if (i < 0) return null;
    const inj = this.injections[i];
    if (--inj.count <= 0) this.injections.splice(i, 1);
    return inj;
  }

  snapshot() {
    const repos = {};
    for (const r of this.repos.values()) {
      repos[r.full_name] = {
        default_branch: r.default_branch,
        labels: r.labels,
        issues: [...r.issues.values()].map((i) => ({ ...i, labels: i.labels.map((l) => l.name) })),
        comments: r.comments, reviews: r.reviews, merges: r.merges, commits: r.commits,
        contents: Object.fromEntries([...r.contents].map(([p, f]) => [p, { sha: f.sha, content: f.data.toString('utf8') }])),
        secrets: Object.fromEntries(r.secrets),
      };
    }
    return { repos, violations: this.violations, requests: this.requests };
  }
}

module.exports = { State };
