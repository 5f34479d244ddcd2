/**
 * Error replies shaped exactly like the API's (`{"type":"error","error":{type,message}}` plus a
 * `request-id` header), so the SDK maps them to its typed errors (RateLimitError, InternalServerError,
 * …) and applies its own retry rules to them, just as it would against the real service.
 */
import type { ServerResponse } from 'node:http';

export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

const STATUS_OF: Record<ApiErrorType, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

export function errorBody(type: ApiErrorType, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}

/** Sends an API error; `extraHeaders` carries e.g. `retry-after` for rate limits and overloads. */
export function sendApiError(
  res: ServerResponse,
  requestId: string,
  type: ApiErrorType,
  message: string,
  extraHeaders: Record<string, string> = {},
): void {
  const body = errorBody(type, message);
  res.writeHead(STATUS_OF[type], {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'request-id': requestId,
    ...extraHeaders,
  });
  res.end(body);
}
