/**
 * Writes the committed contract documents that are generated from the code:
 * bridge.config.schema.json (the configuration's JSON Schema). CI runs it and
 * fails when the committed files differ (`npm run gen:contracts`).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_SCHEMA_FILE, configJsonSchema } from '../src/config/json-schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function writeJson(file: string, value: unknown): void {
  writeFileSync(path.join(root, file), `${JSON.stringify(value, null, 2)}\n`);
  process.stdout.write(`wrote ${file}\n`);
}

writeJson(CONFIG_SCHEMA_FILE, configJsonSchema());
