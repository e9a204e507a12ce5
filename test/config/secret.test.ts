import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { format, inspect } from 'node:util';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { REDACTED, resolveSecret, Secret } from '../../src/config/secret.js';

const TEXT = 'hunter2-secret';

describe('Secret', () => {
  const secret = new Secret(TEXT);

  it('gives its text only through .value', () => {
    expect(secret.value).toBe(TEXT);
  });

  it('is redacted as a string, in JSON and when inspected', () => {
    expect(String(secret)).toBe(REDACTED);
    expect(`${secret}`).toBe(REDACTED);
    expect(JSON.stringify({ password: secret })).toBe('{"password":"[redacted]"}');
    expect(inspect(secret)).toBe(REDACTED);
    expect(inspect({ deep: { password: secret } }, { showHidden: true, depth: null })).not.toContain(TEXT);
    expect(format('%s %o %O %j', secret, secret, secret, secret)).not.toContain(TEXT);
    expect(Object.keys(secret)).toEqual([]);
  });

  it('stays out of error messages built from it', () => {
    expect(new Error(`login failed with ${secret}`).message).toBe('login failed with [redacted]');
  });

  it('stays out of pino log lines', () => {
    let output = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        output += chunk.toString();
        done();
      },
    });
    const log = pino({}, sink);
    log.info({ device: { password: secret } }, 'connecting');
    log.info('password is %s', secret);
    expect(output).toContain('[redacted]');
    expect(output).not.toContain(TEXT);
  });
});

describe('resolveSecret', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jetbridge-secret-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a literal string as is', () => {
    expect(resolveSecret('jet', {}, dir).value).toBe('jet');
    expect(resolveSecret('pre${X}', { X: 'no' }, dir).value).toBe('pre${X}');
  });

  it('reads "${NAME}" from the environment', () => {
    expect(resolveSecret('${JET_PW}', { JET_PW: TEXT }, dir).value).toBe(TEXT);
    expect(resolveSecret('${JET_PW}', { JET_PW: '' }, dir).value).toBe('');
    expect(() => resolveSecret('${JET_PW}', {}, dir)).toThrow('environment variable JET_PW is not set');
  });

  it('reads {"file": path} relative to the base folder, trimming one trailing newline', () => {
    writeFileSync(path.join(dir, 'pw.txt'), `${TEXT}\n`);
    writeFileSync(path.join(dir, 'pw-crlf.txt'), `${TEXT}\r\n`);
    expect(resolveSecret({ file: 'pw.txt' }, {}, dir).value).toBe(TEXT);
    expect(resolveSecret({ file: path.join(dir, 'pw-crlf.txt') }, {}, '/elsewhere').value).toBe(TEXT);
  });

  it('names an unreadable file without reading anything into the message', () => {
    expect(() => resolveSecret({ file: 'missing.txt' }, {}, dir)).toThrow(
      `cannot read secret file ${path.join(dir, 'missing.txt')} (ENOENT)`,
    );
  });

  it('refuses other shapes without echoing the value', () => {
    for (const spec of [12345, null, ['a'], { file: '' }, { file: 'pw.txt', extra: TEXT }, { path: TEXT }]) {
      expect(() => resolveSecret(spec, {}, dir)).toThrow('expected a string, "${ENV_NAME}" or {"file": "path"}');
    }
  });

  it('passes a Secret through', () => {
    const secret = new Secret(TEXT);
    expect(resolveSecret(secret, {}, dir)).toBe(secret);
  });
});
