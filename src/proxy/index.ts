export { TlsProxy } from './tls-proxy.js';
export type { ProxyStats, TlsProxyOptions } from './tls-proxy.js';
export type { Endpoint, InstanceCounters, InstanceSpec, InstanceStats, MtlsPolicy } from './types.js';
export type { ListenerGroup } from './haproxy/config.js';
export { DEFAULT_PROXY_LIMITS } from './limits.js';
export type { ProxyLimits } from './limits.js';
export { DEFAULT_TLS_SETTINGS } from './tls-settings.js';
export type { Credentials, TlsSettings } from './tls-settings.js';
