import { VARIABLES, type Variable } from './variables.ts';

// The configuration reference in README.md and the whole of .env.example are
// rendered from the variable table, and a test fails when they drift.

const SECTION_TITLES = {
  common: 'Common (every service)',
  ingress: 'Ingress (MercuryS)',
  sender: 'Sender (MercuryC)',
} as const;

function defaultText(variable: Variable): string {
  switch (variable.default.kind) {
    case 'value':
      return variable.default.text === '' ? 'empty' : `\`${variable.default.text}\``;
    case 'required':
      return '**required**';
    case 'derived':
    case 'unset':
      return variable.default.description;
  }
}

export function renderConfigurationReference(): string {
  const parts: string[] = [];
  for (const section of ['common', 'ingress', 'sender'] as const) {
    parts.push(
      `#### ${SECTION_TITLES[section]}`,
      '',
      '| variable | default | meaning |',
      '|---|---|---|',
    );
    for (const variable of VARIABLES.filter((v) => v.section === section)) {
      const secret = variable.secret ? ' (also `' + variable.name + '_FILE`)' : '';
      parts.push(`| \`${variable.name}\` | ${defaultText(variable)} | ${variable.doc}${secret} |`);
    }
    parts.push('');
  }
  return parts.join('\n');
}

export function renderEnvExample(): string {
  const lines = [
    '# smtp-relay settings: copy to .env and change what you need.',
    '# Every variable is optional except SMART_HOST or SMART_HOST_PROVIDER (with docker',
    '# compose the demo smart host is used until you set one). Secrets (*_PASSWORD,',
    '# *_SECRET, *_TOKEN) may be given as NAME_FILE=<path>.',
    '',
  ];
  for (const section of ['common', 'ingress', 'sender'] as const) {
    lines.push(`# ---- ${SECTION_TITLES[section]} ----`);
    for (const variable of VARIABLES.filter((v) => v.section === section)) {
      lines.push(`# ${variable.doc}`);
      const value = variable.default.kind === 'value' ? variable.default.text : '';
      const note =
        variable.default.kind === 'value'
          ? ''
          : ` (default: ${variable.default.kind === 'required' ? 'required' : variable.default.description})`;
      if (note) lines.push(`#${note}`);
      lines.push(`# ${variable.name}=${value}`, '');
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
