export * from './transcript-lines.ts';
export * from './transcript-writer.ts';
export * from './transcript-retention.ts';
export * from './transcripts.ts';
export * from './bunyan-style-logger.ts';
