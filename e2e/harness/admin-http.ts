// What a test reads from a process's admin HTTP port: the message API (behind
// ADMIN_TOKEN) and single samples of /metrics.

/** GET `path` with the bearer token; throws unless 200. */
export async function adminJson<T>(adminPort: number, path: string, token: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${String(adminPort)}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.status !== 200) {
    throw new Error(`GET ${path}: ${String(response.status)} ${await response.text()}`);
  }
  return (await response.json()) as T;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * The value of the sample of `name` whose labels include `labels` (in any
 * order), from the process's /metrics; undefined when there is none.
 */
export async function metricSample(
  adminPort: number,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${String(adminPort)}/metrics`)).text();
  for (const line of text.split('\n')) {
    const match = SAMPLE.exec(line);
    if (match?.[1] !== name) continue;
    const found = new Map([...(match[2] ?? '').matchAll(LABEL)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([key, value]) => found.get(key) === value)) {
      return Number(match[3]);
    }
  }
  return undefined;
}
