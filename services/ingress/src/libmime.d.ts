// libmime ships no types; this is the one function ingress uses (history-subject.ts).
declare module 'libmime' {
  const libmime: {
    /** Decodes the RFC 2047 encoded words of a header value. */
    decodeWords(text: string): string;
  };
  export default libmime;
}
