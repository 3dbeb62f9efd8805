// A counting smart host for the benchmark, in its own process so it does not
// compete with the load generator's event loop. Prints "ready <port>" once
// listening and "count <n> <epoch ms>" after each accepted message batch.
import { SMTPServer } from 'smtp-server';

let count = 0;
let reportTimer: NodeJS.Timeout | undefined;
const server = new SMTPServer({
  logger: false,
  disableReverseLookup: true,
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  size: 64 * 1024 * 1024,
  onData(stream, _session, callback) {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      count++;
      // Batch reports: one line per 20 ms at most.
      reportTimer ??= setTimeout(() => {
        reportTimer = undefined;
        process.stdout.write(`count ${String(count)} ${String(Date.now())}\n`);
      }, 20);
      callback(null, '2.0.0 Ok');
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
