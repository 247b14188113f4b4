// What `weft up`'s main thread (the cell) and its control plane's thread say to each other.

export type ToMain =
  | { kind: 'up'; url: string; caPem: string; overlayCidr: string }
  /** The control plane serves /metrics and asks for the cell's part. */
  | { kind: 'metrics'; id: number }
  | { kind: 'closed' };

export type ToWorker = { kind: 'metrics'; id: number; text: string } | { kind: 'close' };
