// A writable stream that keeps what the commands print, for the setup and vercel:env tests.

import { Writable } from "node:stream";

export function collector(): { stream: Writable; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}
