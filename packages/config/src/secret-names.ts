// README "Configuration": "Each variable ending in _PASSWORD, _SECRET or _TOKEN may instead be given as
// NAME_FILE". Decided by suffix so that a future FOO_SECRET works without a list to update.
export const SECRET_SUFFIXES = ['_PASSWORD', '_SECRET', '_TOKEN'] as const;
export const FILE_SUFFIX = '_FILE';

export function isSecretName(name: string): boolean {
  return SECRET_SUFFIXES.some((suffix) => name.endsWith(suffix));
}
