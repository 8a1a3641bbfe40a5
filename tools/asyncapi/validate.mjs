// Validate an AsyncAPI document with the reference parser (@asyncapi/parser: JSON Schema of the
// spec, Spectral rules, $ref resolution), then check every message example against its message's
// payload and headers schemas with Ajv (the parser does not do that for AsyncAPI 3).
//
//   node tools/asyncapi/validate.mjs schemas/asyncapi.yaml [schemas/json]
//
// With a second argument, also compiles every JSON Schema listed in <dir>/index.json (draft
// 2020-12, Ajv strict mode) and validates <dir>/../samples/<same file name> against it.
//
// Prints every diagnostic; exits 1 if any has severity "error", if an example or sample does not
// match its schemas, or if a file cannot be read.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { DiagnosticSeverity, Parser } from "@asyncapi/parser";
import Ajv from "ajv";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const SEVERITY = {
  [DiagnosticSeverity.Error]: "error",
  [DiagnosticSeverity.Warning]: "warning",
  [DiagnosticSeverity.Information]: "info",
  [DiagnosticSeverity.Hint]: "hint",
};

async function main(file, jsonDir) {
  if (!file) {
    console.error("usage: node validate.mjs <asyncapi.yaml>");
    return 2;
  }
  const source = path.resolve(file);
  const text = await readFile(source, "utf8");
  const { document, diagnostics } = await new Parser().parse(text, { source });
  for (const d of diagnostics) {
    const where = d.path.length ? d.path.join(".") : "(document)";
    const line = d.range ? `:${d.range.start.line + 1}` : "";
    console.log(`${SEVERITY[d.severity] ?? d.severity} ${d.code} ${file}${line} ${where}: ${d.message}`);
  }
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).length;
  const warnings = diagnostics.length - errors;
  if (errors || !document) {
    console.log(`${file}: INVALID, ${errors} error(s), ${warnings} other diagnostic(s)`);
    return 1;
  }
  const problems = checkExamples(document, file);
  if (jsonDir) problems.push(...(await checkJsonSchemas(jsonDir)));
  for (const problem of problems) console.log(`error ${problem}`);
  if (problems.length) {
    console.log(`${file}: INVALID, ${problems.length} example(s)/sample(s) do not match their schemas`);
    return 1;
  }
  const info = document.info();
  console.log(
    `${file}: valid AsyncAPI ${document.version()} "${info.title()}" ${info.version()}: ` +
      `${document.channels().length} channels, ${document.operations().length} operations, ` +
      `${document.messages().length} messages; ${warnings} warning/info diagnostic(s)`,
  );
  return 0;
}

// Message examples against the (resolved) payload and headers schemas of their message.
function checkExamples(document, file) {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const errors = [];
  let checked = 0;
  for (const message of document.allMessages()) {
    for (const example of message.examples()) {
      const parts = [
        ["payload", message.payload(), example.payload()],
        ["headers", message.headers(), example.headers()],
      ];
      for (const [part, schema, value] of parts) {
        if (!schema || value === undefined) continue;
        checked += 1;
        const validate = ajv.compile(schema.json());
        if (!validate(value)) {
          const why = ajv.errorsText(validate.errors, { dataVar: part });
          errors.push(`${file}: message ${message.id()} example ${example.name() ?? ""}: ${why}`);
        }
      }
    }
  }
  if (!errors.length) console.log(`checked ${checked} example payloads/headers against their schemas`);
  return errors;
}

// The standalone JSON Schema files, and the current-version samples against them.
async function checkJsonSchemas(dir) {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  addFormats(ajv);
  // pydantic marks tagged unions with OpenAPI's discriminator; for JSON Schema it is an annotation
  ajv.addKeyword("discriminator");
  const readJson = async (p) => JSON.parse(await readFile(p, "utf8"));
  const index = await readJson(path.join(dir, "index.json"));
  const errors = [];
  for (const { file } of index.events) {
    const validate = ajv.compile(await readJson(path.join(dir, file)));
    const sample = await readJson(path.join(dir, "..", "samples", file));
    if (!validate(sample)) errors.push(`${path.join(dir, "..", "samples", file)}: ${ajv.errorsText(validate.errors)}`);
  }
  if (!errors.length) console.log(`compiled ${index.events.length} JSON Schemas; samples match`);
  return errors;
}

main(process.argv[2], process.argv[3]).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
