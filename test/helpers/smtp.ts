import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import type { ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerAddress, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';

/** The SMTP command a test wants the server to refuse. */
export type SmtpStage = 'mail' | 'rcpt' | 'data';

/** A refusal: the reply code (e.g. 550) and the command it answers. */
export interface SmtpFailure {
  code: number;
  /** @default 'rcpt' */
  stage?: SmtpStage;
  /** @default 'Refused by the test server' */
  message?: string;
}

export interface StartSmtpServerOptions {
  /** Refuse every transaction this way, for the whole life of the server. */
  failWith?: SmtpFailure;
  /**
   * The SIZE limit in bytes; larger messages are refused with 552.
   *
   * @default DEFAULT_TEST_SMTP_SIZE (1 MiB)
   */
  size?: number;
}

/** The SMTP envelope of a received message: who the client said it was from and to. */
export interface ReceivedEnvelope {
  from: string | null;
  to: string[];
}

export interface TestSmtpServer {
  port: number;
  /** `smtp://127.0.0.1:<port>`, ready for `smtpMailer({ transport })`. */
  url: string;
  /** Every accepted message, parsed by mailparser, oldest first. */
  messages: ParsedMail[];
  /** The envelope of each message in `messages`, at the same index. */
  envelopes: ReceivedEnvelope[];
  /** The raw source of each message in `messages`, at the same index. */
  raw: string[];
  /** How many TCP connections clients have opened so far. */
  readonly connections: number;
  /**
   * Resolves with the oldest message that matches `predicate` and that no earlier call returned,
   * waiting for one to arrive if need be. Rejects after `timeoutMs` (default 5000).
   */
  waitForMessage(
    predicate?: (mail: ParsedMail) => boolean,
    timeoutMs?: number,
  ): Promise<ParsedMail>;
  /** Refuse the next `count` transactions with `code` at `stage` (default `'rcpt'`). */
  rejectNext(count: number, code: number, stage?: SmtpStage): void;
  close(): Promise<void>;
}

/** The default SIZE limit of the test server. */
export const DEFAULT_TEST_SMTP_SIZE = 1024 * 1024;

/** Only a lost message takes this long; a busy machine can take seconds to deliver one. */
const DEFAULT_WAIT_MS = 20_000;

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/**
 * Starts a real SMTP server (the `smtp-server` package) on 127.0.0.1 and a free port. No TLS,
 * any AUTH accepted; every message is parsed with mailparser's `simpleParser`.
 *
 * @example
 * const smtp = await startSmtpServer();
 * const mailer = smtpMailer({ transport: smtp.url, from: 'no-reply@example.test' });
 * await mailer.send(message);
 * const mail = await smtp.waitForMessage((m) => m.subject === 'Sign in to Acme');
 * await smtp.close();
 */
export async function startSmtpServer(
  options: StartSmtpServerOptions = {},
): Promise<TestSmtpServer> {
  const messages: ParsedMail[] = [];
  const envelopes: ReceivedEnvelope[] = [];
  const raw: string[] = [];
  const claimed = new Set<ParsedMail>();
  const waiters = new Set<() => void>();
  let connections = 0;
  let pending: { count: number; code: number; stage: SmtpStage } | null = null;

  function refusal(stage: SmtpStage): Error | null {
    const always = options.failWith;
    if (always !== undefined && (always.stage ?? 'rcpt') === stage) {
      return smtpError(always.code, always.message ?? 'Refused by the test server');
    }
    if (pending !== null && pending.stage === stage && pending.count > 0) {
      pending.count -= 1;
      const { code } = pending;
      if (pending.count === 0) pending = null;
      return smtpError(code, 'Refused by the test server');
    }
    return null;
  }

  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    hideSTARTTLS: true,
    authOptional: true,
    allowInsecureAuth: true,
    size: options.size ?? DEFAULT_TEST_SMTP_SIZE,
    logger: false,
    closeTimeout: 500,
    onConnect(_session: SMTPServerSession, callback: (err?: Error | null) => void) {
      connections += 1;
      callback();
    },
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'test' });
    },
    onMailFrom(_address: SMTPServerAddress, _session, callback) {
      callback(refusal('mail'));
    },
    onRcptTo(_address: SMTPServerAddress, _session, callback) {
      callback(refusal('rcpt'));
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const refused = refusal('data');
        if (refused !== null) return callback(refused);
        if (stream.sizeExceeded) return callback(smtpError(552, 'Message exceeds the size limit'));
        const source = Buffer.concat(chunks);
        const envelope: ReceivedEnvelope = {
          from: session.envelope.mailFrom === false ? null : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
        };
        simpleParser(source).then(
          (mail) => {
            messages.push(mail);
            envelopes.push(envelope);
            raw.push(source.toString('utf8'));
            for (const wake of [...waiters]) wake();
            callback();
          },
          (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
        );
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A client that drops the connection mid-session must not crash the test process.
  server.on('error', () => undefined);
  const { port } = server.server.address() as AddressInfo;

  function take(predicate: (mail: ParsedMail) => boolean): ParsedMail | undefined {
    const found = messages.find((mail) => !claimed.has(mail) && predicate(mail));
    if (found !== undefined) claimed.add(found);
    return found;
  }

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    envelopes,
    raw,
    get connections() {
      return connections;
    },

    waitForMessage(predicate = () => true, timeoutMs = DEFAULT_WAIT_MS) {
      const ready = take(predicate);
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise<ParsedMail>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `startSmtpServer: no matching message within ${timeoutMs} ms (${messages.length} received)`,
            ),
          );
        }, timeoutMs);
        function check(): void {
          const mail = take(predicate);
          if (mail === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(mail);
        }
        waiters.add(check);
      });
    },

    rejectNext(count, code, stage = 'rcpt') {
      pending = count > 0 ? { count, code, stage } : null;
    },

    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`]+/gi;

/** The `http(s)` links in the plain-text part of a received email, in order. */
export function linksIn(mail: ParsedMail): string[] {
  return [...(mail.text ?? '').matchAll(URL_IN_TEXT)].map((m) => m[0].replace(/[.,;:!?)]+$/, ''));
}

/** The 6-digit one-time code in the plain-text part of a received email, or `null`. */
export function codeIn(mail: ParsedMail): string | null {
  return /\bcode\b[^0-9]*?(?<![0-9])([0-9]{6})(?![0-9])/i.exec(mail.text ?? '')?.[1] ?? null;
}
