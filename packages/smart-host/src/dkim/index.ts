export { DkimError } from './dkim-error.ts';
export { checkDkimKey, domainOfFolder, keyNameOf, type DkimKey } from './dkim-key.ts';
export { dkimDnsRecord, zoneFileLine, type DkimDnsRecord } from './dns-record.ts';
export { createDkimSigner, type DkimSigner } from './dkim-signer.ts';
export { openDkimKeyDirectory, type DkimKeyDirectory } from './key-directory.ts';
