import type { OAuth2Grant } from '@smtp-relay/config';
import type { OAuth2Error } from '@smtp-relay/smart-host';

// What an OAuth2 failure means for the operator: the endpoint's own words
// (Microsoft's AADSTS numbers are what its documentation and support search on)
// and the next step. Never a token or a secret: OAuth2Error carries none.

/** "invalid_grant: AADSTS70008: ..." or, without an OAuth2 error code, the failure itself. */
export function describeOAuth2Failure(error: OAuth2Error): string {
  if (error.oauthError === undefined) return error.message;
  return `${error.oauthError}${error.description ? `: ${error.description}` : ''}`;
}

export type AdviceContext =
  | { readonly command: 'check'; readonly grant: OAuth2Grant['kind'] }
  | { readonly command: 'login' };

const RELOGIN =
  'Run "npx smtp-relay oauth2 login" again, put the new refresh token in SMART_HOST_OAUTH2_REFRESH_TOKEN_FILE and restart the senders';

/** One or two sentences: what to check or do next. */
export function adviseOnOAuth2Failure(error: OAuth2Error, context: AdviceContext): string {
  const grant = context.command === 'check' ? context.grant : 'refresh-token';
  switch (error.reason) {
    case 'invalid_grant':
      if (context.command === 'login') {
        return 'The sign-in could not be completed: run the command again; if it keeps failing, check that the app may ask for SMART_HOST_OAUTH2_SCOPE.';
      }
      if (grant === 'service-account') {
        return 'Check the domain-wide delegation of the service account (Google Admin console: its client id with scope https://mail.google.com/) and that SMART_HOST_USER is a user of that Workspace.';
      }
      if (grant === 'client-credentials') {
        return "Check SMART_HOST_OAUTH2_TENANT (your own tenant, not common/organizations) and the app's application permission SMTP.SendAsApp with admin consent.";
      }
      return `The refresh token is expired, revoked or lacks consent (a password change or an administrator revokes them). ${RELOGIN}; check that the app still has consent for the scope.`;
    case 'invalid_client':
      if (grant === 'service-account') {
        return 'The service-account key was refused: check SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE (a key deleted in the Google Cloud console stops working).';
      }
      return 'Check SMART_HOST_OAUTH2_CLIENT_ID and SMART_HOST_OAUTH2_CLIENT_SECRET(_FILE): the secret value, not its id, and not expired (create a new one in the app registration). A public client (device code sign-in) must have no secret.';
    case 'unreachable':
      return 'The token endpoint did not answer: check DNS, firewall and proxy from this machine, SMART_HOST_CA_FILE if the endpoint uses a private CA, and SMART_HOST_OAUTH2_TOKEN_URL.';
    case 'refused':
    case 'token_rejected':
      return error.oauthError === 'unauthorized_client' && context.command === 'login'
        ? 'The app may not use this sign-in: in its registration allow public client flows (Microsoft) or use a "Desktop app" OAuth client (Google).'
        : 'Check SMART_HOST_OAUTH2_SCOPE, SMART_HOST_OAUTH2_TOKEN_URL and the app registration (API permissions, consent).';
  }
}
