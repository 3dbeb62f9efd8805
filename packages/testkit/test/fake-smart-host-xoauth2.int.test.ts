import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import XOAuth2 from 'nodemailer/lib/xoauth2';
import {
  generateCertificates,
  smtpConversation,
  startFakeOAuth2Server,
  startFakeSmartHost,
  type FakeOAuth2Server,
  type FakeSmartHost,
  type FakeSmartHostEvent,
  type GeneratedCertificates,
} from '../src/index.ts';
import { accessToken, postForm } from './https-form-client.ts';
import { RAW_MESSAGE } from './send-raw-message.ts';

const MAILBOX = 'mailbox@example.com';
const APP = { clientId: 'app', clientSecret: 'app-secret' };
const XOAUTH2_CHALLENGE = { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' };
const TENANT_SMTP_AUTH_DISABLED = {
  code: 535,
  message:
    '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
};

type LoginError = Error & { code?: string; responseCode?: number; response?: string };

describe('fake smart host AUTH XOAUTH2', () => {
  let certs: GeneratedCertificates;
  let oauth2: FakeOAuth2Server;
  let host: FakeSmartHost;
  const connections: SMTPConnection[] = [];
  before(async () => {
    certs = await generateCertificates();
    oauth2 = await startFakeOAuth2Server({ certificate: certs, clients: [APP] });
    host = await startFakeSmartHost({
      tls: 'implicit',
      certificate: certs,
      auth: {
        username: 'relay',
        password: 's3cret',
        xoauth2: oauth2.validateAccessToken.bind(oauth2),
      },
    });
  });
  beforeEach(() => {
    host.reset();
    host.setScript({});
  });
  after(async () => {
    for (const connection of connections) connection.close();
    await host.close();
    await oauth2.close();
    await certs.cleanup();
  });

  /** A fresh token from the fake authorization server (client credentials grant). */
  const fetchToken = async () =>
    accessToken(
      await postForm(
        oauth2.tokenUrl,
        {
          grant_type: 'client_credentials',
          client_id: APP.clientId,
          client_secret: APP.clientSecret,
          scope: 'https://outlook.office365.com/.default',
        },
        certs.caCert,
      ),
    );

  const connect = async (): Promise<SMTPConnection> => {
    const connection = new SMTPConnection({
      host: '127.0.0.1',
      port: host.port,
      secure: true,
      tls: { ca: certs.caCert },
      connectionTimeout: 5_000,
      socketTimeout: 5_000,
    });
    connections.push(connection);
    connection.on('error', () => {
      // Login failures also arrive through login()'s callback, where the tests look.
    });
    await new Promise<void>((resolve, reject) => {
      connection.once('error', reject);
      connection.connect(() => {
        connection.off('error', reject);
        resolve();
      });
    });
    return connection;
  };
  const login = (connection: SMTPConnection, oauth2Generator: XOAuth2) =>
    new Promise<void>((resolve, reject) => {
      connection.login({ user: MAILBOX, method: 'XOAUTH2', oauth2: oauth2Generator }, (error) => {
        if (error) reject(error);
        else resolve();
      });
    });
  const loginError = async (connection: SMTPConnection, generator: XOAuth2) => {
    try {
      await login(connection, generator);
    } catch (error) {
      return error as LoginError;
    }
    throw new Error('Expected the login to fail');
  };
  /** nodemailer asks for a token with renew=false first and renew=true after a challenge. */
  const provisioning = (tokens: (renew: boolean) => Promise<string>) => {
    const calls: boolean[] = [];
    const generator = new XOAuth2({
      user: MAILBOX,
      provisionCallback: (_user, renew, callback) => {
        calls.push(renew);
        tokens(renew).then(
          (token) => {
            callback(null, token);
          },
          (error: unknown) => {
            callback(error instanceof Error ? error : new Error(String(error)));
          },
        );
      },
    });
    return { calls, generator };
  };
  const authEvents = () =>
    host.events.filter(
      (e): e is Extract<FakeSmartHostEvent, { type: 'auth' }> => e.type === 'auth',
    );

  const conversation = () =>
    smtpConversation({ port: host.port, tls: { ca: certs.caCert, implicit: true } });

  it('advertises XOAUTH2 next to PLAIN, LOGIN and CRAM-MD5 when given a validator', async () => {
    const session = await conversation();
    try {
      const ehlo = await session.send('EHLO client.test');
      assert.ok(ehlo.lines.includes('AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2'), ehlo.text);
    } finally {
      await session.close();
    }
  });

  it('a valid token logs in (235) and the message records XOAUTH2 and the mailbox', async () => {
    const connection = await connect();
    await login(connection, new XOAuth2({ user: MAILBOX, accessToken: await fetchToken() }));
    await new Promise<void>((resolve, reject) => {
      connection.send(
        { from: 'sender@client.test', to: ['rcpt@dest.test'] },
        RAW_MESSAGE,
        (error) => {
          if (error) reject(error);
          else resolve();
        },
      );
    });
    const [message] = await host.waitForMessages(1);
    assert.equal(message?.authMethod, 'XOAUTH2');
    assert.equal(message.authUser, MAILBOX);
    assert.deepEqual(
      authEvents().map((e) => [e.method, e.username, e.success, e.reply.code]),
      [['XOAUTH2', MAILBOX, true, 235]],
    );
  });

  it('a revoked token gets the 334 challenge; nodemailer renews once and logs in', async () => {
    const revoked = await fetchToken();
    oauth2.revokeAccessTokens();
    const { calls, generator } = provisioning((renew) =>
      renew ? fetchToken() : Promise.resolve(revoked),
    );
    await login(await connect(), generator);
    assert.deepEqual(calls, [false, true]);
    assert.deepEqual(
      authEvents().map((e) => [e.method, e.success, e.reply.code]),
      [
        ['XOAUTH2', false, 334],
        ['XOAUTH2', true, 235],
      ],
    );
  });

  it('a token refused again after the renewal fails with 535', async () => {
    const revoked = await fetchToken();
    oauth2.revokeAccessTokens();
    const { calls, generator } = provisioning(() => Promise.resolve(revoked));
    const error = await loginError(await connect(), generator);
    assert.equal(error.code, 'EAUTH');
    assert.equal(error.responseCode, 535);
    // smtp-server's fixed wording after an XOAUTH2 challenge (sasl.js XOAUTH2_error).
    assert.equal(error.response, '535 Error: Username and Password not accepted');
    assert.deepEqual(calls, [false, true]);
    assert.deepEqual(
      authEvents().map((e) => e.success),
      [false, false],
    );
  });

  it('on the wire: 334 with the base64 JSON error, then 535 after the empty line', async () => {
    const session = await conversation();
    try {
      assert.equal((await session.send('EHLO client.test')).code, 250);
      const initial = Buffer.from(`user=${MAILBOX}\x01auth=Bearer not-a-token\x01\x01`).toString(
        'base64',
      );
      const challenge = await session.send(`AUTH XOAUTH2 ${initial}`);
      assert.equal(challenge.code, 334);
      const data: unknown = JSON.parse(Buffer.from(challenge.text, 'base64').toString());
      assert.deepEqual(data, XOAUTH2_CHALLENGE);
      const final = await session.send('');
      assert.equal(final.code, 535);
      assert.match(final.text, /Username and Password not accepted/);
    } finally {
      await session.close();
    }
    const [event] = authEvents();
    assert.deepEqual(event && [event.username, event.success], [MAILBOX, false]);
  });

  it('a script auth refusal (SMTP AUTH disabled) is answered at once, without a challenge', async () => {
    host.setScript({
      auth: (_username, method) => (method === 'XOAUTH2' ? TENANT_SMTP_AUTH_DISABLED : undefined),
    });
    const { calls, generator } = provisioning(() => fetchToken());
    const error = await loginError(await connect(), generator);
    assert.equal(error.responseCode, 535);
    assert.match(String(error.response), /^535 5\.7\.139 .*SmtpClientAuthentication is disabled/);
    // No 334 challenge, so nodemailer does not ask for a new token.
    assert.deepEqual(calls, [false]);
    assert.deepEqual(
      authEvents().map((e) => [e.method, e.success, e.reply.code]),
      [['XOAUTH2', false, 535]],
    );
  });

  it('PLAIN keeps working next to XOAUTH2', async () => {
    const connection = await connect();
    await new Promise<void>((resolve, reject) => {
      connection.login({ user: 'relay', pass: 's3cret', method: 'PLAIN' }, (error) => {
        if (error) reject(error);
        else resolve();
      });
    });
    assert.deepEqual(
      authEvents().map((e) => [e.method, e.success]),
      [['PLAIN', true]],
    );
  });
});

describe('fake smart host XOAUTH2 options', () => {
  it('methods with XOAUTH2 but no validator is a set-up error', async () => {
    await assert.rejects(
      startFakeSmartHost({
        tls: 'none',
        allowInsecureAuth: true,
        auth: { methods: ['XOAUTH2'] },
      }),
      /XOAUTH2 needs auth\.xoauth2/,
    );
  });
});
