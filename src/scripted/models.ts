/**
 * The models the scripted model serves, as the Models API describes them (GET /v1/models and
 * /v1/models/{id}). A request naming any other model is answered as the real API answers it:
 * 404 not_found_error.
 */

/** Ids from the SDK's `Model` list; the engine's tier defaults are among them. */
export const DEFAULT_KNOWN_MODELS: readonly string[] = [
  'claude-opus-5-5',
  'claude-sonnet-5-5',
  'claude-haiku-5-5',
  'claude-opus-5',
  'claude-sonnet-5',
  'claude-opus-4-8',
  'claude-opus-4-7',
  'claude-opus-4-6',
  'claude-sonnet-4-6',
  'claude-haiku-4-5',
  'claude-opus-4-5',
  'claude-sonnet-4-5',
];

export const DEFAULT_CONTEXT_WINDOW = 200_000;

export interface ModelCatalog {
  has(id: string): boolean;
  info(id: string): Record<string, unknown>;
  list(): Record<string, unknown>;
  contextWindow: number;
  /** The Models API's `max_tokens`: a request asking for more is refused. */
  maxOutputTokens: number;
}

function displayName(id: string): string {
  return id
    .replace(/^claude-/, 'Claude ')
    .replace(/-(\d+)-(\d+)$/, ' $1.$2')
    .replace(/-(\d+)$/, ' $1')
    .replace(/\b([a-z])/g, (c) => c.toUpperCase());
}

/** The most every catalogued model writes in one reply (the 5.x models' 128K). */
export const MAX_OUTPUT_TOKENS = 128_000;

export function modelCatalog(ids: readonly string[], contextWindow: number): ModelCatalog {
  const known = new Set(ids);
  const info = (id: string) => ({
    type: 'model',
    id,
    display_name: displayName(id),
    created_at: '2026-01-01T00:00:00Z',
    max_input_tokens: contextWindow,
    max_tokens: MAX_OUTPUT_TOKENS,
  });
  return {
    contextWindow,
    maxOutputTokens: MAX_OUTPUT_TOKENS,
    has: (id) => known.has(id),
    info,
    list: () => {
      const data = ids.map(info);
      return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
    },
  };
}
