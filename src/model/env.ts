// The one rule for environment variable names: a shell variable name, since the container exports each
// as shell code; and none the platform sets for itself (Cloud Foundry's PORT, VCAP_*, VMW_*; weft's own).

export function isEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

export function isPlatformEnvName(name: string): boolean {
  return name === 'PORT' || /^(VCAP|VMW|WEFT)_/.test(name);
}
