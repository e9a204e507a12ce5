/**
 * Routes files for `jetbridge apply`: the 2018 JET demo apps' TOML, read as-is,
 * or a JSON intent list.
 *
 * TOML (the demo apps' bgp_static_routes format):
 *
 *   [basics]                       # attributes every route gets
 *   localPref  = 200
 *   routePref  = 10
 *   asPathStr  = ""                # "" means none, as in the demo file
 *   originator = "10.255.255.3"
 *   cluster    = "10.255.255.7"
 *
 *   [[route]]
 *   prefix   = "10.123.0.0"
 *   length   = 24
 *   nexthops = ["10.0.0.1", "10.0.0.2"]
 *
 * Beyond the demo apps: a `[[route]]` may set any `[basics]` key for itself,
 * either may set `table`, and `prefix` may carry its length ("10.123.0.0/24")
 * instead of a `length` key.
 *
 * FlowSpec routes are `[[flowspec]]` tables: the match fields of a FlowSpec
 * intent at the top, its actions in `then`, and optionally `id` and `table`:
 *
 *   [[flowspec]]
 *   destination      = "203.0.113.0/24"
 *   protocols        = ["udp"]
 *   destinationPorts = [53]
 *   then             = { rateLimit = 1000000 }
 *
 * JSON: exactly an MQTT intent payload (one intent, an array, or
 * `{"intents": [...]}`), without the per-message size and count limits.
 *
 * Every route becomes an intent through parseIntentPayload, so a file is held
 * to the rules a published intent is; errors name the route and the file's own
 * field (`route[2].nexthops[1]`, or `basics.localPref` for an inherited value).
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { z } from 'zod';
import { destinationKey } from '../jet/model.js';
import { DEFAULT_INTENT_LIMITS, type Intent, type IntentLimits } from './intent.js';
import { issueLines, issueMessage } from './issues.js';
import { parseIntentPayload } from './parse.js';

/** A file is not one MQTT message: its size and intent count are not bounded; each intent still is. */
const FILE_LIMITS: Readonly<IntentLimits> = Object.freeze({
  ...DEFAULT_INTENT_LIMITS,
  maxPayloadBytes: Number.POSITIVE_INFINITY,
  maxIntentsPerMessage: Number.POSITIVE_INFINITY,
});

/** Problems listed in one error before the rest are counted, so a broken file gives a readable message. */
const MAX_LISTED_PROBLEMS = 20;

/** A routes file that cannot be used, with one line per problem. */
export class RoutesFileError extends Error {
  override readonly name = 'RoutesFileError';
  constructor(
    readonly path: string,
    readonly problems: readonly string[],
  ) {
    const listed = problems
      .slice(0, MAX_LISTED_PROBLEMS)
      .map((p) => `\n  ${p}`)
      .join('');
    const more = problems.length - MAX_LISTED_PROBLEMS;
    super(
      `${path}: ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:${listed}` +
        (more > 0 ? `\n  and ${more} more` : ''),
    );
  }
}

/** Attribute keys a `[basics]` table sets for every route and a `[[route]]` may set for itself. */
const sharedFields = {
  localPref: z.int().optional(),
  routePref: z.int().optional(),
  asPathStr: z.string().optional(),
  originator: z.string().optional(),
  cluster: z.string().optional(),
  table: z.string().optional(),
};
type SharedField = keyof typeof sharedFields;

const tomlRoutesSchema = z
  .strictObject({
    basics: z.strictObject(sharedFields).optional(),
    route: z
      .array(
        z.strictObject({
          prefix: z.string(),
          length: z.int().min(0).optional(),
          nexthops: z.array(z.string()).optional(),
          ...sharedFields,
        }),
      )
      .optional(),
    // Checked as FlowSpec intents are, field by field, once turned into one.
    flowspec: z.array(z.record(z.string(), z.unknown())).optional(),
  })
  .refine((file) => (file.route?.length ?? 0) + (file.flowspec?.length ?? 0) > 0, {
    error: 'has no entries: add at least one [[route]] or [[flowspec]] table',
    path: ['route'],
  });
type TomlRoutes = z.output<typeof tomlRoutesSchema>;
type TomlRoute = NonNullable<TomlRoutes['route']>[number];
type Basics = NonNullable<TomlRoutes['basics']>;

type FileField = SharedField | 'prefix' | 'nexthops';

/** The file's key for each intent field, to name problems in the file's own words. */
const FILE_FIELD: Readonly<Partial<Record<string, FileField>>> = {
  prefix: 'prefix',
  nextHops: 'nexthops',
  table: 'table',
  localPref: 'localPref',
  routePref: 'routePref',
  asPath: 'asPathStr',
  originatorId: 'originator',
  clusterList: 'cluster',
};

/** The intent payload object for one route, and which table (route or basics) gave each field. */
function routeToIntentObject(
  route: TomlRoute,
  basics: Basics,
  index: number,
): { intent: Record<string, unknown>; source: (fileField: FileField) => string } | { problem: string } {
  const where = `route[${index}]`;
  let prefix = route.prefix;
  if (route.length !== undefined) {
    if (prefix.includes('/')) {
      return { problem: `${where}.length: not allowed when prefix ${JSON.stringify(prefix)} already has a length` };
    }
    prefix = `${prefix}/${route.length}`;
  } else if (!prefix.includes('/')) {
    return { problem: `${where}.length: is required (or write the prefix as address/length)` };
  }

  const pick = <K extends SharedField>(key: K): Basics[K] => (route[key] !== undefined ? route[key] : basics[key]);
  // "" is how the demo file says "no AS path" (and no originator or cluster).
  const text = (key: 'asPathStr' | 'originator' | 'cluster') => {
    const value = pick(key);
    return value === '' ? undefined : value;
  };
  const cluster = text('cluster');
  const intent = {
    prefix,
    table: pick('table'),
    nextHops: route.nexthops,
    localPref: pick('localPref'),
    routePref: pick('routePref'),
    asPath: text('asPathStr'),
    originatorId: text('originator'),
    clusterList: cluster === undefined ? undefined : [cluster],
  };
  const source = (fileField: FileField): string => {
    const fromRoute = fileField === 'prefix' || fileField === 'nexthops' || route[fileField] !== undefined;
    return `${fromRoute ? where : 'basics'}.${fileField}`;
  };
  return { intent, source };
}

