import { execFile } from 'node:child_process';
import { ROOT, startExampleProcess } from './processes';
import type { ExampleProcess } from './processes';

/**
 * Spawns the example app on `port` with `env` on top of a clean environment (no WorkOS keys, so
 * nothing reaches the real WorkOS), and resolves once it logs that it is listening.
 *
 * @example
 * const a = await startExample(await freePort(), { MAGIC_LINK_PROVIDER: 'self-hosted', SMTP_URL });
 * await fetch(`${a.url}/`);
 * await a.stop();
 */
export function startExample(port: number, env: Record<string, string>): Promise<ExampleProcess> {
  // Only what the test passes configures the app: no inherited WorkOS keys, Redis, SMTP or mail service.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) =>
        !/^(WORKOS_|REDIS_URL$|REDIS_CLUSTER_NODES$|SMTP_URL$|ORIGIN$|MAGIC_LINK_|SESSION_SECRET$|SESSION$|MAILER$|MAIL_FROM$|RESEND_|POSTMARK_|SENDGRID_|PASSKEYS$|RECENT_SIGN_IN$|OTEL$|DATABASE_URL$)/.test(
          key,
        ),
    ),
  );
  // Passkeys off (their offer page would come between sign-in and returnTo) unless env says.
  return startExampleProcess({ ...base, HOST: '127.0.0.1', PASSKEYS: '0', ...env }, { port });
}

/**
 * Runs the example app's factory, `createExampleApp(env)`, in a fresh Node process with exactly
 * `env`, and resolves with `'started'` or `'failed: <message>'`: how a configuration is refused.
 */
export function exampleFactoryWith(env: Record<string, string>): Promise<string> {
  const script = `
    const { createExampleApp } = await import('./example-app/app.mjs');
    try {
      const app = await createExampleApp(${JSON.stringify(env)});
      await app.close();
      console.log('started');
    } catch (err) {
      console.log('failed: ' + err.message);
    }`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: ROOT, timeout: 60_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim()),
    );
  });
}
