// Biome (formatter + linter) through its WebAssembly build. The native `@biomejs/biome` CLI
// installs a per-platform binary package, and a lockfile that names platforms the registry
// does not serve breaks `npm ci`; the wasm build is the same engine with no binary to fetch.
// Usage: node scripts/lint.ts [--write]   (--write formats files in place)
import { globSync, readFileSync, writeFileSync } from 'node:fs';
import { Biome } from '@biomejs/js-api/nodejs';

interface Diagnostic {
  category?: string;
  severity?: string;
  description?: string;
  location?: { span?: [number, number] | null };
}

const write = process.argv.includes('--write');
const config = JSON.parse(readFileSync('biome.json', 'utf8'));
delete config.$schema;
const includes: string[] = config.files.includes;
delete config.files;

const biome = new Biome();
const { projectKey } = biome.openProject(process.cwd());
biome.applyConfiguration(projectKey, config);

// `!dir/**` entries leave out generated code (the compiled message catalogue).
const excluded = includes.filter((p) => p.startsWith('!')).map((p) => p.slice(1).replace(/\*\*$/, ''));
const files = includes
  .filter((pattern) => !pattern.startsWith('!'))
  .flatMap((pattern) => globSync(pattern.endsWith('/**') ? `${pattern}/*.{ts,tsx,js}` : pattern))
  .filter((f) => !f.includes('node_modules') && !excluded.some((dir) => f.startsWith(dir)))
  .sort();

let problems = 0;
for (const filePath of files) {
  const source = readFileSync(filePath, 'utf8');
  // --write also applies Biome's safe fixes (import order, …) before formatting.
  const fixed = write
    ? biome.lintContent(projectKey, source, { filePath, fixFileMode: 'safeFixes' }).content
    : source;
  const formatted = biome.formatContent(projectKey, fixed, { filePath }).content;
  if (formatted !== source) {
    if (write) writeFileSync(filePath, formatted);
    else {
      problems++;
      process.stdout.write(`${filePath}: not formatted (run npm run format)\n`);
    }
  }
  const { diagnostics } = biome.lintContent(projectKey, write ? formatted : source, { filePath });
  for (const d of diagnostics as Diagnostic[]) {
    problems++;
    const text = write ? formatted : source;
    const before = text.slice(0, d.location?.span?.[0] ?? 0).split('\n');
    const where = `${filePath}:${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
    process.stdout.write(`${where} ${d.severity ?? ''} ${d.category ?? ''}: ${d.description ?? ''}\n`);
  }
}
process.stdout.write(`${files.length} files checked, ${problems} problem(s)\n`);
process.exit(problems > 0 ? 1 : 0);
