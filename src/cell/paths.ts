// Where a cell keeps its files under WEFT_HOME/cell. Instance directories are root-only (0700): an app
// sees its own credentials through a bind mount, never another instance's.
import path from 'node:path';

export class CellPaths {
  constructor(readonly root: string) {}

  instanceDir(guid: string): string {
    return path.join(this.root, 'instances', guid);
  }

  credentialsDir(guid: string): string {
    return path.join(this.instanceDir(guid), 'credentials');
  }

  instanceState(guid: string): string {
    return path.join(this.instanceDir(guid), 'state.json');
  }

  /** One file per app instance index, written by the app itself (see runtime/container.ts). */
  logFile(appGuid: string, index: number): string {
    return path.join(this.logDir(appGuid), `${index}.log`);
  }

  logDir(appGuid: string): string {
    return path.join(this.root, 'logs', appGuid);
  }

  get instancesDir(): string {
    return path.join(this.root, 'instances');
  }

  get trustBundle(): string {
    return path.join(this.root, 'trust', 'ca-certificates.crt');
  }

  get systemCertificates(): string {
    return path.join(this.root, 'trust', 'system-certificates');
  }

  /** The proxy's HAProxy files: configuration, keys, runtime socket. Emptied when the proxy starts. */
  get proxyDir(): string {
    return path.join(this.root, 'proxy');
  }

  get resolvConf(): string {
    return path.join(this.root, 'resolv.conf');
  }

  get lastWorld(): string {
    return path.join(this.root, 'world.json');
  }
}
