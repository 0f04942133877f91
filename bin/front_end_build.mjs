// Copy the front-end files named in package.json's "static" map (static path: file in
// node_modules) into build/static/, which Django serves at /static/ (settings.py).
// The folder is made anew each time, so a file dropped from the map is gone too.
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "build", "static");
const { static: files } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

rmSync(out, { recursive: true, force: true });
for (const [target, source] of Object.entries(files)) {
  const destination = join(out, target);
  mkdirSync(dirname(destination), { recursive: true });
  copyFileSync(join(root, "node_modules", source), destination);
}
console.log(`front-end: ${Object.keys(files).length} files in ${out}`);
