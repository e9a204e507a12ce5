/**
 * A throwaway certificate authority for TLS tests: a CA, a server certificate
 * that names `localhost` only (so connecting by address fails the host name
 * check) and a client certificate, both signed by the CA (selfsigned, EC keys:
 * fast to generate on a loaded machine).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface TestPki {
  ca: string;
  server: { cert: string; key: string };
  client: { cert: string; key: string };
}

export async function makePki(clientName = 'jet-test-client'): Promise<TestPki> {
  const base = { keyType: 'ec' as const, algorithm: 'sha256' };
  const ca = await generate([{ name: 'commonName', value: 'jetbridge test CA' }], {
    ...base,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const signer = { ca: { key: ca.private, cert: ca.cert } };
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    ...base,
    ...signer,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] },
    ],
  });
  const client = await generate([{ name: 'commonName', value: clientName }], { ...base, ...signer });
  return {
    ca: ca.cert,
    server: { cert: server.cert, key: server.private },
    client: { cert: client.cert, key: client.private },
  };
}

/** The PKI as PEM files in `dir`: ca.pem, server.pem, server.key, client.pem, client.key. */
export async function writePki(dir: string, pki: TestPki): Promise<void> {
  await writeFile(join(dir, 'ca.pem'), pki.ca);
  await writeFile(join(dir, 'server.pem'), pki.server.cert);
  await writeFile(join(dir, 'server.key'), pki.server.key);
  await writeFile(join(dir, 'client.pem'), pki.client.cert);
  await writeFile(join(dir, 'client.key'), pki.client.key);
}
