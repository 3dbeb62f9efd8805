import type { RelayMetrics } from '@smtp-relay/observability';

/**
 * The reply counters that moved, read from the metrics registry, as
 * `smtp_replies{class="4xx"}: 1` (README "Metrics" names without smtp_relay_
 * and _total). Counters still at 0 are left out, so a test lists all it expects.
 */
export async function replyCounts(metrics: RelayMetrics): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const counters = [
    metrics.smtpReplies,
    metrics.messagesRejected,
    metrics.connectionsRefused,
    metrics.authFailures,
  ];
  for (const counter of counters) {
    const { name, values } = await counter.get();
    const short = name.replace(/^smtp_relay_/, '').replace(/_total$/, '');
    for (const { labels, value } of values) {
      if (value === 0) continue;
      const text = Object.entries(labels)
        .map(([label, labelValue]) => `${label}="${String(labelValue)}"`)
        .join(',');
      counts[text === '' ? short : `${short}{${text}}`] = value;
    }
  }
  return counts;
}
