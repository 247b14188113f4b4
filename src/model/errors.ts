// Failures a user can act on. The API turns each into its HTTP status; the CLI prints the message.

export class WeftError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const invalid = (message: string) => new WeftError(400, message);
export const unauthorized = (message: string) => new WeftError(401, message);
export const forbidden = (message: string) => new WeftError(403, message);
export const notFound = (message: string) => new WeftError(404, message);
export const conflict = (message: string) => new WeftError(409, message);
export const tooLarge = (message: string) => new WeftError(413, message);
/** A well-formed write the space's quota does not allow (Cloud Foundry answers these with 422). */
export class QuotaExceeded extends WeftError {
  constructor(message: string) {
    super(422, message);
  }
}
export const quotaExceeded = (message: string) => new QuotaExceeded(message);
export const unavailable = (message: string) => new WeftError(503, message);
