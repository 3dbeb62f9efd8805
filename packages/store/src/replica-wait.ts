import type { Redis } from 'ioredis';

/**
 * REDIS_WAIT_REPLICAS: confirms that the writes this connection has made so
 * far are held by enough replicas (Redis WAIT), so that a failover cannot
 * lose them.
 */
export interface ReplicaWait {
  /**
   * True once `replicas` replicas acknowledged every write sent on the
   * connection before this call; false when fewer did within `timeoutMs`, or
   * Redis could not be asked.
   */
  confirm(timeoutMs: number): Promise<boolean>;
}

interface Waiter {
  readonly deadline: number;
  readonly resolve: (confirmed: boolean) => void;
}

/**
 * WAIT covers the writes made on its own connection before it, and blocks
 * that connection while it waits: every ingress session shares one, so a
 * WAIT per message would line the sessions up behind each other. Instead one
 * WAIT is in flight at a time, and it answers everyone who asked before it
 * was sent (a group commit): callers that arrive meanwhile share the next one.
 */
export function createReplicaWait(redis: Redis, replicas: number): ReplicaWait {
  let waiting: Waiter[] = [];
  let inFlight = false;

  const sendNext = (): void => {
    if (inFlight || waiting.length === 0) return;
    const batch = waiting;
    waiting = [];
    inFlight = true;
    // The batch's earliest deadline bounds the wait: no caller waits past its own.
    const timeoutMs = Math.max(1, Math.min(...batch.map((w) => w.deadline)) - Date.now());
    void redis
      .wait(replicas, timeoutMs)
      .then(
        (acknowledged) => acknowledged >= replicas,
        () => false,
      )
      .then((confirmed) => {
        inFlight = false;
        for (const waiter of batch) waiter.resolve(confirmed);
        sendNext();
      });
  };

  return {
    confirm(timeoutMs) {
      if (replicas === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        waiting.push({ deadline: Date.now() + timeoutMs, resolve });
        sendNext();
      });
    },
  };
}
