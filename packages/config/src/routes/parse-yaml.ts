import { LineCounter, parseDocument } from 'yaml';
import type { FileProblem } from './routes-file-issues.ts';

export type ParsedYaml =
  | { readonly ok: true; readonly data: unknown }
  | { readonly ok: false; readonly problems: readonly FileProblem[] };

/**
 * YAML 1.2 (core schema: `off` and `yes` stay strings) into plain data. Syntax errors,
 * duplicate keys and unknown tags are problems, each with its line and column.
 */
export function parseYaml(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  // prettyErrors off: one line per problem, the position added here.
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const findings = [...document.errors, ...document.warnings];
  if (findings.length > 0) {
    return {
      ok: false,
      problems: findings.map((finding) => {
        const { line, col } = lineCounter.linePos(finding.pos[0]);
        return {
          at: '',
          message: `line ${String(line)}, column ${String(col)}: ${finding.message}`,
        };
      }),
    };
  }
  try {
    return { ok: true, data: document.toJS() };
  } catch (error) {
    // An alias bomb ("Excessive alias count"): yaml refuses to expand it.
    return { ok: false, problems: [{ at: '', message: (error as Error).message }] };
  }
}
