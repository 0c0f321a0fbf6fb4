import { startExample } from '../helpers/example-process';
import { BUILD_TIMEOUT_MS, START_TIMEOUT_MS, ensureBuilt, freePort } from '../helpers/processes';
import type { ExampleProcess } from '../helpers/processes';
import { startSmtpServer } from '../helpers/smtp';
import type { TestSmtpServer } from '../helpers/smtp';

// OTEL=console: the example app registers the SDK with a console exporter and passes
// openTelemetry(api) to the router, so each route's span is printed (and no address in it).

describe('the example app with OTEL=console', () => {
  let smtp: TestSmtpServer;
  let app: ExampleProcess;

  beforeAll(async () => {
    await ensureBuilt();
    smtp = await startSmtpServer();
    app = await startExample(await freePort(), {
      MAGIC_LINK_PROVIDER: 'self-hosted',
      SMTP_URL: smtp.url,
      OTEL: 'console',
    });
  }, BUILD_TIMEOUT_MS + START_TIMEOUT_MS);

  afterAll(async () => {
    await app?.stop();
    await smtp?.close();
  });

  it('prints the spans of a link request, without the address', async () => {
    const res = await fetch(`${app.url}/auth/magic-link`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: app.origin },
      body: new URLSearchParams({ email: 'otel.example@example.com' }),
    });
    expect(res.status).toBe(303);
    await smtp.waitForMessage((m) => m.text?.includes('/auth/callback') ?? false);
    const deadline = Date.now() + 20_000;
    while (!app.output().includes("name: 'magic_link mail send'") && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const output = app.output();
    for (const name of [
      'magic_link POST /auth/magic-link',
      'magic_link send',
      'magic_link mail send',
    ])
      expect(output).toContain(`name: '${name}'`);
    expect(output).toContain("'magic_link.outcome': 'sent'");
    expect(output).not.toContain('otel.example');
  }, 60_000);
});
