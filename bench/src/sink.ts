// A counting smart host for the benchmark, in its own process so it does not
// compete with the load generator's event loop. Prints "ready <port>" once
// listening and "count <n> <epoch ms> <first epoch ms> <peak in DATA> <peak
// connections>" after each accepted message batch: the time of the latest and of
// the first delivery, and the most messages waiting for their 250 at once and
// connections open at once so far (what the senders' concurrency really was).
//
//   node bench/src/sink.ts [--delay 100]   (ms before the 250 after each DATA, as a slow smart host)
import { parseArgs } from 'node:util';
import { SMTPServer } from 'smtp-server';

const { values } = parseArgs({ options: { delay: { type: 'string', default: '0' } } });
const delayMs = Number(values.delay);
if (!(delayMs >= 0)) throw new Error('--delay takes milliseconds');

let count = 0;
let firstAt = 0;
let inData = 0;
let peakInData = 0;
let peakConnections = 0;
let reportTimer: NodeJS.Timeout | undefined;
const accept = (callback: (error: null, message: string) => void): void => {
  inData--;
  count++;
  firstAt ||= Date.now();
  // Batch reports: one line per 20 ms at most.
  reportTimer ??= setTimeout(() => {
    reportTimer = undefined;
    process.stdout.write(
      `count ${String(count)} ${String(Date.now())} ${String(firstAt)} ` +
        `${String(peakInData)} ${String(peakConnections)}\n`,
    );
  }, 20);
  callback(null, '2.0.0 Ok');
};
const server = new SMTPServer({
  logger: false,
  disableReverseLookup: true,
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  size: 64 * 1024 * 1024,
  onConnect(_session, callback) {
    peakConnections = Math.max(peakConnections, server.connections.size);
    callback();
  },
  onData(stream, _session, callback) {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      inData++;
      peakInData = Math.max(peakInData, inData);
      if (delayMs === 0) accept(callback);
      else
        setTimeout(() => {
          accept(callback);
        }, delayMs);
    });
  },
});
server.listen(0, '127.0.0.1', () => {
  const address = server.server.address();
  process.stdout.write(
    `ready ${typeof address === 'object' && address ? String(address.port) : '0'}\n`,
  );
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
});
