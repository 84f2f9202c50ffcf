/**
 * CADC-style faults: an HTTP status plus a `text/plain` body `FaultName: detail`. Thrown anywhere in the
 * server and rendered once by the HTTP layer.
 */
export class Fault extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(body);
    this.name = 'Fault';
  }
}

export const faults = {
  nodeNotFound: (uri: string) => new Fault(404, `NodeNotFound: ${uri}`),
  containerNotFound: (uri: string) => new Fault(404, `ContainerNotFound: ${uri}`),
  duplicate: (uri: string) => new Fault(409, `DuplicateNode: ${uri}`),
  permission: (what: string) => new Fault(403, `PermissionDenied: ${what}`),
  invalidUri: (detail: string) => new Fault(400, `InvalidURI: ${detail}`),
  invalidArgument: (detail: string) => new Fault(400, `InvalidArgument: ${detail}`),
  notSupported: (detail: string) => new Fault(400, `OptionNotSupported: ${detail}`),
  tooLarge: (limit: number) => new Fault(413, `RequestEntityTooLarge: input document exceeds ${limit} bytes`),
  notAuthenticated: (detail: string) =>
    new Fault(401, `NotAuthenticated: ${detail}`, { 'WWW-Authenticate': 'Bearer error="invalid_token"' }),
  unavailable: (detail: string, retryAfterSeconds: number) =>
    new Fault(503, `temporary unavailable: ${detail}`, { 'Retry-After': String(retryAfterSeconds) }),
  methodNotAllowed: (method: string, allow: string) =>
    new Fault(405, `unsupported: HTTP ${method}`, { Allow: allow }),
};

/** The bare fault name of a body (`NodeNotFound: x` → `NodeNotFound`), as UWS error summaries carry it. */
export function faultName(body: string): string {
  const i = body.indexOf(':');
  return i > 0 ? body.slice(0, i) : body;
}
