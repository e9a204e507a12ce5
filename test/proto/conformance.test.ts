/**
 * The .proto files under proto/ are our own transcription of the JET wire facts.
 * This suite compares every service, method, message, field and enum value with
 * the facts (copied into test/fixtures/jet-wire), so a wrong number, type,
 * label or oneof fails here before it can fail against a router.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';

interface FactField {
  name: string;
  number: number;
  type: string;
  repeated?: boolean;
  oneof?: string;
  deprecated?: boolean;
}
interface FactMethod {
  name: string;
  path: string;
  request: string;
  response: string;
  clientStreaming: boolean;
  serverStreaming: boolean;
}
interface Facts {
  files: Record<string, { packages: string[] }>;
  services: Record<string, { methods: FactMethod[] }>;
  messages: Record<string, { file?: string; fields: FactField[] }>;
  enums: Record<string, { file?: string; values: Array<{ name: string; number: number }> }>;
}

const root = path.resolve(import.meta.dirname, '../..');
const SCALARS = new Set([
  'double',
  'float',
  'int32',
  'int64',
  'uint32',
  'uint64',
  'sint32',
  'sint64',
  'fixed32',
  'fixed64',
  'sfixed32',
  'sfixed64',
  'bool',
  'string',
  'bytes',
]);

function loadDialect(dialect: 'legacy' | 'jnx'): { facts: Facts; proto: protobuf.Root; dir: string } {
  const facts = JSON.parse(readFileSync(path.join(root, 'test/fixtures/jet-wire', `${dialect}.json`), 'utf8')) as Facts;
  const dir = path.join(root, 'proto', dialect);
  const proto = new protobuf.Root();
  proto.resolvePath = (_origin, target) =>
    path.isAbsolute(target) || target.startsWith('google/') ? target : path.join(dir, target);
  proto.loadSync(
    readdirSync(dir)
      .filter((f) => f.endsWith('.proto'))
      .map((f) => path.join(dir, f)),
    { keepCase: true },
  );
  proto.resolveAll();
  return { facts, proto, dir };
}

/** The value, or a failure naming what the .proto files lack. */
function must<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`missing ${what}`);
  return value;
}

/** Fully qualified name of a resolved field type, as the facts spell it. */
function typeName(field: protobuf.Field): string {
  if (SCALARS.has(field.type)) return field.type;
  return must(field.resolvedType, `resolved type of ${field.name}`).fullName.replace(/^\./, '');
}

describe.each(['legacy', 'jnx'] as const)('%s .proto files match the JET wire facts', (dialect) => {
  const { facts, proto, dir } = loadDialect(dialect);

  it('keeps the original file names and packages', () => {
    expect(
      readdirSync(dir)
        .filter((f) => f.endsWith('.proto'))
        .sort(),
    ).toEqual(Object.keys(facts.files).sort());
    for (const [file, { packages }] of Object.entries(facts.files)) {
      const text = readFileSync(path.join(dir, file), 'utf8');
      const pkg = must(packages[0], `package of ${file} in the facts`);
      expect(text, file).toMatch(new RegExp(`^package ${pkg.replace(/\./g, '\\.')};$`, 'm'));
    }
  });

  it.each(Object.keys(facts.services))('service %s has every method with its path, types and streaming', (name) => {
    const service = proto.lookupService(name);
    const expected = must(facts.services[name], `service ${name} in the facts`).methods;
    expect(Object.keys(service.methods).sort()).toEqual(expected.map((m) => m.name).sort());
    for (const m of expected) {
      const method = must(service.methods[m.name], `method ${name}.${m.name}`);
      method.resolve();
      expect(`/${service.fullName.slice(1)}/${method.name}`).toBe(m.path);
      expect(must(method.resolvedRequestType, `request type of ${m.name}`).fullName.slice(1)).toBe(m.request);
      expect(must(method.resolvedResponseType, `response type of ${m.name}`).fullName.slice(1)).toBe(m.response);
      expect(!!method.requestStream, m.name).toBe(m.clientStreaming);
      expect(!!method.responseStream, m.name).toBe(m.serverStreaming);
    }
  });

  it.each(Object.keys(facts.messages))('message %s has exactly the facts’ fields', (name) => {
    const type = proto.lookupType(name);
    const expected = must(facts.messages[name], `message ${name} in the facts`).fields;
    expect(type.fieldsArray.map((f) => f.name).sort()).toEqual(expected.map((f) => f.name).sort());
    for (const f of expected) {
      const field = must(type.fields[f.name], `field ${name}.${f.name}`);
      expect({
        name: f.name,
        number: field.id,
        type: typeName(field),
        repeated: field.repeated,
        oneof: field.partOf?.name,
        deprecated: field.options?.deprecated === true,
      }).toEqual({
        name: f.name,
        number: f.number,
        type: f.type,
        repeated: !!f.repeated,
        oneof: f.oneof,
        deprecated: !!f.deprecated,
      });
    }
  });

  it.each(Object.keys(facts.enums))('enum %s has exactly the facts’ values', (name) => {
    const e = proto.lookupEnum(name);
    expect(Object.entries(e.values).map(([n, v]) => ({ name: n, number: v }))).toEqual(
      must(facts.enums[name], `enum ${name} in the facts`).values,
    );
  });

  it('declares no message or enum that the facts lack', () => {
    const declared: string[] = [];
    const walk = (ns: protobuf.NamespaceBase) => {
      for (const child of ns.nestedArray) {
        if (child instanceof protobuf.Type || child instanceof protobuf.Enum) declared.push(child.fullName.slice(1));
        if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) walk(child);
      }
    };
    walk(proto);
    const known = new Set([...Object.keys(facts.messages), ...Object.keys(facts.enums)]);
    expect(declared.filter((n) => !known.has(n) && !n.startsWith('google.'))).toEqual([]);
  });
});
