// The systemd units for `weft server` and `weft cell`: templates in systemd/ at the top of the tree, filled
// in with where this weft is installed and where its flags live.

export const SERVICE_KINDS = ['server', 'cell'] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

export function isServiceKind(value: string): value is ServiceKind {
  return (SERVICE_KINDS as readonly string[]).includes(value);
}

export const unitName = (kind: ServiceKind): string => `weft-${kind}.service`;
export const defaultEnvFile = (kind: ServiceKind): string => `/etc/weft/${kind}.env`;

export interface UnitPlaces {
  /** The weft launcher (bin/weft), absolute. */
  weft: string;
  /** The EnvironmentFile with the daemon's flags, absolute. */
  envFile: string;
}

/** The template with its placeholders filled in; refuses paths systemd would read differently. */
export function renderUnit(template: string, places: UnitPlaces): string {
  for (const [what, p] of [
    ['weft', places.weft],
    ['envFile', places.envFile],
  ] as const) {
    // systemd splits ExecStart on spaces and expands %, $ and \ in it: such a path would not name the file.
    if (!p.startsWith('/') || /[\s%$\\"']/.test(p)) {
      throw new Error(
        `${what} ${JSON.stringify(p)}: a unit needs an absolute path without spaces, quotes, %, $ or \\`,
      );
    }
  }
  const filled = template.replaceAll('@WEFT@', places.weft).replaceAll('@ENV_FILE@', places.envFile);
  const left = /@[A-Z_]+@/.exec(filled);
  if (left !== null) throw new Error(`the unit template has a placeholder nobody fills: ${left[0]}`);
  return filled;
}
