/**
 * Reads the TLS files a config names for an MQTT connection at start-up, so a
 * missing or unreadable file (or a certificate that is not PEM) stops the bridge
 * with the setting's name instead of failing every reconnect later.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { MqttTlsOptions } from '../mqtt/client.js';
import { errorText, StartFailure } from './lifecycle.js';

export interface MqttTlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
  servername?: string;
}

function readTlsFile(setting: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new StartFailure('config', `${setting}: cannot read ${file}: ${errorText(error)}`, { cause: error });
  }
}

/** The file contents as MQTT.js takes them; `setting` names the config section in errors (`mqtt.tls`). */
export function readMqttTls(files: MqttTlsFiles, setting: string): MqttTlsOptions {
  const tls: MqttTlsOptions = {
    ...(files.ca && { ca: readTlsFile(`${setting}.ca`, files.ca) }),
    ...(files.cert && { cert: readTlsFile(`${setting}.cert`, files.cert) }),
    ...(files.key && { key: readTlsFile(`${setting}.key`, files.key) }),
    rejectUnauthorized: files.rejectUnauthorized,
    ...(files.servername && { servername: files.servername }),
  };
  try {
    createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key });
  } catch (error) {
    throw new StartFailure('config', `${setting}: the files are not a usable PEM set: ${errorText(error)}`, {
      cause: error,
    });
  }
  return tls;
}
