/** Bounds on what the cell's one proxy holds for all of its containers. */
export interface ProxyLimits {
  /** Connections one source address (a container) may hold open at once, across every listener. */
  maxConnectionsPerSource: number;
  /** Connections the proxy holds open at once, across every listener. */
  maxConnections: number;
  /** A connection that moves no byte either way for this long is closed. */
  idleTimeoutMs: number;
}

export const DEFAULT_PROXY_LIMITS: ProxyLimits = {
  // Room for a generous client pool to many instances; neither Envoy nor HAProxy limits per source by
  // default, but a shared proxy must, or one container holds what all the others need.
  maxConnectionsPerSource: 256,
  // An idle proxied connection (TLS client side and backend socket) costs about 60 KiB and two file
  // descriptors: 8192 of them stay near half a GiB, on a host that also runs the apps.
  maxConnections: 8192,
  // Envoy's edge profile closes a stream idle for 5 minutes; Envoy's own TCP default (1 hour) lets
  // idle sockets pile up, and HAProxy's usual `timeout client` of 30–60 s cuts quiet long-polls.
  idleTimeoutMs: 300_000,
};
