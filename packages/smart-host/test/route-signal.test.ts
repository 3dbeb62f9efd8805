import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyDeliveryError, type DeliveryErrorShape } from '@smtp-relay/smtp-errors';
import { routeSignal } from '../src/route-limits/index.ts';

// From the smart host's reply (as nodemailer reports it) to what the route does.
const rows: readonly (readonly [
  name: string,
  error: DeliveryErrorShape,
  signal: 'throttled' | 'too-many-connections' | undefined,
])[] = [
  [
    'a connection cap at the greeting lowers the connection limit',
    {
      code: 'EPROTOCOL',
      responseCode: 421,
      command: 'CONN',
      response: '421 4.7.0 mail.isp.example Error: too many connections from 203.0.113.7',
      message: 'Invalid greeting',
    },
    'too-many-connections',
  ],
  [
    'a rate reply pauses the route',
    {
      code: 'EENVELOPE',
      responseCode: 451,
      command: 'MAIL FROM',
      response: '451 4.7.1 Rate limit exceeded, try again later',
      message: 'Mail command failed',
    },
    'throttled',
  ],
  [
    'a provider quota reply pauses the route',
    {
      code: 'EMESSAGE',
      responseCode: 554,
      command: 'DATA',
      response: '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException',
      message: 'Message failed',
    },
    'throttled',
  ],
  [
    'greylisting is the message outcome only',
    {
      code: 'EENVELOPE',
      responseCode: 451,
      command: 'RCPT TO',
      response: '451 4.7.1 Greylisted',
      message: 'Recipient command failed',
    },
    undefined,
  ],
  [
    'a refused recipient is the message outcome only',
    {
      code: 'EENVELOPE',
      responseCode: 550,
      command: 'RCPT TO',
      response: '550 5.1.1 No such user',
      message: 'Recipient command failed',
    },
    undefined,
  ],
  [
    'a host that does not answer is failover business, not the route limits',
    { code: 'ESOCKET', command: 'CONN', message: 'connect ECONNREFUSED 127.0.0.1:2526' },
    undefined,
  ],
];

describe('routeSignal', () => {
  for (const [name, error, signal] of rows) {
    it(name, () => {
      assert.equal(routeSignal(classifyDeliveryError(error)), signal);
    });
  }
});
