import { randomBytes } from 'node:crypto';
import { softwareAuthenticator } from '../../lib/testing/passkey-authenticator';
import { startExample } from '../helpers/example-process';
import { describeWithPostgres } from '../helpers/postgres';
import { BUILD_TIMEOUT_MS, START_TIMEOUT_MS, ensureBuilt, freePort } from '../helpers/processes';
import { linksIn, startSmtpServer } from '../helpers/smtp';

/** A tiny cookie jar for fetch: name=value pairs, updated from each answer. */
function jar() {
  const cookies = new Map<string, string>();
  return {
    take(res: Response) {
      for (const line of res.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        const value = pair.slice(eq + 1);
        if (value === '' || /max-age=0/i.test(line)) cookies.delete(pair.slice(0, eq));
        else cookies.set(pair.slice(0, eq), value);
      }
      return res;
    },
    get header() {
      return [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    },
  };
}

// example-app/app.mjs with DATABASE_URL: its tokens and counters live in Postgres, and so do
// its passkeys (postgresPasskeyStore).
describeWithPostgres('example app on Postgres (DATABASE_URL)', (pg) => {
  it(
    'signs in through a link, and the pending sign-in was kept in Postgres; passkeys are kept there too',
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
        PASSKEYS: '1',
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
        const cookies = jar();
        cookies.take(sent);
        const back = cookies.take(
          await fetch(`${app.url}${link.slice(origin.length)}`, {
            headers: { Cookie: cookie, Accept: 'text/html' },
            redirect: 'manual',
          }),
        );
        expect(back.status).toBe(303);
        const again = await pg()
          .pool()
          .query(
            `SELECT count(*)::int AS n FROM magic_link_store WHERE convert_from(value, 'UTF8') LIKE '%.pg@example.com'`,
          );
        expect(again.rows[0].n).toBe(0);

        // Passkeys are on, and kept in Postgres: register one for the signed-in user...
        const post = (path: string, body: unknown, from = cookies) =>
          fetch(`${app.url}${path}`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Origin: origin, Cookie: from.header },
            body: JSON.stringify(body),
          }).then((res) => from.take(res));
        const authenticator = softwareAuthenticator({ origin });
        const options = await post('/auth/passkeys/register/options', {});
        expect(options.status).toBe(200);
        const registered = await post(
          '/auth/passkeys/register',
          authenticator.register((await options.json()) as never),
        );
        expect(registered.status).toBe(200);
        const { id } = (await registered.json()) as { id: string };
        const stored = await pg()
          .pool()
          .query('SELECT counter::int AS counter FROM magic_link_passkeys WHERE id = $1', [id]);
        expect(stored.rows).toEqual([{ counter: 0 }]);
        // ...and sign in with it from another browser; the counter moves in Postgres.
        const other = jar();
        const signInOptions = await post('/auth/passkeys/sign-in/options', {}, other);
        expect(signInOptions.status).toBe(200);
        const signedIn = await post(
          '/auth/passkeys/sign-in',
          authenticator.authenticate((await signInOptions.json()) as never),
          other,
        );
        expect(signedIn.status).toBe(200);
        const used = await pg()
          .pool()
          .query('SELECT counter::int AS counter FROM magic_link_passkeys WHERE id = $1', [id]);
        expect(used.rows).toEqual([{ counter: 1 }]);
      } finally {
        await app.stop();
        await smtp.close();
      }
    },
    BUILD_TIMEOUT_MS + START_TIMEOUT_MS + 30_000,
  );
});
