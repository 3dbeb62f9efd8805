import {
  readWholeBody,
  type SmartHostClient,
  type SmartHostEnvelope,
  type SmartHostError,
  type SmartHostSendResult,
} from '@smtp-relay/smart-host';

/** What the smart host does with the next send. */
export type SmartHostStep =
  | { readonly kind: 'reply'; readonly result: SmartHostSendResult }
  | { readonly kind: 'fail'; readonly error: SmartHostError }
  /** Never answers: the send ends when the client is closed, as a cut connection. */
  | { readonly kind: 'hang' };

export interface SentMessage {
  readonly envelope: SmartHostEnvelope;
  readonly body: Buffer;
}

export interface ScriptedSmartHostClient extends SmartHostClient {
  readonly sent: readonly SentMessage[];
  /** Resolves once a send is waiting on a `hang` step. */
  hanging(): Promise<void>;
}

export function smartHostError(
  code: string,
  message: string,
  fields: Partial<SmartHostError> = {},
): SmartHostError {
  return Object.assign(new Error(message), { code, ...fields });
}

/**
 * A SmartHostClient that answers each send with the next scripted step and
 * records what it was given. Like the real pooled client, close() cuts the
 * sends in flight with ECONNECTION.
 */
export function createScriptedSmartHostClient(
  steps: readonly SmartHostStep[],
): ScriptedSmartHostClient {
  const script = [...steps];
  const sent: SentMessage[] = [];
  const cut: ((error: Error) => void)[] = [];
  let onHang: (() => void) | undefined;
  const hung = new Promise<void>((resolve) => {
    onHang = resolve;
  });

  return {
    sent,
    hanging: () => hung,
    async send(envelope, body) {
      sent.push({ envelope, body: Buffer.concat(await readWholeBody(body)) });
      const step = script.shift();
      if (step === undefined) return Promise.reject(new Error('no scripted step left'));
      switch (step.kind) {
        case 'reply':
          return step.result;
        case 'fail':
          throw step.error;
        case 'hang':
          return new Promise<SmartHostSendResult>((_resolve, reject) => {
            cut.push(reject);
            onHang?.();
          });
      }
    },
    close() {
      for (const reject of cut.splice(0)) {
        reject(smartHostError('ECONNECTION', 'Connection closed by the smart host'));
      }
      return Promise.resolve();
    },
  };
}
