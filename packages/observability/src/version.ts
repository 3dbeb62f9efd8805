import rootPackage from '../../../package.json' with { type: 'json' };

/** The release, from the root package.json: one number for every service. */
export const RELAY_VERSION: string = rootPackage.version;
