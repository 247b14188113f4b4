// Values that cross a process boundary are checked against their schema, never cast: an API answer, a
// line of the change stream, a file a cell saved. A value that does not match is refused with where.
import net from 'node:net';
import { FormatRegistry, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

// The formats the contract uses, as the API's own validator (Ajv) reads them.
if (!FormatRegistry.Has('ipv4')) FormatRegistry.Set('ipv4', (v) => net.isIPv4(v));
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (v) => /^\d{4}-\d\d-\d\dT/.test(v) && !Number.isNaN(Date.parse(v)));
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checkerOf<T extends TSchema>(schema: T): TypeCheck<T> {
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check as TypeCheck<T>;
}

export class ContractError extends Error {}

/** The value, typed, if it matches the schema; otherwise a ContractError naming `what` and the field. */
export function checked<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  const check = checkerOf(schema);
  if (check.Check(value)) return value;
  const first = check.Errors(value).First();
  const where = first?.path === '' || first === undefined ? '' : ` at ${first.path}`;
  throw new ContractError(`${what}: not the expected shape${where} (${first?.message ?? 'mismatch'})`);
}

/** Parses JSON text and checks it. */
export function parsed<T extends TSchema>(schema: T, text: string, what: string): Static<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ContractError(`${what}: not JSON (${(err as Error).message})`);
  }
  return checked(schema, value, what);
}
