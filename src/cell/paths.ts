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

  /** One file per app instance index, written by the app itself (see runtime/container.ts), capped and rotated to FILE.1. */
  logFile(appGuid: string, index: number): string {
    return path.join(this.logDir(appGuid), `${index}.log`);
  }

  logDir(appGuid: string): string {
    return path.join(this.root, 'logs', appGuid);
  }

  get instancesDir(): string {
    return path.join(this.root, 'instances');
  }

  /** Unpacked app packages by digest (see packages.ts). */
  get packagesDir(): string {
    return path.join(this.root, 'packages');
  }

  get trustBundle(): string {
    return path.join(this.root, 'trust', 'ca-certificates.crt');
  }

  get systemCertificates(): string {
    return path.join(this.root, 'trust', 'system-certificates');
  }

  /** The OCI runtime's state (--root). */
  get runtimeRoot(): string {
    return path.join(this.root, 'runtime');
  }

  /** Which runtime the cell uses, for tools on the host. */
  get runtimeFile(): string {
    return path.join(this.root, 'runtime.json');
  }

  /** One OCI bundle per container: config.json, the writable layer, the root filesystem's mount point. */
  get bundles(): string {
    return path.join(this.root, 'containers');
  }

  /** Writable layers mounted ahead for starting containers (runtime/layer-pool.ts); beside the bundles. */
  get layerPool(): string {
    return path.join(this.root, 'layer-pool');
  }

  /** The proxy's HAProxy files: configuration, keys, runtime socket. Emptied when the proxy starts. */
  get proxyDir(): string {
    return path.join(this.root, 'proxy');
  }

  /** unbound's configuration and control socket. Emptied when the cell's DNS starts. */
  get dnsDir(): string {
    return path.join(this.root, 'dns');
  }

  get resolvConf(): string {
    return path.join(this.root, 'resolv.conf');
  }

  get lastWorld(): string {
    return path.join(this.root, 'world.json');
  }
}
