import type { Logger } from 'pino';
import { startTranscriptRetention } from './transcript-retention.ts';
import { createTranscriptWriter, type TranscriptWriter } from './transcript-writer.ts';

export interface TranscriptsOptions {
  /** SMTP_TRANSCRIPT_DIR or SMART_HOST_TRANSCRIPT_DIR */
  readonly dir: string;
  /** TRANSCRIPT_RETENTION */
  readonly retentionMs: number;
  readonly logger: Logger;
}

export interface Transcripts {
  readonly writer: TranscriptWriter;
  /** Stops the retention timer and writes what is queued (bounded by the caller). */
  close(): Promise<void>;
}

/** A service's transcripts: the writer plus its retention job (at start, then hourly). */
export function startTranscripts(options: TranscriptsOptions): Transcripts {
  const writer = createTranscriptWriter({ dir: options.dir, logger: options.logger });
  const retention = startTranscriptRetention(options);
  return {
    writer,
    async close() {
      retention.stop();
      await writer.close();
    },
  };
}
