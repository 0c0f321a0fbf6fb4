import { createExampleApp } from './app.mjs';

const example = await createExampleApp();
const server = example.app.listen(example.port, process.env.HOST ?? '127.0.0.1', () => {
  console.log(`Example app on ${example.origin}`);
  if (example.mailbox) console.log(`Emails land in ${example.origin}/dev/mailbox`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    example.close().finally(() => process.exit(0));
  });
}
