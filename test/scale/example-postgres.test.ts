import { randomBytes } from 'node:crypto';
import { startExample } from '../helpers/example-process';
import { describeWithPostgres } from '../helpers/postgres';
import { BUILD_TIMEOUT_MS, START_TIMEOUT_MS, ensureBuilt, freePort } from '../helpers/processes';
import { linksIn, startSmtpServer } from '../helpers/smtp';

// example-app/app.mjs with DATABASE_URL: its tokens and counters live in Postgres.
describeWithPostgres('example app on Postgres (DATABASE_URL)', (pg) => {
  it(
    'signs in through a link, and the pending sign-in was kept in Postgres',
    async () => {
      await ensureBuilt();
      const smtp = await startSmtpServer();
      const port = await freePort();
      const origin = `http://127.0.0.1:${port}`;
      const app = await startExample(port, {
        MAGIC_LINK_SECRET: randomBytes(32).toString('base64url'),
        SESSION_SECRET: randomBytes(32).toString('base64url'),
        DATABASE_URL: pg().url,
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Example <login@example.test>',
        MAGIC_LINK_PROVIDER: 'self-hosted',
        NODE_ENV: 'development',
        ORIGIN: origin,
      });
      try {
        const sent = await fetch(`${app.url}/auth/magic-link`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin },
          body: 'email=pg%40example.com',
          redirect: 'manual',
        });
        expect(sent.status).toBe(303);
        const mail = await smtp.waitForMessage((m) => m.text?.includes('pg@example.com') ?? false);
        const { rows } = await pg()
          .pool()
          .query(
            `SELECT count(*)::int AS n FROM magic_link_store WHERE convert_from(value, 'UTF8') LIKE '%.pg@example.com'`,
          );
        expect(rows[0].n).toBe(1);
        const cookie = sent.headers
          .getSetCookie()
          .map((line) => line.split(';')[0])
          .join('; ');
        const link = linksIn(mail).find((l) => l.includes('/auth/callback?'))!;
        const back = await fetch(`${app.url}${link.slice(origin.length)}`, {
          headers: { Cookie: cookie, Accept: 'text/html' },
          redirect: 'manual',
        });
        expect(back.status).toBe(303);
        const again = await pg()
          .pool()
          .query(
            `SELECT count(*)::int AS n FROM magic_link_store WHERE convert_from(value, 'UTF8') LIKE '%.pg@example.com'`,
          );
        expect(again.rows[0].n).toBe(0);
      } finally {
        await app.stop();
        await smtp.close();
      }
    },
    BUILD_TIMEOUT_MS + START_TIMEOUT_MS + 30_000,
  );
});
