/** A raw HTTP/1.1 client on node:net, to send headers and only part of a body (stalled uploads), and hostile servers. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";

/** An answer read off a raw socket. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A connection that has sent a request head (and maybe part of its body). */
export interface RawUpload {
  socket: Socket;
  /** Resolves with the first complete answer on the connection. */
  answer: Promise<RawAnswer>;
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
}

/** Opens a connection to 127.0.0.1:port and sends `POST path` with `headers` and `bodyPart`. */
export function rawUpload(port: number, path: string, headers: Record<string, string | number>, bodyPart: Uint8Array | string = ""): RawUpload {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => undefined); // a reset after the answer is expected
  const head = [`POST ${path} HTTP/1.1`, "host: 127.0.0.1", ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), "", ""].join("\r\n");
  socket.write(head);
  if (bodyPart.length > 0) socket.write(bodyPart);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    let data = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf("\r\n\r\n");
      if (end < 0) return;
      const lines = data.subarray(0, end).toString("latin1").split("\r\n");
      const parsed: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        parsed[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(parsed["content-length"] ?? 0);
      if (data.length < end + 4 + length) return;
      socket.off("data", onData);
      resolve({ status: Number(lines[0]!.split(" ")[1]), headers: parsed, body: data.subarray(end + 4, end + 4 + length).toString("utf8") });
    };
    socket.on("data", onData);
    void closed.then(() => reject(new Error(`closed before an answer: ${data.toString("latin1").slice(0, 200)}`)));
  });
  answer.catch(() => undefined);
  return { socket, answer, closed };
}

/** A hostile HTTP server on 127.0.0.1 answering every request with `answer`. */
export async function hostileServer(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server; stop: () => Promise<void> }> {
  const server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const stop = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, stop };
}

/** Most an endless answer writes, so that a client that never stops reading still ends the test. */
export const FLOOD_CAP = 64 * 1024 * 1024;

/** Writes spaces to `res` until the client goes away or {@link FLOOD_CAP}; `sent.bytes` counts them. */
export function flood(res: ServerResponse, sent: { bytes: number } = { bytes: 0 }): void {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const pump = () => {
    while (sent.bytes < FLOOD_CAP && !res.destroyed) {
      sent.bytes += chunk.length;
      if (!res.write(chunk)) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
}
