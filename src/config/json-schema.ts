/**
 * The JSON Schema of bridge.config.json, generated from the zod schema the
 * bridge validates with, so editors check a config file as the bridge will.
 * It describes the file as written (zod's input side): secrets, values the
 * schema normalises and machine-dependent defaults take their written form
 * from `writtenForms`. Checks only code can make (host:port syntax, route
 * filters, cross-field rules) stay with `jetbridge validate`.
 */
import { z } from 'zod';
import { createConfigSchema, writtenForms } from './schema.js';

export const CONFIG_SCHEMA_FILE = 'bridge.config.schema.json';

type JsonSchema = z.core.JSONSchema.BaseSchema;

/** Replaces, in place, what zod generated for a field with the field's written form. */
function useWrittenForm(ctx: { zodSchema: z.core.$ZodType; jsonSchema: JsonSchema }): void {
  const written = writtenForms.get(ctx.zodSchema);
  if (written === undefined) return;
  for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
  Object.assign(ctx.jsonSchema, written.form);
}

/** The configuration's JSON Schema (draft 2020-12). The same on every machine. */
export function configJsonSchema(): JsonSchema {
  // Nothing is resolved while generating: the context only has to be the same everywhere.
  const schema = createConfigSchema({ env: {}, baseDir: '/', hostname: 'hostname' });
  const generated = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', override: useWrittenForm });
  return {
    $schema: generated.$schema,
    $id: `https://github.com/jetbridge/jetbridge/${CONFIG_SCHEMA_FILE}`,
    title: 'jetbridge configuration (bridge.config.json, or TOML with the same keys)',
    ...generated,
  };
}
