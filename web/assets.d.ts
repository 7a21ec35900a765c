/**
 * Example files the playground embeds (esbuild's `binary` loader, see scripts/build-web.ts), so the page
 * works offline and from a file:// URL; test/browser uses them too.
 */
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
