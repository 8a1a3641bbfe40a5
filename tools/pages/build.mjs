// Builds the pages' assets into services/projections/entrypoints/pages/assets/ (or argv[2]):
// remit.css (GOV.UK Frontend compiled with Remit's settings and additions, remit.scss) and
// govuk-frontend.min.js (progressive enhancement only: every page works without it).
// Nothing is fetched at run time; the pages app serves this folder at /assets.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? join(here, "../../services/projections/entrypoints/pages/assets"));
const govuk = join(here, "node_modules/govuk-frontend/dist/govuk");

mkdirSync(out, { recursive: true });
const css = sass.compile(join(here, "remit.scss"), {
  loadPaths: [join(here, "node_modules")],
  style: "compressed",
  quietDeps: true,
});
writeFileSync(join(out, "remit.css"), css.css);
copyFileSync(join(govuk, "govuk-frontend.min.js"), join(out, "govuk-frontend.min.js"));
writeFileSync(
  join(out, "init.mjs"),
  'import { initAll } from "./govuk-frontend.min.js";\ninitAll();\n',
);
// Remit's own icon (the GOV.UK icons carry the crown, which is for GOV.UK only).
writeFileSync(
  join(out, "favicon.svg"),
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" ' +
    'rx="4" fill="#1d70b8"/><text x="16" y="23" font-family="arial, sans-serif" ' +
    'font-size="20" font-weight="bold" fill="#ffffff" text-anchor="middle">R</text></svg>\n',
);
const version = JSON.parse(
  readFileSync(join(here, "node_modules/govuk-frontend/package.json"), "utf8"),
).version;
writeFileSync(join(out, "VERSION"), `govuk-frontend ${version}\n`);
console.log(`pages assets (govuk-frontend ${version}) -> ${out}`);
