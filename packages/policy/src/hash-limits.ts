/**
 * The most memory one password check may take. A hash asking for more (a typo in
 * hand-edited parameters, or a hash made for another machine) would let each AUTH
 * attempt exhaust a container's memory, so such a line is refused as malformed.
 */
export const MAX_HASH_MEMORY_BYTES = 1024 * 1024 * 1024;
