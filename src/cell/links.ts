// Names of the host links a cell creates. Container veths share a prefix the kernel rules match on
// (`iifname "weftc*"`), which the gateway and VXLAN links must not share.
export interface CellLinks {
  gateway: string;
  vxlan: string;
  containerPrefix: string;
  container(instanceGuid: string): string;
}

export function cellLinks(prefix: string): CellLinks {
  // Linux allows 15 characters: the prefix, 'c', and 8 of the instance GUID.
  if (!/^[a-z][a-z0-9]{0,5}$/.test(prefix)) {
    throw new Error(`link prefix ${JSON.stringify(prefix)}: use 1-6 lowercase letters and digits`);
  }
  return {
    gateway: `${prefix}-gw`,
    vxlan: `${prefix}-vx`,
    containerPrefix: `${prefix}c`,
    container: (guid) => `${prefix}c${guid.replaceAll('-', '').slice(0, 8)}`,
  };
}
