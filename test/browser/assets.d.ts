/**
 * Files the browser entry imports as data; scripts bundle them with esbuild's `text` and `binary`
 * loaders (see harness.ts), so the page needs no file access.
 */
declare module '*.jsonl' {
  /** The file's text. */
  const text: string;
  export default text;
}

declare module '*.o' {
  /** The file's bytes. */
  const bytes: Uint8Array;
  export default bytes;
}

declare module '*.pcap' {
  /** The file's bytes. */
  const bytes: Uint8Array;
  export default bytes;
}
