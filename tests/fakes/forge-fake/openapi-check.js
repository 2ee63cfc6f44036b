'use strict';
// Checks a request against GitHub's published OpenAPI description
// (@octokit/openapi): the path must exist, the method must be defined for
// it, query parameters must be declared, and the JSON body must satisfy
// the operation's schema (required fields, types, enums, no undeclared
// properties -- GitHub ignores those, so sending one means our client
// believes in a field that does nothing, e.g. `draft` on PATCH pulls).
const fs = require('fs');
const path = require('path');

const SPEC = path.join(__dirname, '..', '..', 'node_modules', '@octokit', 'openapi',
  'generated', 'api.github.com.json');

let spec = null;
let routes = null;

function load() {
  if (spec) return;
  spec = JSON.parse(fs.readFileSync(SPEC, 'utf8'));
  routes = Object.keys(spec.paths).map((tmpl) => {
    const segs = tmpl.split('/').slice(1);
    const re = new RegExp('^/' + segs.map((s) => (s === '{path}' ? '.+' : s.startsWith('{') ? '[^/]+' : escape(s)))
      .join('/') + '$');
    // literal segments first: /actions/secrets/public-key beats {secret_name}
    return { tmpl, re, literals: segs.filter((s) => !s.startsWith('{')).length };
  });
  routes.sort((a, b) => b.literals - a.literals);
}

function escape(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function deref(node) {
  let n = node;
  for (let guard = 0; n && n.$ref && guard < 20; guard++) {
    n = n.$ref.replace(/^#\//, '').split('/').reduce((o, k) => o[k], spec);
  }
  return n;
}

function typeOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (Number.isInteger(v)) return 'integer';
  return typeof v;
}

function typeOk(want, got) {
  const wants = Array.isArray(want) ? want : [want];
  return wants.some((w) => w === got || (w === 'number' && got === 'integer'));
}

// Returns a list of problems ("body.comments[0]: missing required 'path'").
function validate(schemaIn, value, where, depth = 0) {
  const schema = deref(schemaIn);
  if (!schema || depth > 12) return [];
  const alts = schema.oneOf || schema.anyOf;
  if (alts) {
    const results = alts.map((s) => validate(s, value, where, depth + 1));
    if (results.some((r) => r.length === 0)) return [];
    return [`${where}: matches none of the allowed shapes (${results.map((r) => r[0]).join('; ')})`];
  }
  if (schema.allOf) return schema.allOf.flatMap((s) => validate(s, value, where, depth + 1));
  const got = typeOf(value);
  if (value === null && schema.nullable) return [];
  if (schema.type && !typeOk(schema.type, got)) return [`${where}: expected ${schema.type}, got ${got}`];
  if (schema.enum && !schema.enum.includes(value)) {
    return [`${where}: '${value}' is not one of ${schema.enum.join(', ')}`];
  }
  const problems = [];
  if (got === 'object' && (schema.properties || schema.required)) {
    for (const req of schema.required || []) {
      if (!(req in value)) problems.push(`${where}: missing required '${req}'`);
    }
    for (const [k, v] of Object.entries(value)) {
      const prop = schema.properties && schema.properties[k];
      if (prop) problems.push(...validate(prop, v, `${where}.${k}`, depth + 1));
      else if (schema.properties && schema.additionalProperties === undefined) {
        problems.push(`${where}: '${k}' is not a field of this operation`);
      }
    }
  }
  if (got === 'array' && schema.items) {
    value.forEach((item, i) => problems.push(...validate(schema.items, item, `${where}[${i}]`, depth + 1)));
  }
  return problems;
}

// Check one request. Returns { template, problems: [] } or { template: null, problems }.
function check(method, pathname, query, body, hasBody) {
  load();
  const route = routes.find((r) => r.re.test(pathname));
  if (!route) return { template: null, problems: [`unknown path ${pathname}`] };
  const item = spec.paths[route.tmpl];
  const op = item[method.toLowerCase()];
  if (!op) return { template: route.tmpl, problems: [`${method} is not defined for ${route.tmpl}`] };
  const problems = [];
  const params = (op.parameters || []).concat(item.parameters || []).map(deref);
  const declared = new Set(params.filter((p) => p.in === 'query').map((p) => p.name));
  for (const [name, value] of query) {
    if (!declared.has(name)) problems.push(`query parameter '${name}' is not declared for ${method} ${route.tmpl}`);
    const p = params.find((x) => x.in === 'query' && x.name === name);
    if (p && p.schema) problems.push(...validate(p.schema, coerce(p.schema, value), `query.${name}`));
  }
  const rb = deref(op.requestBody);
  if (rb) {
    const media = rb.content && (rb.content['application/json'] || Object.values(rb.content)[0]);
    if (!hasBody) {
      if (rb.required) problems.push(`${method} ${route.tmpl} needs a JSON body`);
    } else if (body === undefined) {
      problems.push('body is not valid JSON');
    } else if (media && media.schema) {
      problems.push(...validate(media.schema, body, 'body'));
    }
  } else if (hasBody && body !== undefined && Object.keys(body || {}).length > 0) {
    problems.push(`${method} ${route.tmpl} takes no body`);
  }
  return { template: route.tmpl, problems };
}

function coerce(schema, value) {
  const s = deref(schema);
  if (s && (s.type === 'integer' || s.type === 'number') && /^-?\d+$/.test(value)) return Number(value);
  if (s && s.type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

module.exports = { check, validate, load };
