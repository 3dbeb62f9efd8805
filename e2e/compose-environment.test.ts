// docker-compose.yml passes every variable a service reads into its container: a
// variable it leaves out is one a user sets in `.env` to no effect (HISTORY_RETENTION
// was one). The e2e harness runs the services with this same environment.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VARIABLES, type VariableSection } from '@smtp-relay/config';
import { readComposeService } from './harness/compose-services.ts';

/** Left out on purpose, with why. */
const NOT_PASSED: Readonly<Record<string, string>> = {
  REDIS_PASSWORD:
    'compose passes REDIS_PASSWORD_FILE (the bundled Redis password it generates); your own goes in REDIS_URL or REDIS_PASSWORD_FILE',
};

const SERVICES: readonly (readonly [string, readonly VariableSection[]])[] = [
  ['ingress', ['common', 'ingress']],
  ['sender', ['common', 'sender']],
];

describe('docker-compose.yml passes each service every variable it reads', () => {
  for (const [service, sections] of SERVICES) {
    it(service, () => {
      const passed = readComposeService(service).environment;
      const missing = VARIABLES.filter((variable) => sections.includes(variable.section))
        .map((variable) => variable.name)
        .filter((name) => !(name in passed) && !(name in NOT_PASSED));
      assert.deepEqual(missing, []);
    });
  }

  for (const [service, sections] of SERVICES) {
    it(`passes ${service} nothing it does not read`, () => {
      const read = new Set(
        VARIABLES.filter((variable) => sections.includes(variable.section)).flatMap((variable) => [
          variable.name,
          `${variable.name}_FILE`,
        ]),
      );
      const unread = Object.keys(readComposeService(service).environment).filter(
        (name) => !read.has(name),
      );
      assert.deepEqual(unread, []);
    });
  }
});
