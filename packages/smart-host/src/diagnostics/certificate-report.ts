import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';
import { failed, passed, warned, type DiagnosticStep } from './diagnostic-step.ts';

// The TLS step: what was negotiated and whether the sender, which verifies
// with the system CAs plus SMART_HOST_CA_FILE (smart-host-client.ts), would
// trust the certificate. The probe handshakes without verification so the
// certificate can always be shown; the verdict is computed here.

interface CertificateFacts {
  readonly subject: string;
  readonly altNames: readonly string[];
  readonly issuer: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly daysLeft: number;
  readonly fingerprint256: string;
}

export interface TlsFacts {
  readonly protocol: string | null;
  readonly cipher: string;
  readonly certificate: CertificateFacts | undefined;
  /** undefined = trusted and issued for SMART_HOST; else the reason (an OpenSSL or Node code). */
  readonly verificationError: string | undefined;
}

export interface TlsJudgement {
  readonly host: string;
  readonly tlsVerify: boolean;
  readonly caFile: string | undefined;
  readonly now: Date;
}

const DAY_MS = 86_400_000;

// A chain that ends at no CA we trust: the fix is the CA file (or the smart
// host sending its intermediate certificate).
const UNTRUSTED = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

/** "CN=smtp.example.com, O=Example" from Node's parsed subject or issuer. */
function distinguishedName(name: PeerCertificate['subject'] | undefined): string {
  if (name === undefined) return '(none)';
  // Node gives an array when an attribute repeats (several OU, say).
  const parts = Object.entries(name as Record<string, string | string[]>).map(([key, value]) =>
    (Array.isArray(value) ? value : [value]).map((item) => `${key}=${item}`).join(', '),
  );
  return parts.length === 0 ? '(empty)' : parts.join(', ');
}

function describeCertificate(certificate: PeerCertificate, now: Date): CertificateFacts {
  const validTo = new Date(certificate.valid_to);
  return {
    subject: distinguishedName(certificate.subject),
    altNames: (certificate.subjectaltname ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
    issuer: distinguishedName(certificate.issuer),
    validFrom: new Date(certificate.valid_from).toISOString(),
    validTo: validTo.toISOString(),
    daysLeft: Math.floor((validTo.getTime() - now.getTime()) / DAY_MS),
    fingerprint256: certificate.fingerprint256,
  };
}

/** Reads the negotiated session off a socket the probe handshook without verification. */
export function inspectTls(socket: TLSSocket, host: string, now: Date): TlsFacts {
  const peer = socket.getPeerCertificate();
  const hasCertificate = Object.keys(peer).length > 0;
  // Node sets authorizationError for the chain, and for the name when the chain
  // is fine; ask for the name separately to get its readable reason.
  const chainError = socket.authorized ? undefined : String(socket.authorizationError);
  const nameError = hasCertificate ? checkServerIdentity(host, peer) : undefined;
  const verificationError =
    chainError !== undefined && chainError !== 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? chainError
      : nameError === undefined
        ? chainError
        : `ERR_TLS_CERT_ALTNAME_INVALID: ${nameError.message}`;
  return {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher().name,
    certificate: hasCertificate ? describeCertificate(peer, now) : undefined,
    verificationError: hasCertificate ? verificationError : 'the smart host sent no certificate',
  };
}

/** The one-line verdict on the session, with the fix when the sender would refuse it. */
export function judgeTls(facts: TlsFacts, judgement: TlsJudgement): DiagnosticStep {
  const { certificate, verificationError } = facts;
  const summary = [
    `${facts.protocol ?? 'TLS'} (${facts.cipher})`,
    certificate === undefined
      ? 'no certificate'
      : `certificate ${certificate.subject} issued by ${certificate.issuer}, valid until ${formatInstant(certificate.validTo)} (${timeLeft(certificate.validTo, judgement.now)})`,
  ].join(', ');
  const jsonFacts = { ...facts, verified: verificationError === undefined };
  if (verificationError === undefined) {
    if (!judgement.tlsVerify) {
      return warned('tls', `${summary} (verified)`, {
        cause:
          'The certificate verifies, yet the sender is told not to check it: turn checking back on.',
        variable: 'SMART_HOST_TLS_VERIFY',
        facts: jsonFacts,
      });
    }
    return passed('tls', `${summary} (verified)`, jsonFacts);
  }
  const advice = adviseOnCertificate(verificationError, facts, judgement);
  const detail = `${summary} (NOT verified: ${verificationError})`;
  if (!judgement.tlsVerify) {
    return warned('tls', detail, {
      cause: `SMART_HOST_TLS_VERIFY=false: the sender accepts this certificate anyway, so anyone on the path could pose as the smart host. ${advice.cause}`,
      variable: 'SMART_HOST_TLS_VERIFY',
      facts: jsonFacts,
    });
  }
  return failed('tls', detail, { ...advice, facts: jsonFacts });
}

function formatInstant(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** Days, or hours within two days (test and short-lived certificates). */
function timeLeft(validTo: string, now: Date): string {
  const ms = new Date(validTo).getTime() - now.getTime();
  if (ms < 0) return `EXPIRED ${String(Math.ceil(-ms / DAY_MS))} days ago`;
  if (ms < 2 * DAY_MS) return `${String(Math.floor(ms / 3_600_000))} hours left`;
  return `${String(Math.floor(ms / DAY_MS))} days left`;
}

function adviseOnCertificate(
  error: string,
  facts: TlsFacts,
  { host, caFile, tlsVerify }: TlsJudgement,
): { cause: string; variable: string | undefined } {
  const code = error.split(':')[0] ?? error;
  if (UNTRUSTED.has(code)) {
    const issuer = facts.certificate?.issuer ?? 'its issuer';
    return {
      cause:
        caFile === undefined
          ? `The certificate was not issued by a CA this relay trusts (${issuer}): put that CA's certificate (PEM) in SMART_HOST_CA_FILE, or, if it is a public CA, the smart host may not send its intermediate certificate.${tlsVerify ? ' SMART_HOST_TLS_VERIFY=false also works but is for tests only.' : ''}`
          : `Neither the system CAs nor SMART_HOST_CA_FILE (${caFile}) hold the CA that issued the certificate (${issuer}): put that CA's certificate (PEM) in the file.`,
      variable: 'SMART_HOST_CA_FILE',
    };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = facts.certificate?.altNames.join(', ') || facts.certificate?.subject || '';
    return {
      cause: `The certificate is for ${names}, not ${host}: set SMART_HOST to a name the certificate carries${isIP(host) ? ' (an IP address is rarely on a certificate)' : ''}.`,
      variable: 'SMART_HOST',
    };
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return {
      cause:
        code === 'CERT_HAS_EXPIRED'
          ? "The smart host's certificate has expired: its operator must renew it (or SMART_HOST points at an old server)."
          : "The smart host's certificate is not valid yet: check this machine's clock.",
      variable: undefined,
    };
  }
  return {
    cause: `The sender would refuse this certificate (${error}): check SMART_HOST_CA_FILE and that SMART_HOST is the name on the certificate.`,
    variable: 'SMART_HOST_CA_FILE',
  };
}
