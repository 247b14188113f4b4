// A policy body read the way Cloud Foundry's policy server reads it: JSON numbers go into integers or
// nowhere, and each refusal begins with Cloud Foundry's words, then weft's, which name the field.
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';

/** Cloud Foundry's first words for a body it cannot decode into its types. */
export const UNMARSHAL = 'mapper: unmarshal json';
/** ...and for a decoded body whose policies it refuses. */
export const VALIDATE = 'mapper: validate policies';

/**
 * The first number written with a fraction or an exponent (`8080.0`, `8e3`), which Go's decoder puts
 * into no integer field, though JSON.parse reads it as one; null when there is none. `text` is JSON
 * that parsed. One pass, no regular expression: bodies run to megabytes.
 */
export function nonIntegerNumber(text: string): string | null {
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      const start = i;
      while (i < text.length && '0123456789+-.eE'.includes(text[i] ?? '')) i++;
      const literal = text.slice(start, i);
      if (/[.eE]/.test(literal)) return literal.length > 24 ? `${literal.slice(0, 24)}…` : literal;
    } else {
      i++;
    }
  }
  return null;
}

/** The refusal of a body that does not fit its schema, from the schema's first complaint. */
export function batchProblem(body: unknown, e: ValueError): string {
  const path = e.path.split('/').slice(1);
  const detail = `${fieldPath(path) || 'body'}: ${weftWords(e)}`;
  const reason = cfReason(path, body, e);
  if (reason === UNDECODABLE) return `${UNMARSHAL}; ${detail}`;
  return reason === null ? `${VALIDATE}; ${detail}` : `${VALIDATE}: ${reason}; ${detail}`;
}

/** ["policies", "0", "destination", "ports", "start"] → "policies[0].destination.ports.start" */
function fieldPath(segments: string[]): string {
  return segments.reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
}

function weftWords(e: ValueError): string {
  if (e.type === ValueErrorType.ObjectRequiredProperty) return 'is required';
  if (e.type === ValueErrorType.ObjectAdditionalProperties) return 'is not allowed here';
  return e.message.charAt(0).toLowerCase() + e.message.slice(1);
}

const UNDECODABLE = Symbol('undecodable');

/**
 * What Cloud Foundry says of the same body: UNDECODABLE where Go's decoder fails (a value of the wrong
 * JSON type, a field its types do not have), its validator's sentence where that refuses, null where
 * only weft refuses (a GUID longer than any GUID). Absent and null read as Go's zero value.
 */
function cfReason(path: string[], body: unknown, e: ValueError): string | null | typeof UNDECODABLE {
  // "policies.*.destination.ports.start": the field, whichever policy of the batch it is in.
  const field = path.map((s) => (/^\d+$/.test(s) ? '*' : s)).join('.');
  if (e.type === ValueErrorType.ObjectAdditionalProperties) {
    return /^policies\.\*\.(source|destination)\.tag$/.test(field)
      ? 'tags may not be specified'
      : UNDECODABLE;
  }
  if (e.type === ValueErrorType.ObjectRequiredProperty || e.value === null) {
    if (field === 'policies.*.destination.ports.end') return portRange(body, path, 0);
    return ZERO_VALUE[field] ?? UNDECODABLE;
  }
  if (field === 'policies.*.destination.protocol')
    return typeof e.value === 'string' ? PROTOCOL : UNDECODABLE;
  if (isWrongJsonType(e)) return UNDECODABLE;
  if (e.type === ValueErrorType.ArrayMinItems || e.type === ValueErrorType.StringMinLength) {
    return ZERO_VALUE[field] ?? null;
  }
  return typeof e.value === 'number' ? portProblem(field, body, path, e.value) : null;
}

const PROTOCOL = 'invalid destination protocol, specify either udp or tcp';

/** Cloud Foundry's complaint when a field is absent, null or empty: its validator sees the zero value. */
const ZERO_VALUE: Record<string, string> = {
  '': 'missing policies',
  policies: 'missing policies',
  'policies.*': 'missing source id',
  'policies.*.source': 'missing source id',
  'policies.*.source.id': 'missing source id',
  'policies.*.destination': 'missing destination id',
  'policies.*.destination.id': 'missing destination id',
  'policies.*.destination.protocol': PROTOCOL,
  'policies.*.destination.ports': 'missing start port',
  'policies.*.destination.ports.start': 'missing start port',
  'policies.*.destination.port': 'missing port',
};

/** v0's `port`, v1's `ports.start` and `ports.end`. */
function portProblem(field: string, body: unknown, path: string[], value: number): string | null {
  if (field === 'policies.*.destination.port') {
    return value === 0 ? 'missing port' : `invalid port ${value}, must be in range 1-65535`;
  }
  if (field === 'policies.*.destination.ports.start') {
    return value === 0 ? 'missing start port' : `invalid start port ${value}, must be in range 1-65535`;
  }
  if (field === 'policies.*.destination.ports.end') {
    return value > 65535
      ? `invalid end port ${value}, must be in range 1-65535`
      : portRange(body, path, value);
  }
  return null;
}

function portRange(body: unknown, endPath: string[], end: number): string {
  const start = at(body, [...endPath.slice(0, -1), 'start']);
  return `invalid port range ${typeof start === 'number' ? start : 0}-${end}, start must be less than or equal to end`;
}

function at(value: unknown, path: string[]): unknown {
  return path.reduce<unknown>(
    (v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined),
    value,
  );
}

/** The value is not of the JSON type the schema asks for, so Go's decoder would already fail. */
function isWrongJsonType(e: ValueError): boolean {
  switch (e.type) {
    case ValueErrorType.Object:
      return typeof e.value !== 'object' || Array.isArray(e.value);
    case ValueErrorType.Array:
      return !Array.isArray(e.value);
    case ValueErrorType.String:
      return typeof e.value !== 'string';
    case ValueErrorType.Integer:
    case ValueErrorType.Number:
      return true;
    default:
      return false;
  }
}
