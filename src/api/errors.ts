// Every failure leaves the API as {"error": "..."} with a status a client can act on.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { WeftError } from '../model/errors.js';
import { UNMARSHAL } from '../policy/cf-body.js';

export function errorHandler(err: FastifyError | WeftError, req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof WeftError) {
    // RFC 6750, as Cloud Foundry's policy server: a 401 names the scheme it wants.
    if (err.status === 401) void reply.header('www-authenticate', 'Bearer');
    void reply.status(err.status).send({ error: err.message });
    return;
  }
  const cf = req.routeOptions.config.cf;
  // On Cloud Foundry's routes a body that cannot be read or parsed is refused in its words first.
  const unreadable = cf?.unreadableBody !== undefined ? `${cf.unreadableBody}; ` : '';
  const malformed = cf !== undefined ? `${UNMARSHAL}; ` : '';
  if (err.validation) {
    const first = err.validation[0];
    const where = fieldPath(err.validationContext ?? 'body', first?.instancePath ?? '');
    const params = first?.params as { missingProperty?: string; additionalProperty?: string } | undefined;
    const prefix = where ? `${where}.` : '';
    const what =
      params?.missingProperty !== undefined
        ? `${prefix}${params.missingProperty}: is required`
        : params?.additionalProperty !== undefined
          ? `${prefix}${params.additionalProperty}: is not allowed here`
          : `${where || 'body'}: ${first?.message}`;
    void reply.status(400).send({ error: what });
    return;
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      // The client is still sending: read the rest into nothing and keep the connection, so it reads
      // this answer instead of a reset. The request timeout bounds how long it may go on sending.
      req.raw.resume();
      void reply.removeHeader('connection');
      void reply.status(400).send({
        error: `${unreadable}body: larger than the ${req.routeOptions.bodyLimit ?? 0} bytes allowed`,
      });
      return;
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      void reply.status(400).send({ error: `${malformed}body: malformed JSON (${err.message})` });
      return;
  }
  if (err instanceof SyntaxError || err.statusCode === 400) {
    void reply.status(400).send({ error: `${malformed}body: malformed JSON (${err.message})` });
    return;
  }
  if (err.statusCode !== undefined && err.statusCode < 500) {
    void reply.status(err.statusCode).send({ error: err.message });
    return;
  }
  req.log.error({ err }, 'request failed');
  void reply.status(500).send({ error: 'internal error; the server log has the details' });
}

/** "/policies/0/destination/ports/start" → "policies[0].destination.ports.start" */
function fieldPath(context: string, instancePath: string): string {
  const parts = instancePath.split('/').filter((p) => p !== '');
  const path = parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
  return context === 'body' ? path : `${context}${path ? `.${path}` : ''}`;
}
