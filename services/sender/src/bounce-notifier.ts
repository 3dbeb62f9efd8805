import { readFile } from 'node:fs/promises';
import type { SenderConfig } from '@smtp-relay/config';
import type { Logger } from '@smtp-relay/observability';
import {
  createDeliveryProducer,
  hasJob,
  newDeliveryJob,
  type DeliveryJob,
  type DeliveryQueue,
} from '@smtp-relay/queue';
import type { MessageStore } from '@smtp-relay/store';
import { BUILT_IN_BOUNCE_TEMPLATE, buildBounceMessage, headerSection } from './bounce.ts';
import type { RecipientFailure } from './deliver.ts';

export interface BounceNotifier {
  /** Sends (queues) a delivery status notification for `bounced` to the job's sender. */
  notify(job: DeliveryJob, bounced: readonly RecipientFailure[], attempt: number): Promise<void>;
}

/** The original headers quoted in a bounce: at most this much of the message. */
const HEADER_BYTES = 64 * 1024;

export interface BounceNotifierDependencies {
  readonly config: SenderConfig;
  readonly store: MessageStore;
  readonly queue: DeliveryQueue;
  readonly logger: Logger;
  /** The smart host a route's replies came from (named in the bounce); default: SMART_HOST's first. */
  readonly smartHostOf?: (route: string | undefined) => string;
}

/**
 * Queues a DSN to the envelope sender through the same queue and smart host as
 * any message, from the null sender `<>`, so that a bounce can never bounce
 * again (no loops). Its id is derived from the original message and attempt,
 * so a sender that crashes and repeats the attempt cannot queue it twice.
 */
export async function createBounceNotifier(
  deps: BounceNotifierDependencies,
): Promise<BounceNotifier> {
  const { config, store, logger } = deps;
  const producer = createDeliveryProducer(deps.queue);
  const template =
    config.bounceTemplateFile === undefined
      ? BUILT_IN_BOUNCE_TEMPLATE
      : await readFile(config.bounceTemplateFile, 'utf8');

  return {
    async notify(job, bounced, attempt) {
      if (job.mailFrom === '') {
        logger.info(
          { event: 'bounce.suppressed', messageId: job.messageId, reason: 'null sender' },
          'no bounce for a bounce',
        );
        return;
      }
      const bounceId = `${job.messageId}-B${String(attempt)}`;
      // The same attempt repeated after a crash: its bounce is queued (or sent) already.
      if (await hasJob(deps.queue, bounceId)) {
        logger.info(
          { event: 'bounce.exists', messageId: job.messageId, bounceId },
          'bounce already queued',
        );
        return;
      }
      const original = await store.readHead(job.messageId, HEADER_BYTES);
      const message = buildBounceMessage({
        reportingMta: config.smtpHostname,
        postmaster: config.postmaster,
        smartHost: deps.smartHostOf?.(job.route) ?? config.smartHost.host,
        recipient: job.mailFrom,
        originalMessageId: job.messageId,
        arrivalDate: new Date(job.receivedAt),
        bounced,
        originalHeaders: original ? headerSection(original, HEADER_BYTES) : Buffer.alloc(0),
        template,
        date: new Date(),
        bounceMessageId: bounceId,
      });
      // A body without a job from a crash between the two writes is replaced.
      await store.delete(bounceId);
      const writer = store.openWriter(bounceId);
      await writer.write(message);
      const size = await writer.finish();
      await producer.enqueue(
        newDeliveryJob({
          messageId: bounceId,
          size,
          mailFrom: '',
          recipients: [job.mailFrom],
          receivedAt: Date.now(),
          client: { address: '127.0.0.1', helo: config.smtpHostname },
          authUser: null,
          bodyType: '8bitmime',
          smtpUtf8: false,
          // docs/reference.md "Failover, routes and rate limits": a bounce takes its message's route.
          route: job.route,
        }),
      );
      logger.info(
        {
          event: 'bounce.queued',
          messageId: job.messageId,
          bounceId,
          to: job.mailFrom,
          recipients: bounced.length,
        },
        'bounce queued',
      );
    },
  };
}
