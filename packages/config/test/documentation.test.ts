import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { renderConfigurationReference, renderEnvExample } from '../src/documentation.ts';
import { VARIABLES } from '../src/variables.ts';

// README.md's configuration reference and .env.example are rendered from the
// variable table; regenerate them with `npm run docs` when this fails.

const root = new URL('../../../', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, root), 'utf8');

describe('user documentation of the configuration', () => {
  it('README.md holds the current configuration reference', () => {
    const readme = read('README.md');
    const match =
      /<!-- configuration-reference:start -->\n([\s\S]*?)<!-- configuration-reference:end -->/.exec(
        readme,
      );
    assert.ok(match, 'README.md has the configuration-reference markers');
    assert.equal(match[1], renderConfigurationReference());
  });

  it('.env.example is current', () => {
    assert.equal(read('.env.example'), renderEnvExample());
  });

  it('names every variable in both', () => {
    const readme = read('README.md');
    const example = read('.env.example');
    for (const { name } of VARIABLES) {
      assert.ok(readme.includes(`\`${name}\``), `README.md: ${name}`);
      assert.ok(example.includes(`${name}=`), `.env.example: ${name}`);
    }
  });
});
