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

/** The variables a service of these sections reads. */
function variablesRead(sections: readonly VariableSection[]): string[] {
  return VARIABLES.filter((variable) => sections.includes(variable.section)).map(
    (variable) => variable.name,
  );
}

describe('docker-compose.yml passes each service every variable it reads', () => {
  for (const [service, sections] of SERVICES) {
    const read = variablesRead(sections);
    const passed = () => Object.keys(readComposeService(service).environment);

    it(service, () => {
      const given = passed();
      const missing = read.filter((name) => !given.includes(name) && !(name in NOT_PASSED));
      assert.deepEqual(missing, []);
    });

    it(`passes ${service} nothing it does not read`, () => {
      // A secret may come as NAME_FILE.
      const known = new Set(read.flatMap((name) => [name, `${name}_FILE`]));
      assert.deepEqual(
        passed().filter((name) => !known.has(name)),
        [],
      );
    });
  }
});
