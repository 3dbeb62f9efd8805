// `npm run docs`: re-renders README.md's configuration reference and
// .env.example from the variable table in packages/config.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigurationReference, renderEnvExample } from '@smtp-relay/config';

const readme = readFileSync('README.md', 'utf8');
const updated = readme.replace(
  /(<!-- configuration-reference:start -->\n)[\s\S]*?(<!-- configuration-reference:end -->)/,
  (_match, start: string, end: string) => `${start}${renderConfigurationReference()}${end}`,
);
writeFileSync('README.md', updated);
writeFileSync('.env.example', renderEnvExample());
