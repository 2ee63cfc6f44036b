#!/usr/bin/env node
// Evaluate the `runs-on:` expression of a workflow for an event, the way
// the Actions expression engine does for the few functions it uses:
//   gha-expr.js WORKFLOW.yml EVENT.json  -> prints the labels as JSON.
// GitHub's `||` returns the first truthy operand and its string literals
// are single-quoted, exactly as in JavaScript, so the expression is run
// as written with fromJSON/format bound to their Actions meanings.
"use strict";
const fs = require("node:fs");

const [wf, eventFile] = process.argv.slice(2);
const text = fs.readFileSync(wf, "utf8");
const m = text.match(/^\s+runs-on:\s*\$\{\{(.*)\}\}\s*$/m);
if (!m) {
  process.stderr.write(`gha-expr.js: no runs-on expression in ${wf}\n`);
  process.exit(2);
}
const github = { event: JSON.parse(fs.readFileSync(eventFile, "utf8")) };
const fromJSON = (s) => JSON.parse(s);
const format = (f, ...args) =>
  f.replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)] ?? ""));
const evaluate = new Function("github", "fromJSON", "format", `return (${m[1]});`);
process.stdout.write(JSON.stringify(evaluate(github, fromJSON, format)) + "\n");
