/**
 * Files the browser entry imports as data; scripts bundle them with esbuild's `text` and `binary`
 * loaders (see harness.ts), so the page needs no file access. `.o` and `.pcap` are declared beside the
 * playground, in web/assets.d.ts.
 */
declare module '*.jsonl' {
  /** The file's text. */
  const text: string;
  export default text;
}
