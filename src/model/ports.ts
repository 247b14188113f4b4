// Ports the platform owns inside every instance's address, shared by the API's checks and the cells.

/** Platform HTTPS: TLS terminated by the cell's proxy, forwarded to the app's 8080. */
export const C2C_TLS_PORT = 61443;
/** The app's i-th port is also served over TLS on FIRST_APP_TLS_PORT + i, as Envoy does in Cloud Foundry. */
export const FIRST_APP_TLS_PORT = 61001;
export const LAST_APP_TLS_PORT = 61100;
export const APP_HTTP_PORT = 8080;
/** How many ports an app may declare; the cell reserves one proxy port per port, plus one for 61443. */
export const MAX_APP_PORTS = 10;

/** Ports an app may not declare, because the proxy answers on them. */
export function isPlatformPort(port: number): boolean {
  return port === C2C_TLS_PORT || (port >= FIRST_APP_TLS_PORT && port <= LAST_APP_TLS_PORT);
}
