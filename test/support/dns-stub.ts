import { createSocket, type RemoteInfo } from 'node:dgram';

export type DnsStub = {
  /** `127.0.0.1:<port>`, as nginx's `resolver` takes it. */
  address: string;
  /**
   * Answers `name` with this IPv4 address (or these, one A record each, as Docker answers for a
   * service scaled to several replicas) from now on; `undefined` makes it NXDOMAIN.
   */
  set(name: string, ipv4: string | readonly string[] | undefined): void;
  /** Every name asked for, in order (lower case, no trailing dot). */
  queries: string[];
  close(): Promise<void>;
};

/** Docker's embedded DNS gives its records this TTL; nginx must not wait for it to run out. */
const DOCKER_TTL_SECONDS = 600;
const TYPE_A = 1;
const CLASS_IN = 1;

/**
 * A DNS server on loopback UDP that answers A queries from a table the test changes: a stand-in
 * for Docker's embedded DNS, so that a container that comes back on a new address can be played
 * without Docker. Anything else known gets an empty answer, anything unknown NXDOMAIN.
 */
export async function startDnsStub(): Promise<DnsStub> {
  const records = new Map<string, readonly string[]>();
  const queries: string[] = [];
  const socket = createSocket('udp4');

  socket.on('message', (query: Buffer, from: RemoteInfo) => {
    const question = parseQuestion(query);
    if (!question) return; // not a query we understand: a real server would answer FORMERR
    queries.push(question.name);
    const ipv4 = records.get(question.name);
    const answers =
      ipv4 !== undefined && question.type === TYPE_A && question.class === CLASS_IN
        ? ipv4.map(aRecord)
        : [];
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0); // the query's id
    // QR (a response), AA, RD as asked, RA; RCODE 3 (NXDOMAIN) for an unknown name.
    header.writeUInt16BE(0x8480 | (query.readUInt16BE(2) & 0x0100) | (ipv4 ? 0 : 3), 2);
    header.writeUInt16BE(1, 4); // the question, echoed
    header.writeUInt16BE(answers.length, 6);
    const reply = Buffer.concat([header, query.subarray(12, question.end), ...answers]);
    socket.send(reply, from.port, from.address);
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address();
  return {
    address: `127.0.0.1:${port}`,
    set: (name, ipv4) => {
      if (ipv4 === undefined) records.delete(name.toLowerCase());
      else records.set(name.toLowerCase(), typeof ipv4 === 'string' ? [ipv4] : [...ipv4]);
    },
    queries,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/** The first question of a query: name, type, class, and where the question section ends. */
function parseQuestion(
  msg: Buffer,
): { name: string; type: number; class: number; end: number } | undefined {
  if (msg.length < 12 || msg.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let at = 12;
  for (;;) {
    if (at >= msg.length) return undefined;
    const length = msg[at] ?? 0;
    if (length === 0) break;
    if (length > 63) return undefined; // compression pointers do not occur in a question
    labels.push(msg.toString('latin1', at + 1, at + 1 + length));
    at += 1 + length;
  }
  at += 1;
  if (at + 4 > msg.length) return undefined;
  return {
    name: labels.join('.').toLowerCase(),
    type: msg.readUInt16BE(at),
    class: msg.readUInt16BE(at + 2),
    end: at + 4,
  };
}

/** One answer record for the question's name (a pointer to offset 12). */
function aRecord(ipv4: string): Buffer {
  const record = Buffer.alloc(16);
  record.writeUInt16BE(0xc00c, 0);
  record.writeUInt16BE(TYPE_A, 2);
  record.writeUInt16BE(CLASS_IN, 4);
  record.writeUInt32BE(DOCKER_TTL_SECONDS, 6);
  record.writeUInt16BE(4, 10);
  ipv4.split('.').forEach((octet, i) => record.writeUInt8(Number(octet), 12 + i));
  return record;
}