const LEADING_FIELD = /^([A-Za-z]+)((?:\[\d+\])?)/;

/**
 * Renames the leading intent field of each problem line to the file's key:
 * `nextHops[1]: ...` → `route[2].nexthops[1]: ...`, `clusterList[0]: ...` →
 * `basics.cluster: ...` (cluster is one address in the file, a list in the intent).
 */
function inFileTerms(error: string, source: (fileField: FileField) => string): string {
  return error
    .split('; ')
    .map((line) =>
      line.replace(LEADING_FIELD, (whole, field: string, index: string) => {
        const fileField = FILE_FIELD[field];
        if (fileField === undefined) return whole;
        return `${source(fileField)}${fileField === 'cluster' ? '' : index}`;
      }),
    )
    .join('; ');
}

/** Validated intents from the TOML text, or every problem found. */
function intentsFromToml(text: string): { intents: Intent[]; problems: string[] } {
  let document: unknown;
  try {
    document = parseToml(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    // smol-toml's message is "Invalid TOML document: <why>" followed by a code excerpt.
    const why = (error.message.split('\n', 1)[0] ?? '').replace(/^Invalid TOML document: /, '');
    return { intents: [], problems: [`not valid TOML at line ${error.line}, column ${error.column}: ${why}`] };
  }
  const shape = tomlRoutesSchema.safeParse(document, { error: issueMessage });
  if (!shape.success) return { intents: [], problems: issueLines(shape.error.issues) };

  const { basics = {}, route: routes = [], flowspec: flows = [] } = shape.data;
  const intents: Intent[] = [];
  const problems: string[] = [];
  const firstIndexOf = new Map<string, number>();
  routes.forEach((route, index) => {
    const built = routeToIntentObject(route, basics, index);
    if ('problem' in built) {
      problems.push(built.problem);
      return;
    }
    const parsed = parseIntentPayload(JSON.stringify(built.intent));
    // One intent object in, so exactly one entry out.
    const entry = parsed.ok ? parsed.entries[0]! : { error: parsed.error };
    if ('error' in entry) {
      problems.push(inFileTerms(entry.error, built.source));
      return;
    }
    const { intent } = entry;
    const key = destinationKey(intent);
    const first = firstIndexOf.get(key);
    if (first !== undefined) {
      problems.push(`route[${index}]: repeats route[${first}] (${intent.prefix}/${intent.length} in ${intent.table})`);
      return;
    }
    firstIndexOf.set(key, index);
    intents.push(intent);
  });
  flows.forEach((flow, index) => {
    const entry = flowEntry(flow, index);
    if ('error' in entry) problems.push(entry.error);
    else intents.push(entry.intent);
  });
  return { intents, problems };
}

/** One `[[flowspec]]` table as a FlowSpec intent; problems are named `flowspec[i].field`. */
function flowEntry(flow: Record<string, unknown>, index: number): { intent: Intent } | { error: string } {
  const { id, table, then, action, ...match } = flow;
  const parsed = parseIntentPayload(JSON.stringify([{ id, table, action, flowspec: match, then }]));
  const entry = parsed.ok ? parsed.entries[0] : undefined;
  if (entry === undefined) return { error: `flowspec[${index}]: ${parsed.ok ? 'no intent' : parsed.error}` };
  if ('error' in entry) {
    return {
      error: entry.error
        .replaceAll('intents[0].flowspec.', `flowspec[${index}].`)
        .replaceAll('intents[0]', `flowspec[${index}]`),
    };
  }
  return { intent: entry.intent };
}

/** Validated intents from the JSON text, or every problem found. */
function intentsFromJson(text: string): { intents: Intent[]; problems: string[] } {
  const parsed = parseIntentPayload(text, FILE_LIMITS);
  if (!parsed.ok) return { intents: [], problems: [parsed.error] };
  const intents: Intent[] = [];
  const problems: string[] = [];
  for (const entry of parsed.entries) {
    if ('error' in entry) problems.push(entry.error);
    else intents.push(entry.intent);
  }
  return { intents, problems };
}

/**
 * Reads a routes file (`.toml` in the demo apps' format, or `.json` intents)
 * into validated intents, in file order. Throws RoutesFileError listing every
 * problem, or the file system's error when the file cannot be read.
 */
export function readRoutesFile(path: string): Intent[] {
  const extension = extname(path).toLowerCase();
  if (extension !== '.toml' && extension !== '.json') {
    throw new RoutesFileError(path, [`unknown routes file type ${JSON.stringify(extension)}: use .toml or .json`]);
  }
  const text = readFileSync(path, 'utf8');
  const { intents, problems } = extension === '.toml' ? intentsFromToml(text) : intentsFromJson(text);
  // An invalid [basics] value fails every route with the same line; say it once.
  if (problems.length > 0) throw new RoutesFileError(path, [...new Set(problems)]);
  return intents;
}
